import { InProcessBus } from '@lattice/bus';
import { KeptRoomPushContexts } from './kept-room-push-contexts';
import type { RoomPushContextReader } from './room-push-context';

/** A room reader whose member count is the number of reads so far, at the snapshot the room is at now. */
function setUp() {
  let reads = 0;
  let snapshot = '7';
  let held: Promise<void> | undefined;
  const rooms = {
    read: async () => {
      const n = ++reads;
      const at = snapshot;
      await held;
      return { snapshot: at, memberCount: n, customRules: new Map() };
    },
  } as unknown as RoomPushContextReader;
  const bus = new InProcessBus();
  const kept = new KeptRoomPushContexts(rooms, bus);
  kept.onModuleInit();
  const count = async (eventSnapshot: string | undefined) => (await kept.contextOf('!a', eventSnapshot)).memberCount;
  const moveTo = (next: string) => {
    snapshot = next;
  };
  const hold = (until: Promise<void>) => {
    held = until;
  };
  const announce = async (stream: 'accountData' | 'receipts') => {
    await bus.publish('output.streams', { stream, position: '1', userIds: ['@a:hs'] });
    await bus.delivered();
  };
  return { count, moveTo, hold, announce };
}

describe('KeptRoomPushContexts', () => {
  it("keeps a room's context for the events of the state it was read at", async () => {
    const { count } = setUp();
    expect([await count('7'), await count('7')]).toEqual([1, 1]);
  });

  it("reads it again for an event of another state: the room's state changed", async () => {
    const { count, moveTo } = setUp();
    await count('7');
    moveTo('8');
    expect([await count('8'), await count('8')]).toEqual([2, 2]);
  });

  it('reads it for an event whose state is not known (from the store, after a stop), and keeps what it read', async () => {
    const { count } = setUp();
    expect([await count(undefined), await count('7')]).toEqual([1, 1]);
  });

  it("forgets it when account data is announced (a member's rules may have changed), not for other streams", async () => {
    const { count, announce } = setUp();
    await count('7');
    await announce('receipts');
    expect(await count('7')).toBe(1);
    await announce('accountData');
    expect(await count('7')).toBe(2);
  });

  it('does not keep a read that an account data announcement overtook', async () => {
    const { count, hold, announce } = setUp();
    let release!: () => void;
    hold(new Promise<void>((r) => (release = r)));
    const overtaken = count('7');
    await announce('accountData');
    release();
    expect(await overtaken).toBe(1);
    hold(Promise.resolve());
    expect(await count('7')).toBe(2);
  });
});
