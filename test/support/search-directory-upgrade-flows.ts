import { setTimeout as sleep } from 'node:timers/promises';
import type { MatrixClient } from 'matrix-js-sdk';
import type { RunningServer } from './client-flows';
import { eventually, registerClient } from './matrix-client';

/**
 * Search, the user directory, room upgrades and peeking as matrix-js-sdk
 * clients use them (client-server-api "Server Side Search", "User
 * Directory", "Room Upgrades", "Peeking").
 */
export function searchDirectoryUpgradeFlows(start: () => Promise<RunningServer>): void {
  // Two syncing clients and a peeking one on a machine other work shares: more than jest's default 5 s.
  jest.setTimeout(30_000);
  let server: RunningServer;
  let alice: MatrixClient;
  let bob: MatrixClient;

  beforeAll(async () => {
    server = await start();
    alice = await registerClient(server.url, 'sdk-search-alice');
    bob = await registerClient(server.url, 'sdk-search-bob');
    await Promise.all([alice.startClient({ initialSyncLimit: 5 }), bob.startClient({ initialSyncLimit: 5 })]);
  }, 60_000);
  afterAll(async () => {
    alice?.stopClient();
    bob?.stopClient();
    await server?.close();
  });

  async function sharedRoom(): Promise<string> {
    const { room_id: roomId } = await alice.createRoom({ preset: 'public_chat' as never, name: 'Upgrade me' });
    await bob.joinRoom(roomId);
    return roomId;
  }

  it('finds a message with the events around it', async () => {
    const roomId = await sharedRoom();
    await alice.sendTextMessage(roomId, 'the weather is lovely');
    await bob.sendTextMessage(roomId, 'the kettle is boiling');
    await alice.sendTextMessage(roomId, 'tea for two');
    const found = await bob.searchRoomEvents({ term: 'kettle' });
    expect(found.results).toHaveLength(1);
    const context = found.results[0].context;
    expect(context.getEvent().getContent().body).toBe('the kettle is boiling');
    expect(context.getTimeline().map((e) => e.getContent().body)).toEqual([
      'the weather is lovely',
      'the kettle is boiling',
      'tea for two',
    ]);
  });

  it('finds a room-mate in the user directory by display name', async () => {
    await bob.setDisplayName('Bob the Builder');
    const { results } = await eventually('the new display name to be searchable', async () => {
      const answer = await alice.searchUserDirectory({ term: 'builder' });
      return answer.results.length > 0 && answer;
    });
    expect(results).toEqual([expect.objectContaining({ user_id: bob.getUserId(), display_name: 'Bob the Builder' })]);
  });

  it('moves both users to the upgraded room; the old one shows the tombstone', async () => {
    const oldRoomId = await sharedRoom();
    const { replacement_room: newRoomId } = await alice.upgradeRoom(oldRoomId, '11');
    const tombstone = await eventually('bob to see the tombstone', () =>
      bob.getRoom(oldRoomId)?.currentState.getStateEvents('m.room.tombstone', ''),
    );
    expect(tombstone.getContent().replacement_room).toBe(newRoomId);
    await bob.joinRoom(newRoomId, { viaServers: [tombstone.getSender()!.split(':')[1]] });
    const newRoom = await eventually(
      'bob to have the new room',
      () => bob.getRoom(newRoomId)?.getMyMembership() === 'join' && bob.getRoom(newRoomId),
    );
    expect(newRoom.findPredecessor()?.roomId).toBe(oldRoomId);
    expect(newRoom.name).toBe('Upgrade me');
    expect(newRoom.getVersion()).toBe('11');
    expect(alice.getRoom(newRoomId)?.getMyMembership()).toBe('join');
    // The old room's power levels no longer let an ordinary member speak.
    await expect(bob.sendTextMessage(oldRoomId, 'still here?')).rejects.toMatchObject({ errcode: 'M_FORBIDDEN' });
  });

  it('lets a non-member peek into a world-readable room and follow what is said there', async () => {
    const { room_id: roomId } = await alice.createRoom({
      preset: 'public_chat' as never,
      initial_state: [
        { type: 'm.room.history_visibility', state_key: '', content: { history_visibility: 'world_readable' } },
      ],
    });
    await alice.sendTextMessage(roomId, 'said before the peek');
    const carol = await registerClient(server.url, 'sdk-search-carol');
    try {
      // peekInRoom reads /rooms/{roomId}/initialSync, then long-polls GET /events for the room.
      const room = await carol.peekInRoom(roomId);
      const bodies = () =>
        room
          .getLiveTimeline()
          .getEvents()
          .filter((e) => e.getType() === 'm.room.message')
          .map((e) => e.getContent().body);
      expect(bodies()).toContain('said before the peek');
      // matrix-js-sdk's first GET /events has no `from`, so it follows from whenever the server receives it, and
      // a message sent right after peekInRoom may come before that (spec: old_sync.yaml). Alice talks on until
      // the peeker hears her.
      const heard = () => bodies().some((body) => body.startsWith('said during the peek'));
      for (let said = 1; said <= 10 && !heard(); said++) {
        await alice.sendTextMessage(roomId, `said during the peek ${said}`);
        for (const end = Date.now() + 2_000; !heard() && Date.now() < end;) await sleep(25);
      }
      expect(heard()).toBe(true);
    } finally {
      carol.stopPeeking();
    }
  });
}
