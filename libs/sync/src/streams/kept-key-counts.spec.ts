import type { DeviceKeyCounts, DeviceKeyStore } from '@lattice/accounts';
import { InProcessBus } from '@lattice/bus';
import { KeptKeyCounts } from './kept-key-counts';

const ALICE = { userId: '@alice:hs', deviceId: 'A' };
const BOB = { userId: '@bob:hs', deviceId: 'B' };

/** A key store whose counts are the number of reads so far, so a kept answer is told from a fresh one. */
function setUp() {
  let reads = 0;
  let held: Promise<void> | undefined;
  const store = {
    syncCountsOf: async (devices: unknown[]): Promise<DeviceKeyCounts[]> => {
      const n = ++reads;
      await held;
      return devices.map(() => ({ oneTimeKeyCounts: { signed_curve25519: n }, unusedFallbackKeyTypes: [] }));
    },
  } as unknown as DeviceKeyStore;
  const bus = new InProcessBus();
  const kept = new KeptKeyCounts(store, bus);
  kept.onModuleInit();
  const count = async (device = ALICE) => (await kept.countsOf([device]))[0].oneTimeKeyCounts.signed_curve25519;
  const hold = (until: Promise<void>) => {
    held = until;
  };
  /** Publishes an announcement and waits until the kept counts have heard it (delivery starts on the next turn). */
  const announce = async <S extends 'output.oneTimeKeys' | 'output.sessions'>(
    subject: S,
    message: Parameters<typeof bus.publish<S>>[1],
  ) => {
    await bus.publish(subject, message);
    await bus.delivered();
  };
  return { kept, count, hold, announce };
}

describe('KeptKeyCounts', () => {
  it("keeps a device's counts between syncs", async () => {
    const { count } = setUp();
    expect([await count(), await count()]).toEqual([1, 1]);
  });

  it("reads a user's counts again once a change of their keys is announced, and only theirs", async () => {
    const { announce, count } = setUp();
    await count(ALICE);
    await count(BOB);
    await announce('output.oneTimeKeys', ALICE);
    expect([await count(ALICE), await count(BOB)]).toEqual([3, 2]);
    await announce('output.sessions', { userId: BOB.userId });
    expect(await count(BOB)).toBe(4);
  });

  it('does not keep a read that an announcement overtook', async () => {
    const { announce, count, hold } = setUp();
    let release!: () => void;
    hold(new Promise<void>((r) => (release = r)));
    const overtaken = count();
    await announce('output.oneTimeKeys', ALICE);
    release();
    expect(await overtaken).toBe(1);
    expect(await count()).toBe(2);
  });
});
