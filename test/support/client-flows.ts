import type { MatrixClient, MatrixEvent } from 'matrix-js-sdk';
import { eventually, loadSdk, newClient, registerClient } from './matrix-client';

/** A homeserver under test, in whichever mode. */
export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

/**
 * The core client flows, driven by matrix-js-sdk: what a real client does,
 * not hand-made requests. Both modes run the same flows (test/e2e against the
 * embedded server, test/services against services mode behind nginx).
 */
export function clientFlows(start: () => Promise<RunningServer>): void {
  let server: RunningServer;
  let alice: MatrixClient;
  let bob: MatrixClient;

  beforeAll(async () => {
    server = await start();
    alice = await registerClient(server.url, 'alice');
    bob = await registerClient(server.url, 'bob');
  }, 60_000);

  afterAll(async () => {
    alice?.stopClient();
    bob?.stopClient();
    await server?.close();
  });

  it('logs in with a password and reports who is logged in', async () => {
    const client = await newClient({ baseUrl: server.url });
    const login = await client.loginRequest({
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user: 'alice' },
      password: 'correct horse',
    });
    expect(login.user_id).toBe('@alice:localhost');
    const whoami = await (await newClient({ baseUrl: server.url, accessToken: login.access_token })).whoami();
    expect(whoami.user_id).toBe('@alice:localhost');
  });

  it("creates a room, invites, joins and delivers messages to the other user's /sync", async () => {
    const { room_id: roomId } = await alice.createRoom({ name: 'Lattice e2e', invite: ['@bob:localhost'] });
    await bob.joinRoom(roomId);
    const received: string[] = [];
    bob.on(
      'Room.timeline' as never,
      ((event: MatrixEvent) => {
        if (event.getType() === 'm.room.message') received.push(event.getContent().body as string);
      }) as never,
    );
    await bob.startClient({ initialSyncLimit: 5 });
    await alice.sendTextMessage(roomId, 'hello bob');
    await eventually('bob to receive the message', () => received.includes('hello bob'));
    expect(bob.getRoom(roomId)?.name).toBe('Lattice e2e');
  }, 30_000);

  it('paginates history with /messages', async () => {
    const { room_id: roomId } = await alice.createRoom({ preset: 'public_chat' as never });
    for (let i = 0; i < 15; i++) await alice.sendTextMessage(roomId, `message ${i}`);
    const page = await alice.createMessagesRequest(roomId, null, 10, 'b' as never);
    expect(
      page.chunk
        .map((e) => e.content.body)
        .filter(Boolean)
        .slice(0, 3),
    ).toEqual(['message 14', 'message 13', 'message 12']);
    const next = await alice.createMessagesRequest(roomId, page.end!, 10, 'b' as never);
    expect(next.chunk.map((e) => e.content.body)).toContain('message 0');
  });

  it('sets a display name that shows in the room', async () => {
    const { room_id: roomId } = await alice.createRoom({});
    await alice.setDisplayName('Alice A.');
    const member = await alice.getStateEvent(roomId, 'm.room.member', '@alice:localhost');
    expect(member.displayname).toBe('Alice A.');
    expect((await bob.getProfileInfo('@alice:localhost')).displayname).toBe('Alice A.');
  });

  it('redacts a message', async () => {
    const { room_id: roomId } = await alice.createRoom({});
    const { event_id: eventId } = await alice.sendTextMessage(roomId, 'secret');
    await alice.redactEvent(roomId, eventId);
    const event = await alice.fetchRoomEvent(roomId, eventId);
    expect(event.content).toEqual({});
  });

  it('delivers typing notifications and read receipts', async () => {
    const { room_id: roomId } = await alice.createRoom({ preset: 'public_chat' as never });
    await bob.joinRoom(roomId);
    await eventually('bob to see the room', () => bob.getRoom(roomId));
    await alice.sendTyping(roomId, true, 10_000);
    await eventually('bob to see alice typing', () => bob.getRoom(roomId)?.getMember('@alice:localhost')?.typing);
    const { event_id: eventId } = await alice.sendTextMessage(roomId, 'read me');
    await bob.sendReadReceipt(
      new (await loadSdk()).MatrixEvent({ event_id: eventId, room_id: roomId, type: 'm.room.message' }),
    );
    await eventually("alice to see bob's receipt", async () => {
      const response = await alice.http.authedRequest<{
        rooms: { join: Record<string, { ephemeral: { events: Array<{ type: string; content: object }> } }> };
      }>('GET' as never, '/sync', { timeout: '0' });
      return JSON.stringify(response.rooms.join[roomId]?.ephemeral.events ?? []).includes('@bob:localhost');
    });
  }, 30_000);

  it("shows a user's presence to another user sharing a room", async () => {
    const { room_id: roomId } = await alice.createRoom({ preset: 'public_chat' as never });
    await bob.joinRoom(roomId);
    await alice.setPresence({ presence: 'unavailable', status_msg: 'out for lunch' });
    const seen = await eventually("bob to see alice's presence", () =>
      bob.getUser('@alice:localhost')?.presenceStatusMsg === 'out for lunch'
        ? bob.getUser('@alice:localhost')
        : undefined,
    );
    expect(seen?.presence).toBe('unavailable');
  }, 30_000);

  it('leaves, kicks and bans', async () => {
    const { room_id: roomId } = await alice.createRoom({ preset: 'public_chat' as never });
    // Raw joins: the SDK skips /join for rooms its sync still shows as joined, and a kick needs bob really in the room.
    const join = () =>
      bob.http.authedRequest('POST' as never, `/rooms/${encodeURIComponent(roomId)}/join`, undefined, {});
    await join();
    await bob.leave(roomId);
    await join();
    await alice.kick(roomId, '@bob:localhost', 'testing');
    await join();
    await alice.ban(roomId, '@bob:localhost', 'testing');
    await expect(join()).rejects.toMatchObject({ errcode: 'M_FORBIDDEN' });
    const members = await alice.members(roomId);
    expect(members.chunk.find((e) => e.state_key === '@bob:localhost')?.content.membership).toBe('ban');
  });

  it('refuses a token once it is logged out, whichever process answers', async () => {
    const login = await (
      await newClient({ baseUrl: server.url })
    ).loginRequest({
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user: 'bob' },
      password: 'correct horse',
    });
    const whoami = () =>
      fetch(`${server.url}/_matrix/client/v3/account/whoami`, {
        headers: { authorization: `Bearer ${login.access_token}` },
      }).then((r) => r.status);
    // Several requests, so every client-api process has resolved (and cached) the token.
    expect(await Promise.all([whoami(), whoami(), whoami(), whoami()])).toEqual([200, 200, 200, 200]);
    await (await newClient({ baseUrl: server.url, accessToken: login.access_token })).logout();
    await eventually('every process to refuse the token', async () =>
      (await Promise.all([whoami(), whoami(), whoami(), whoami()])).every((s) => s === 401),
    );
  });

  it('answers unknown endpoints and bad tokens with Matrix errors', async () => {
    const unknown = await fetch(`${server.url}/_matrix/client/v3/no_such_thing`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ errcode: 'M_UNRECOGNIZED' });
    const bad = await fetch(`${server.url}/_matrix/client/v3/account/whoami`, {
      headers: { authorization: 'Bearer nope' },
    });
    expect(bad.status).toBe(401);
    expect(await bad.json()).toMatchObject({ errcode: 'M_UNKNOWN_TOKEN' });
  });
}
