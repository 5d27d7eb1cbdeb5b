import type { OutputRoomEvent } from '@lattice/contracts';
import type { Pdu } from '@lattice/protocol';
import type { SyncRoomReads } from '@lattice/rooms';
import { KeptUserRooms } from './kept-user-rooms';
import { RecentRoomEvents } from './recent-room-events';

const ALICE = '@alice:hs';
const BOB = '@bob:hs';

const message = (streamPos: number): OutputRoomEvent => ({
  roomId: '!a',
  eventId: `$${streamPos}`,
  streamPos: String(streamPos),
  pdu: { type: 'm.room.message', sender: BOB } as unknown as Pdu,
});
const membership = (streamPos: number, userId: string): OutputRoomEvent => ({
  roomId: '!a',
  eventId: `$${streamPos}`,
  streamPos: String(streamPos),
  pdu: { type: 'm.room.member', sender: userId, state_key: userId } as unknown as Pdu,
  membershipOf: userId,
});

/** A room reader whose rooms' positions are the number of reads so far, so a kept list is told from a fresh one. */
function setUp() {
  let reads = 0;
  const reader = {
    roomsOfUsers: async (userIds: string[]) => {
      reads++;
      return new Map(userIds.map((id) => [id, [{ roomId: '!a', membership: 'join', streamPos: BigInt(reads) }]]));
    },
  } as unknown as SyncRoomReads;
  const recent = new RecentRoomEvents();
  const kept = new KeptUserRooms(reader, recent);
  const read = async (userId: string, upTo: number, initial = false) =>
    Number((await kept.roomsOf(userId, BigInt(upTo), initial))[0].streamPos);
  const hear = (...events: OutputRoomEvent[]) => events.forEach((e) => recent.remember(e));
  return { read, hear };
}

describe('KeptUserRooms', () => {
  it("keeps a user's rooms while only others' messages were heard since", async () => {
    const { read, hear } = setUp();
    hear(message(1));
    expect(await read(ALICE, 1)).toBe(1);
    hear(message(2), membership(3, BOB));
    expect(await read(ALICE, 3)).toBe(1);
  });

  it("reads a user's rooms again after their own membership event", async () => {
    const { read, hear } = setUp();
    hear(message(1));
    await read(ALICE, 1);
    hear(membership(2, ALICE));
    expect(await read(ALICE, 2)).toBe(2);
  });

  it('reads them again after state resolution moved their membership', async () => {
    const { read, hear } = setUp();
    hear(message(1));
    await read(ALICE, 1);
    hear({ ...message(2), resolvedMembershipsOf: [ALICE] });
    expect(await read(ALICE, 2)).toBe(2);
  });

  it('reads them again when the worker did not hear every event since', async () => {
    const { read, hear } = setUp();
    hear(message(1));
    await read(ALICE, 1);
    hear(message(3));
    expect(await read(ALICE, 3)).toBe(2);
  });

  it('reads them for an initial sync, kept or not', async () => {
    const { read, hear } = setUp();
    hear(message(1));
    await read(ALICE, 1);
    expect(await read(ALICE, 1, true)).toBe(2);
  });
});
