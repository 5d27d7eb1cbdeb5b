import type { OutputRoomEvent } from '@lattice/contracts';
import type { Pdu } from '@lattice/protocol';
import type { SlidingRoomReader } from '../sliding/sliding-room-reader';
import { KeptRoomSummaries } from './kept-room-summaries';
import { RecentRoomEvents } from './recent-room-events';

const event = (streamPos: number, roomId: string, type = 'm.room.message', stateKey?: string): OutputRoomEvent => ({
  roomId,
  eventId: `$${streamPos}`,
  streamPos: String(streamPos),
  pdu: { type, sender: '@a:hs', ...(stateKey !== undefined ? { state_key: stateKey } : {}) } as unknown as Pdu,
});

/** A room reader whose joined count is the number of reads so far, so a kept summary is told from a fresh one. */
function setUp() {
  let reads = 0;
  const rooms = {
    memberCounts: async (roomIds: string[]) => {
      reads++;
      return new Map(roomIds.map((id) => [id, { joined: reads, invited: 0 }]));
    },
    namedRooms: async () => new Set<string>(),
    heroCandidates: async (roomIds: string[]) => new Map(roomIds.map((id) => [id, []])),
  } as unknown as SlidingRoomReader;
  const recent = new RecentRoomEvents();
  const kept = new KeptRoomSummaries(rooms, recent);
  const joined = async (roomId: string, upTo: number) => (await kept.of([roomId], BigInt(upTo)))[0].joined;
  const hear = (...events: OutputRoomEvent[]) => events.forEach((e) => recent.remember(e));
  return { joined, hear };
}

describe('KeptRoomSummaries', () => {
  it("keeps a room's summary while only messages were heard since", async () => {
    const { joined, hear } = setUp();
    hear(event(1, '!a'));
    expect(await joined('!a', 1)).toBe(1);
    hear(event(2, '!a'), event(3, '!b'));
    expect(await joined('!a', 3)).toBe(1);
  });

  it("reads a room's summary again after a state event of that room, and only that room's", async () => {
    const { joined, hear } = setUp();
    hear(event(1, '!a'), event(2, '!b'));
    expect([await joined('!a', 2), await joined('!b', 2)]).toEqual([1, 2]);
    hear(event(3, '!a', 'm.room.member', '@c:hs'));
    expect([await joined('!a', 3), await joined('!b', 3)]).toEqual([3, 2]);
  });

  it('reads again after a redaction in the room: it may have emptied a member event', async () => {
    const { joined, hear } = setUp();
    hear(event(1, '!a'));
    await joined('!a', 1);
    hear(event(2, '!a', 'm.room.redaction'));
    expect(await joined('!a', 2)).toBe(2);
  });

  it('reads again when the worker did not hear every event since', async () => {
    const { joined, hear } = setUp();
    hear(event(1, '!a'));
    await joined('!a', 1);
    hear(event(3, '!a'));
    expect(await joined('!a', 3)).toBe(2);
  });

  it('serves an earlier position from a summary kept for a later one: the store gives the current summary too', async () => {
    const { joined, hear } = setUp();
    hear(event(1, '!a'), event(2, '!a'));
    await joined('!a', 2);
    expect(await joined('!a', 1)).toBe(1);
  });
});
