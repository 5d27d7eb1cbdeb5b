import type { RunningServer } from './client-flows';
import { rawClient, type Account } from './raw-client';

const PREFIX = '/_matrix/client/unstable/org.matrix.msc3814.v1';

/** Dehydrated devices (MSC3814) on the wire: each endpoint's rules, in either mode. */
export function dehydratedDeviceFlows(start: () => Promise<RunningServer>): void {
  let server: RunningServer;
  const { call, register } = rawClient(() => server.url);

  beforeAll(async () => {
    server = await start();
  }, 60_000);

  afterAll(async () => {
    await server?.close();
  });

  async function dehydrated(
    account: Account,
    method: string,
    path = '',
    body?: unknown,
  ): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await fetch(`${server.url}${PREFIX}/dehydrated_device${path}`, {
      method,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${account.token}` },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  const deviceData = { algorithm: 'org.matrix.msc3814.v2', device_pickle: 'pickle', nonce: 'n' };
  const deviceKeys = (account: Account, deviceId: string) => ({
    user_id: account.userId,
    device_id: deviceId,
    algorithms: ['m.olm.v1.curve25519-aes-sha2', 'm.megolm.v1.aes-sha2'],
    keys: { [`curve25519:${deviceId}`]: `curve-${deviceId}`, [`ed25519:${deviceId}`]: `ed-${deviceId}` },
    signatures: {},
    dehydrated: true,
  });
  const upload = (account: Account, deviceId: string) =>
    dehydrated(account, 'PUT', '', {
      device_id: deviceId,
      device_data: deviceData,
      initial_device_display_name: 'Dehydrated device',
      device_keys: deviceKeys(account, deviceId),
      one_time_keys: { [`signed_curve25519:${deviceId}1`]: { key: 'otk' } },
      fallback_keys: { [`signed_curve25519:${deviceId}f`]: { key: 'fallback', fallback: true } },
    });
  const sendTo = (from: Account, to: Account, deviceId: string, txnId: string, n: number) =>
    call(from, 'PUT', `/sendToDevice/m.room.encrypted/${txnId}`, { messages: { [to.userId]: { [deviceId]: { n } } } });

  it('advertises org.matrix.msc3814 in /versions', async () => {
    const versions = (await (await fetch(`${server.url}/_matrix/client/versions`)).json()) as {
      unstable_features: Record<string, boolean>;
    };
    expect(versions.unstable_features['org.matrix.msc3814']).toBe(true);
  });

  it('says M_NOT_FOUND until a device is uploaded, then answers its ID and data', async () => {
    const ann = await register('dehydrate-get');
    expect(await dehydrated(ann, 'GET')).toEqual({
      status: 404,
      body: expect.objectContaining({ errcode: 'M_NOT_FOUND' }),
    });
    expect(await upload(ann, 'DEHYD1')).toEqual({ status: 200, body: { device_id: 'DEHYD1' } });
    expect(await dehydrated(ann, 'GET')).toEqual({
      status: 200,
      body: { device_id: 'DEHYD1', device_data: deviceData },
    });
  });

  it('lists the device with its keys in /keys/query (dehydrated: true) and lets others claim its keys, but not in GET /devices', async () => {
    const ann = await register('dehydrate-keys');
    const bob = await register('dehydrate-keys-bob');
    await upload(ann, 'DEHYD2');
    const query = await call(bob, 'POST', '/keys/query', { device_keys: { [ann.userId]: [] } });
    const keys = (query.body.device_keys as Record<string, Record<string, Record<string, unknown>>>)[ann.userId].DEHYD2;
    expect(keys).toMatchObject({
      device_id: 'DEHYD2',
      dehydrated: true,
      unsigned: { device_display_name: 'Dehydrated device' },
    });
    const claim = await call(bob, 'POST', '/keys/claim', {
      one_time_keys: { [ann.userId]: { DEHYD2: 'signed_curve25519' } },
    });
    expect(claim.body.one_time_keys).toEqual({
      [ann.userId]: { DEHYD2: { 'signed_curve25519:DEHYD21': { key: 'otk' } } },
    });
    const devices = (await call(ann, 'GET', '/devices')).body.devices as { device_id: string }[];
    expect(devices.map((d) => d.device_id)).toEqual([ann.deviceId]);
    expect((await call(ann, 'GET', '/devices/DEHYD2')).status).toBe(404);
  });

  it('a new upload replaces the previous device, its keys and its messages', async () => {
    const ann = await register('dehydrate-replace');
    const bob = await register('dehydrate-replace-bob');
    await upload(ann, 'OLD');
    await sendTo(bob, ann, 'OLD', 't1', 1);
    await upload(ann, 'NEW');
    expect((await dehydrated(ann, 'GET')).body.device_id).toBe('NEW');
    const query = await call(bob, 'POST', '/keys/query', { device_keys: { [ann.userId]: [] } });
    expect(Object.keys((query.body.device_keys as Record<string, object>)[ann.userId]).sort()).toEqual(['NEW']);
    expect((await dehydrated(ann, 'POST', '/OLD/events', {})).status).toBe(403);
    expect((await dehydrated(ann, 'POST', '/NEW/events', {})).body).toEqual({ events: [] });
  });

  it("refuses a device ID in use by one of the user's devices, and bodies that are not a device", async () => {
    const ann = await register('dehydrate-refuse');
    const taken = await upload(ann, ann.deviceId);
    expect([taken.status, taken.body.errcode]).toEqual([400, 'M_INVALID_PARAM']);
    const noData = await dehydrated(ann, 'PUT', '', { device_id: 'X' });
    expect([noData.status, noData.body.errcode]).toEqual([400, 'M_BAD_JSON']);
    const otherKeys = await dehydrated(ann, 'PUT', '', {
      device_id: 'X',
      device_data: deviceData,
      device_keys: deviceKeys(ann, 'Y'),
    });
    expect([otherKeys.status, otherKeys.body.errcode]).toEqual([400, 'M_BAD_JSON']);
    expect((await dehydrated(ann, 'GET')).status).toBe(404);
  });

  it("pages the device's to-device messages with next_batch, deleting those before the next_batch sent back; GET with from works too", async () => {
    const ann = await register('dehydrate-events');
    const bob = await register('dehydrate-events-bob');
    await upload(ann, 'EVENTS');
    for (let n = 0; n < 102; n++) await sendTo(bob, ann, 'EVENTS', `t${n}`, n);
    const first = await dehydrated(ann, 'POST', '/EVENTS/events', {});
    expect(first.status).toBe(200);
    expect((first.body.events as unknown[]).length).toBe(100);
    expect((first.body.events as unknown[])[0]).toEqual({
      sender: bob.userId,
      type: 'm.room.encrypted',
      content: { n: 0 },
    });
    // Not acknowledged yet: asking again from the start answers the same batch.
    expect((await dehydrated(ann, 'POST', '/EVENTS/events', {})).body).toEqual(first.body);
    const second = await dehydrated(ann, 'GET', `/EVENTS/events?from=${first.body.next_batch as string}`);
    expect((second.body.events as { content: unknown }[]).map((e) => e.content)).toEqual([{ n: 100 }, { n: 101 }]);
    const done = await dehydrated(ann, 'POST', '/EVENTS/events', { next_batch: second.body.next_batch });
    expect(done.body).toEqual({ events: [] });
    // Everything acknowledged is gone.
    expect((await dehydrated(ann, 'POST', '/EVENTS/events', {})).body).toEqual({ events: [] });
  });

  it("refuses another device's messages with M_FORBIDDEN and a next_batch it did not hand out with M_INVALID_PARAM", async () => {
    const ann = await register('dehydrate-events-rules');
    await upload(ann, 'RULES');
    const other = await dehydrated(ann, 'POST', `/${ann.deviceId}/events`, {});
    expect([other.status, other.body.errcode]).toEqual([403, 'M_FORBIDDEN']);
    const bad = await dehydrated(ann, 'POST', '/RULES/events', { next_batch: 'nonsense' });
    expect([bad.status, bad.body.errcode]).toEqual([400, 'M_INVALID_PARAM']);
  });

  it('refuses a login that names the dehydrated device, which only rehydration takes over', async () => {
    const ann = await register('dehydrate-login');
    await upload(ann, 'DEHYDLOGIN');
    const login = await call(undefined, 'POST', '/login', {
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user: ann.userId },
      password: 'correct horse',
      device_id: 'DEHYDLOGIN',
    });
    expect(login).toMatchObject({ status: 400, body: { errcode: 'M_INVALID_PARAM' } });
  });

  it('DELETE removes the device and its keys, and says M_NOT_FOUND when there is none', async () => {
    const ann = await register('dehydrate-delete');
    await upload(ann, 'GONE');
    expect(await dehydrated(ann, 'DELETE')).toEqual({ status: 200, body: { device_id: 'GONE' } });
    expect((await dehydrated(ann, 'GET')).status).toBe(404);
    const query = await call(ann, 'POST', '/keys/query', { device_keys: { [ann.userId]: ['GONE'] } });
    expect((query.body.device_keys as Record<string, object>)[ann.userId]).toEqual({});
    expect((await dehydrated(ann, 'DELETE')).status).toBe(404);
  });
}
