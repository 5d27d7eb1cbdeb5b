import type { RunningServer } from './client-flows';
import { rawClient, type Account } from './raw-client';

/**
 * Device management (client-server-api "Device Management") on the wire:
 * list, read, rename, and delete with user-interactive auth. Both modes run
 * the same flows (test/e2e embedded, test/services behind nginx, where the
 * deleted device's token must be refused by every client-api process).
 */
export function deviceFlows(start: () => Promise<RunningServer>): void {
  let server: RunningServer;

  beforeAll(async () => {
    server = await start();
  }, 60_000);

  afterAll(async () => {
    await server?.close();
  });

  const { call, register, sync } = rawClient(() => server.url);

  /** Another device of an existing account, by password login. */
  async function login(userId: string, displayName?: string): Promise<Account> {
    const { body } = await call(undefined, 'POST', '/login', {
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user: userId },
      password: 'correct horse',
      initial_device_display_name: displayName,
    });
    return { userId, deviceId: body.device_id as string, token: body.access_token as string };
  }

  const password = (userId: string, value: string, session?: string) => ({
    type: 'm.login.password',
    identifier: { type: 'm.id.user', user: userId },
    password: value,
    session,
  });

  it('lists the devices of the requester, each with its ID and display name', async () => {
    const first = await register('devices-list');
    const second = await login(first.userId, 'Laptop');
    const { status, body } = await call(first, 'GET', '/devices');
    expect(status).toBe(200);
    const devices = body.devices as Array<{ device_id: string; display_name?: string }>;
    expect(devices.map((d) => d.device_id).sort()).toEqual([first.deviceId, second.deviceId].sort());
    expect(devices.find((d) => d.device_id === second.deviceId)?.display_name).toBe('Laptop');
  });

  it('shows when and from where a device was last seen', async () => {
    const before = Date.now();
    const account = await register('devices-last-seen');
    const { body } = await call(account, 'GET', `/devices/${account.deviceId}`);
    expect(body.last_seen_ts).toBeGreaterThanOrEqual(before);
    expect(typeof body.last_seen_ip).toBe('string');
  });

  it('reads one device, and answers 404 M_NOT_FOUND for a device the requester does not have', async () => {
    const [owner, stranger] = await Promise.all([register('devices-get'), register('devices-get-other')]);
    expect((await call(owner, 'GET', `/devices/${owner.deviceId}`)).body.device_id).toBe(owner.deviceId);
    const missing = await call(owner, 'GET', `/devices/${stranger.deviceId}`);
    expect([missing.status, missing.body.errcode]).toEqual([404, 'M_NOT_FOUND']);
  });

  it('renames a device, and refuses to rename one the requester does not have', async () => {
    const account = await register('devices-rename');
    expect((await call(account, 'PUT', `/devices/${account.deviceId}`, { display_name: 'Phone' })).status).toBe(200);
    expect((await call(account, 'GET', `/devices/${account.deviceId}`)).body.display_name).toBe('Phone');
    const missing = await call(account, 'PUT', '/devices/NOSUCHDEVICE', { display_name: 'x' });
    expect([missing.status, missing.body.errcode]).toEqual([404, 'M_NOT_FOUND']);
  });

  it('a rename is a device-list change for room-mates', async () => {
    const [owner, mate] = await Promise.all([register('devices-rename-owner'), register('devices-rename-mate')]);
    const created = await call(owner, 'POST', '/createRoom', { preset: 'public_chat' });
    expect(created.status).toBe(200);
    const joined = await call(mate, 'POST', `/join/${encodeURIComponent(created.body.room_id as string)}`, {});
    expect(joined.status).toBe(200);
    const since = (await sync(mate)).next_batch;
    expect((await call(owner, 'PUT', `/devices/${owner.deviceId}`, { display_name: 'Tablet' })).status).toBe(200);
    expect((await sync(mate, since)).device_lists.changed).toContain(owner.userId);
  });

  it('deletes a device only with the right password: no auth starts UIA, a wrong password is refused, the right one deletes', async () => {
    const main = await register('devices-delete');
    const other = await login(main.userId);
    const challenge = await call(main, 'DELETE', `/devices/${other.deviceId}`, {});
    expect(challenge.status).toBe(401);
    expect(challenge.body.flows).toEqual([{ stages: ['m.login.password'] }]);
    const session = challenge.body.session as string;

    const wrong = await call(main, 'DELETE', `/devices/${other.deviceId}`, {
      auth: password(main.userId, 'wrong horse', session),
    });
    expect([wrong.status, wrong.body.errcode]).toEqual([401, 'M_FORBIDDEN']);
    expect((await call(other, 'GET', '/account/whoami')).status).toBe(200);

    expect(
      (
        await call(main, 'DELETE', `/devices/${other.deviceId}`, {
          auth: password(main.userId, 'correct horse', session),
        })
      ).status,
    ).toBe(200);
    const refused = await call(other, 'GET', '/account/whoami');
    expect([refused.status, refused.body.errcode]).toEqual([401, 'M_UNKNOWN_TOKEN']);
    expect(
      ((await call(main, 'GET', '/devices')).body.devices as Array<{ device_id: string }>).map((d) => d.device_id),
    ).toEqual([main.deviceId]);
  });

  it('refuses a deleted device token on every request after the deletion, whichever process answers', async () => {
    const main = await register('devices-delete-everywhere');
    const other = await login(main.userId);
    // Every process serving the client API resolves (and caches) the token before it goes.
    for (let i = 0; i < 4; i++) expect((await call(other, 'GET', '/account/whoami')).status).toBe(200);
    await call(main, 'DELETE', `/devices/${other.deviceId}`, { auth: password(main.userId, 'correct horse') });
    for (let i = 0; i < 4; i++) expect((await call(other, 'GET', '/account/whoami')).status).toBe(401);
  });

  it('deleting a device removes its keys, and room-mates see the device list change', async () => {
    const [owner, mate] = await Promise.all([register('devices-keys-owner'), register('devices-keys-mate')]);
    const other = await login(owner.userId);
    const deviceKeys = {
      user_id: owner.userId,
      device_id: other.deviceId,
      algorithms: ['m.olm.v1.curve25519-aes-sha2'],
      keys: { [`curve25519:${other.deviceId}`]: 'k' },
      signatures: {},
    };
    await call(other, 'POST', '/keys/upload', {
      device_keys: deviceKeys,
      one_time_keys: { 'signed_curve25519:A': { key: 'o' } },
    });
    const { body } = await call(owner, 'POST', '/createRoom', { preset: 'public_chat' });
    await call(mate, 'POST', `/join/${encodeURIComponent(body.room_id as string)}`, {});
    const since = (await sync(mate)).next_batch;

    await call(owner, 'DELETE', `/devices/${other.deviceId}`, { auth: password(owner.userId, 'correct horse') });

    expect((await sync(mate, since)).device_lists.changed).toContain(owner.userId);
    const query = await call(mate, 'POST', '/keys/query', { device_keys: { [owner.userId]: [] } });
    expect(Object.keys((query.body.device_keys as Record<string, object>)[owner.userId])).not.toContain(other.deviceId);
    const claim = await call(mate, 'POST', '/keys/claim', {
      one_time_keys: { [owner.userId]: { [other.deviceId]: 'signed_curve25519' } },
    });
    expect(claim.body.one_time_keys).toEqual({});
  });

  it('POST /delete_devices deletes several devices after UIA, and no others', async () => {
    const main = await register('devices-bulk');
    const [a, b, kept] = [await login(main.userId), await login(main.userId), await login(main.userId)];
    expect((await call(main, 'POST', '/delete_devices', { devices: [a.deviceId, b.deviceId] })).status).toBe(401);
    const wrong = await call(main, 'POST', '/delete_devices', {
      devices: [a.deviceId, b.deviceId],
      auth: password(main.userId, 'nope'),
    });
    expect(wrong.status).toBe(401);
    expect(
      (
        await call(main, 'POST', '/delete_devices', {
          devices: [a.deviceId, b.deviceId],
          auth: password(main.userId, 'correct horse'),
        })
      ).status,
    ).toBe(200);
    const left = ((await call(main, 'GET', '/devices')).body.devices as Array<{ device_id: string }>)
      .map((d) => d.device_id)
      .sort();
    expect(left).toEqual([main.deviceId, kept.deviceId].sort());
    expect((await call(a, 'GET', '/account/whoami')).status).toBe(401);
  });

  it('refuses to delete with another user password with 403, not a UIA retry', async () => {
    const [main, other] = await Promise.all([register('devices-uia-owner'), register('devices-uia-other')]);
    const refused = await call(main, 'DELETE', `/devices/${main.deviceId}`, {
      auth: password(other.userId, 'correct horse'),
    });
    expect(refused).toMatchObject({ status: 403, body: { errcode: 'M_FORBIDDEN' } });
    expect((await call(main, 'GET', '/account/whoami')).status).toBe(200);
  });
}
