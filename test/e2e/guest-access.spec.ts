import { startEmbeddedServer } from '../support/embedded-server';
import { eventually } from '../support/matrix-client';
import { rawClient, type Account } from '../support/raw-client';

/** Guest accounts (client-server-api "Guest Access"): what they may call, which rooms they may join, and the upgrade. */
describe('guest access', () => {
  let server: Awaited<ReturnType<typeof startEmbeddedServer>>;
  let raw: ReturnType<typeof rawClient>;
  let alice: Account;
  let names = 0;

  const room = (id: string) => encodeURIComponent(id);
  const registerGuest = async (): Promise<Account> => {
    const { body } = await raw.call(undefined, 'POST', '/register?kind=guest', {});
    return { userId: body.user_id as string, deviceId: body.device_id as string, token: body.access_token as string };
  };
  const guestRoom = async (guestAccess: string, historyVisibility = 'shared') =>
    (
      await raw.call(alice, 'POST', '/createRoom', {
        preset: 'public_chat',
        initial_state: [
          { type: 'm.room.guest_access', state_key: '', content: { guest_access: guestAccess } },
          { type: 'm.room.history_visibility', state_key: '', content: { history_visibility: historyVisibility } },
        ],
      })
    ).body.room_id as string;
  const membership = async (roomId: string, userId: string) =>
    (
      (await raw.call(alice, 'GET', `/rooms/${room(roomId)}/state/m.room.member/${encodeURIComponent(userId)}`))
        .body as { membership?: string }
    ).membership;

  beforeAll(async () => {
    server = await startEmbeddedServer({
      tenants: [{ serverName: 'localhost', registration: { mode: 'open', guests: true } }],
    });
    raw = rawClient(() => server.url);
    alice = await raw.register('guest-host');
  }, 60_000);
  afterAll(async () => server.close());

  it('registers a guest with no credentials, and whoami says it is one', async () => {
    const guest = await registerGuest();
    expect(await raw.call(guest, 'GET', '/account/whoami')).toMatchObject({
      status: 200,
      body: { user_id: guest.userId, is_guest: true },
    });
  });

  it('answers a route outside the guest list with 403 M_GUEST_ACCESS_FORBIDDEN', async () => {
    const guest = await registerGuest();
    expect(await raw.call(guest, 'POST', '/createRoom', {})).toMatchObject({
      status: 403,
      body: { errcode: 'M_GUEST_ACCESS_FORBIDDEN' },
    });
  });

  it('lets a guest join a can_join room, send and read it', async () => {
    const roomId = await guestRoom('can_join');
    const guest = await registerGuest();
    expect((await raw.call(guest, 'POST', `/join/${room(roomId)}`, {})).status).toBe(200);
    expect(
      (
        await raw.call(guest, 'PUT', `/rooms/${room(roomId)}/send/m.room.message/g${names++}`, {
          msgtype: 'm.text',
          body: 'hello as a guest',
        })
      ).status,
    ).toBe(200);
    const chunk = (await raw.call(guest, 'GET', `/rooms/${room(roomId)}/messages?dir=b`)).body.chunk as Array<{
      content: { body?: string };
    }>;
    expect(chunk.map((e) => e.content.body)).toContain('hello as a guest');
  });

  it('refuses a guest a room that is not open to guests', async () => {
    const roomId = await guestRoom('forbidden');
    const guest = await registerGuest();
    expect(await raw.call(guest, 'POST', `/join/${room(roomId)}`, {})).toMatchObject({
      status: 403,
      body: { errcode: 'M_FORBIDDEN' },
    });
  });

  it('lets a guest read a world_readable room without joining', async () => {
    const roomId = await guestRoom('forbidden', 'world_readable');
    await raw.call(alice, 'PUT', `/rooms/${room(roomId)}/send/m.room.message/g${names++}`, {
      msgtype: 'm.text',
      body: 'public notice',
    });
    const guest = await registerGuest();
    const chunk = (await raw.call(guest, 'GET', `/rooms/${room(roomId)}/messages?dir=b`)).body.chunk as Array<{
      content: { body?: string };
    }>;
    expect(chunk.map((e) => e.content.body)).toContain('public notice');
  });

  it('makes joined guests leave when the room stops being open to them', async () => {
    const roomId = await guestRoom('can_join');
    const guest = await registerGuest();
    await raw.call(guest, 'POST', `/join/${room(roomId)}`, {});
    await raw.call(alice, 'PUT', `/rooms/${room(roomId)}/state/m.room.guest_access/`, { guest_access: 'forbidden' });
    await eventually('the guest has left', async () => (await membership(roomId, guest.userId)) === 'leave');
  });

  it('upgrades a guest to a full account that keeps its user ID and rooms', async () => {
    const roomId = await guestRoom('can_join');
    const guest = await registerGuest();
    await raw.call(guest, 'POST', `/join/${room(roomId)}`, {});
    const localpart = guest.userId.slice(1, guest.userId.indexOf(':'));
    const upgraded = await raw.call(undefined, 'POST', '/register', {
      username: localpart,
      password: 'correct horse',
      guest_access_token: guest.token,
      auth: { type: 'm.login.dummy' },
    });
    expect(upgraded).toMatchObject({ status: 200, body: { user_id: guest.userId } });
    const full: Account = {
      userId: guest.userId,
      deviceId: upgraded.body.device_id as string,
      token: upgraded.body.access_token as string,
    };
    expect(await raw.call(full, 'GET', '/account/whoami')).toMatchObject({ body: { is_guest: false } });
    expect((await raw.call(full, 'GET', '/joined_rooms')).body.joined_rooms).toContain(roomId);
  });

  it('refuses guest registration where the tenant does not allow guests', async () => {
    const closed = await startEmbeddedServer();
    try {
      const response = await fetch(`${closed.url}/_matrix/client/v3/register?kind=guest`, {
        method: 'POST',
        body: '{}',
      });
      expect(response.status).toBe(403);
      expect(await response.json()).toMatchObject({ errcode: 'M_GUEST_ACCESS_FORBIDDEN' });
    } finally {
      await closed.close();
    }
  }, 60_000);
});
