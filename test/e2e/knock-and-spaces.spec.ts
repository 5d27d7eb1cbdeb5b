import type { MatrixClient } from 'matrix-js-sdk';
import { startEmbeddedServer } from '../support/embedded-server';
import { registerClient } from '../support/matrix-client';

type Sync = {
  next_batch: string;
  rooms: Record<
    'join' | 'invite' | 'leave' | 'knock',
    Record<
      string,
      { knock_state?: { events: Array<{ type: string; state_key: string; content: Record<string, unknown> }> } }
    >
  >;
};

/** Knocking and space hierarchies on one server, driven by matrix-js-sdk (client-server-api "Knocking on rooms", "Spaces"). */
describe('knocking and spaces', () => {
  let server: Awaited<ReturnType<typeof startEmbeddedServer>>;
  let alice: MatrixClient;
  let bob: MatrixClient;

  const sync = (client: MatrixClient, since?: string) =>
    client.http.authedRequest<Sync>('GET' as never, '/sync', { timeout: '0', ...(since ? { since } : {}) });
  const knockableRoom = async () =>
    (
      await alice.createRoom({
        initial_state: [{ type: 'm.room.join_rules', state_key: '', content: { join_rule: 'knock' } }],
        name: 'Knock here',
      })
    ).room_id;

  beforeAll(async () => {
    server = await startEmbeddedServer();
    alice = await registerClient(server.url, 'alice');
    bob = await registerClient(server.url, 'bob');
  }, 60_000);

  afterAll(async () => {
    await server?.close();
  });

  describe('knocking', () => {
    it('shows a knock to the knocker in rooms.knock and to the room, and the knocker joins once invited', async () => {
      const roomId = await knockableRoom();
      expect(await bob.knockRoom(roomId, { reason: 'let me in' })).toEqual({ room_id: roomId });

      const knocked = await sync(bob);
      const state = knocked.rooms.knock[roomId]?.knock_state?.events ?? [];
      expect(state.find((e) => e.type === 'm.room.name')?.content).toEqual({ name: 'Knock here' });
      expect(state.find((e) => e.type === 'm.room.member' && e.state_key === bob.getUserId())?.content).toEqual({
        membership: 'knock',
        reason: 'let me in',
      });
      expect(await alice.getStateEvent(roomId, 'm.room.member', bob.getUserId()!)).toEqual({
        membership: 'knock',
        reason: 'let me in',
      });

      await alice.invite(roomId, bob.getUserId()!);
      const invited = await sync(bob, knocked.next_batch);
      expect(Object.keys(invited.rooms.invite)).toContain(roomId);
      expect(invited.rooms.knock[roomId]).toBeUndefined();
      await bob.joinRoom(roomId);
      expect(Object.keys((await alice.getJoinedRoomMembers(roomId)).joined)).toContain(bob.getUserId());
    });

    it('moves a retracted knock to rooms.leave', async () => {
      const roomId = await knockableRoom();
      await bob.knockRoom(roomId);
      const knocked = await sync(bob);
      expect(knocked.rooms.knock[roomId]).toBeDefined();
      await bob.leave(roomId);
      const left = await sync(bob, knocked.next_batch);
      expect(Object.keys(left.rooms.leave)).toContain(roomId);
      expect(left.rooms.knock[roomId]).toBeUndefined();
    });

    it('moves a rejected knock to rooms.leave', async () => {
      const roomId = await knockableRoom();
      await bob.knockRoom(roomId);
      const knocked = await sync(bob);
      await alice.kick(roomId, bob.getUserId()!, 'not now');
      const rejected = await sync(bob, knocked.next_batch);
      expect(Object.keys(rejected.rooms.leave)).toContain(roomId);
      expect(rejected.rooms.knock[roomId]).toBeUndefined();
    });

    it('refuses a knock on an invite-only room with M_FORBIDDEN', async () => {
      const { room_id: roomId } = await alice.createRoom({ preset: 'private_chat' as never });
      await expect(bob.knockRoom(roomId)).rejects.toMatchObject({ errcode: 'M_FORBIDDEN' });
    });

    it('refuses a knock on an unknown room or alias with M_NOT_FOUND', async () => {
      await expect(bob.knockRoom('!nowhere:localhost')).rejects.toMatchObject({ errcode: 'M_NOT_FOUND' });
      await expect(bob.knockRoom('#nowhere:localhost')).rejects.toMatchObject({ errcode: 'M_NOT_FOUND' });
    });
  });

  describe('space hierarchy', () => {
    let space: string;
    const names: Record<string, string> = {};

    const create = async (name: string, options: { space?: boolean; preset?: string } = {}) => {
      const { room_id: roomId } = await alice.createRoom({
        name,
        preset: (options.preset ?? 'public_chat') as never,
        ...(options.space ? { creation_content: { type: 'm.space' } } : {}),
      });
      names[roomId] = name;
      return roomId;
    };
    const addChild = (parent: string, child: string, content: Record<string, unknown> = {}) =>
      alice.sendStateEvent(parent, 'm.space.child' as never, { via: ['localhost'], ...content } as never, child);
    const named = (rooms: Array<{ room_id: string }>) => rooms.map((r) => names[r.room_id]);

    beforeAll(async () => {
      space = await create('Space', { space: true });
      const nested = await create('Nested space', { space: true });
      await addChild(space, await create('First'), { order: 'a' });
      await addChild(space, nested, { order: 'b', suggested: true });
      await addChild(space, await create('Private', { preset: 'private_chat' }), { order: 'c' });
      await addChild(space, await create('Second'), { order: 'd' });
      await addChild(nested, await create('Deep'));
    });

    it('pages through the tree depth first, leaving out rooms the user may not see', async () => {
      const first = await bob.getRoomHierarchy(space, 3);
      expect(named(first.rooms)).toEqual(['Space', 'First', 'Nested space']);
      expect(first.rooms[0].children_state.map((e) => e.state_key)).toHaveLength(4);
      expect(first.rooms[0].room_type).toBe('m.space');
      const second = await bob.getRoomHierarchy(space, 3, undefined, undefined, first.next_batch);
      expect(named(second.rooms)).toEqual(['Deep', 'Second']);
      expect(second.next_batch).toBeUndefined();
    });

    it("shows the space's own admin the private child", async () => {
      expect(named((await alice.getRoomHierarchy(space)).rooms)).toEqual([
        'Space',
        'First',
        'Nested space',
        'Deep',
        'Private',
        'Second',
      ]);
    });

    it('honours max_depth and suggested_only', async () => {
      expect(named((await bob.getRoomHierarchy(space, undefined, 0)).rooms)).toEqual(['Space']);
      expect(named((await bob.getRoomHierarchy(space, undefined, 1, true)).rooms)).toEqual(['Space', 'Nested space']);
    });

    it('refuses a token used with another max_depth', async () => {
      const first = await bob.getRoomHierarchy(space, 1);
      await expect(bob.getRoomHierarchy(space, 1, 2, undefined, first.next_batch)).rejects.toMatchObject({
        errcode: 'M_INVALID_PARAM',
      });
    });

    it('refuses the hierarchy of a room the user may not see with M_FORBIDDEN', async () => {
      const { room_id: hidden } = await alice.createRoom({ preset: 'private_chat' as never });
      await expect(bob.getRoomHierarchy(hidden)).rejects.toMatchObject({ errcode: 'M_FORBIDDEN' });
    });
  });
});
