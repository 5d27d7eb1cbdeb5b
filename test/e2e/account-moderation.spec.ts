import { HostClient } from '../support/host-client';
import { startEmbeddedServer } from '../support/embedded-server';

const SECRET = 'shared-secret-for-moderation-tests';

/**
 * Account suspension and locking by server admins (client-server-api "Server Administration",
 * "Account suspension", "Account locking"): the v1 admin endpoints, who may call them, and what
 * a suspended or locked account is then refused, until it is freed.
 */
describe('account moderation', () => {
  jest.setTimeout(30_000);
  let server: Awaited<ReturnType<typeof startEmbeddedServer>>;
  let hs: HostClient;
  let admin: { userId: string; token: string };
  let alice: { userId: string; token: string };
  let bob: { userId: string; token: string };
  let roomId: string;
  const enc = encodeURIComponent;
  const v1 = (token: string, method: string, path: string, body?: unknown) =>
    hs.request(token, method, `/_matrix/client/v1${path}`, body);
  const errcode = async (answer: Promise<{ status: number; body: Record<string, unknown> }>) => {
    const { status, body } = await answer;
    return [status, body.errcode];
  };

  beforeAll(async () => {
    server = await startEmbeddedServer({
      tenants: [{ serverName: 'moderation.test' }],
      admin: { registrationSharedSecret: SECRET },
    });
    hs = new HostClient(server.url, 'moderation.test');
    admin = await hs.registerWithSecret(SECRET, 'root', { admin: true });
    alice = await hs.registerWithSecret(SECRET, 'alice');
    bob = await hs.registerWithSecret(SECRET, 'bob');
    roomId = (await hs.client(bob.token, 'POST', '/createRoom', { preset: 'public_chat' })).body.room_id as string;
    await hs.client(alice.token, 'POST', `/join/${enc(roomId)}`, {});
  }, 60_000);
  afterAll(async () => server.close());

  it('answers only server admins, before looking the account up', async () => {
    expect(await errcode(v1(alice.token, 'GET', `/admin/suspend/${enc(bob.userId)}`))).toEqual([403, 'M_FORBIDDEN']);
    expect(await errcode(v1(alice.token, 'GET', `/admin/lock/@nobody:moderation.test`))).toEqual([403, 'M_FORBIDDEN']);
    expect(await errcode(v1(admin.token, 'GET', `/admin/lock/@nobody:moderation.test`))).toEqual([404, 'M_NOT_FOUND']);
    expect(await errcode(v1(admin.token, 'GET', `/admin/lock/@bob:elsewhere.test`))).toEqual([400, 'M_INVALID_PARAM']);
    expect(await errcode(v1(admin.token, 'PUT', `/admin/suspend/${enc(admin.userId)}`, { suspended: true }))).toEqual([
      403,
      'M_FORBIDDEN',
    ]);
    expect(await errcode(v1(admin.token, 'PUT', `/admin/suspend/${enc(bob.userId)}`, { suspended: 'yes' }))).toEqual([
      400,
      'M_BAD_JSON',
    ]);
    expect((await v1(admin.token, 'GET', `/admin/suspend/${enc(bob.userId)}`)).body).toEqual({ suspended: false });
  });

  it('advertises account moderation in /capabilities to admins only', async () => {
    expect((await hs.client(admin.token, 'GET', '/capabilities')).body.capabilities).toMatchObject({
      'm.account_moderation': { suspend: true, lock: true },
    });
    expect((await hs.client(alice.token, 'GET', '/capabilities')).body.capabilities).not.toHaveProperty(
      'm.account_moderation',
    );
  });

  it('stops a suspended user sending, joining and changing their profile, but lets them read, redact their own events and leave', async () => {
    const own = (
      await hs.client(alice.token, 'PUT', `/rooms/${enc(roomId)}/send/m.room.message/before`, {
        msgtype: 'm.text',
        body: 'before',
      })
    ).body.event_id as string;
    const other = (
      await hs.client(bob.token, 'PUT', `/rooms/${enc(roomId)}/send/m.room.message/bob1`, {
        msgtype: 'm.text',
        body: 'bob',
      })
    ).body.event_id as string;
    expect((await v1(admin.token, 'PUT', `/admin/suspend/${enc(alice.userId)}`, { suspended: true })).body).toEqual({
      suspended: true,
    });
    expect((await v1(admin.token, 'GET', `/admin/suspend/${enc(alice.userId)}`)).body).toEqual({ suspended: true });

    const suspended = [403, 'M_USER_SUSPENDED'];
    expect(
      await errcode(
        hs.client(alice.token, 'PUT', `/rooms/${enc(roomId)}/send/m.room.message/during`, {
          msgtype: 'm.text',
          body: 'during',
        }),
      ),
    ).toEqual(suspended);
    expect(await errcode(hs.client(alice.token, 'POST', '/createRoom', {}))).toEqual(suspended);
    expect(
      await errcode(
        hs.client(alice.token, 'PUT', `/profile/${enc(alice.userId)}/displayname`, { displayname: 'Spam' }),
      ),
    ).toEqual(suspended);
    expect(await errcode(hs.client(alice.token, 'PUT', `/rooms/${enc(roomId)}/redact/${enc(other)}/r1`, {}))).toEqual(
      suspended,
    );
    expect((await hs.client(alice.token, 'GET', `/rooms/${enc(roomId)}/messages?dir=b`)).status).toBe(200);
    expect((await hs.client(alice.token, 'PUT', `/rooms/${enc(roomId)}/redact/${enc(own)}/r2`, {})).status).toBe(200);
    expect((await hs.client(alice.token, 'POST', `/rooms/${enc(roomId)}/leave`, {})).status).toBe(200);
    expect(await errcode(hs.client(alice.token, 'POST', `/join/${enc(roomId)}`, {}))).toEqual(suspended);

    await v1(admin.token, 'PUT', `/admin/suspend/${enc(alice.userId)}`, { suspended: false });
    expect((await hs.client(alice.token, 'POST', `/join/${enc(roomId)}`, {})).status).toBe(200);
  });

  it('answers a locked user M_USER_LOCKED with soft_logout everywhere but logout, and keeps the session for when it is unlocked', async () => {
    expect((await v1(admin.token, 'PUT', `/admin/lock/${enc(bob.userId)}`, { locked: true })).body).toEqual({
      locked: true,
    });
    const whoami = await hs.client(bob.token, 'GET', '/account/whoami');
    expect(whoami).toMatchObject({ status: 401, body: { errcode: 'M_USER_LOCKED', soft_logout: true } });
    expect((await v1(admin.token, 'GET', `/admin/lock/${enc(bob.userId)}`)).body).toEqual({ locked: true });

    await v1(admin.token, 'PUT', `/admin/lock/${enc(bob.userId)}`, { locked: false });
    expect((await hs.client(bob.token, 'GET', '/account/whoami')).body.user_id).toBe(bob.userId);
    await v1(admin.token, 'PUT', `/admin/lock/${enc(bob.userId)}`, { locked: true });
    expect((await hs.client(bob.token, 'POST', '/logout', {})).status).toBe(200);
  });
});
