import type { Bus } from '@lattice/bus';
import type { PrismaClient } from '@lattice/storage';
import { AccountStore } from './account-store';
import type { DeviceListStore } from './device-list-store';

describe('AccountStore.startSession: the device rows a login writes', () => {
  function storeWith(transaction: jest.Mock, reads: Record<string, unknown> = {}) {
    const write = (what: string) => jest.fn((args: unknown) => ({ what, args }));
    const db = {
      device: {
        create: write('device.create'),
        upsert: write('device.upsert'),
        findUnique: jest.fn().mockResolvedValue(null),
      },
      accessToken: { create: write('accessToken.create'), deleteMany: write('accessToken.deleteMany') },
      refreshToken: { create: write('refreshToken.create'), deleteMany: write('refreshToken.deleteMany') },
      $transaction: transaction,
      ...reads,
    } as unknown as PrismaClient;
    const bus = { consume: () => undefined, publish: async () => undefined } as unknown as Bus;
    return new AccountStore(db, bus, {} as DeviceListStore);
  }
  const written = (transaction: jest.Mock, call = 0) =>
    (transaction.mock.calls[call][0] as Array<{ what: string }>).map((w) => w.what);

  it('creates the new device with its token, replacing nothing', async () => {
    const transaction = jest.fn().mockResolvedValue([]);
    const session = await storeWith(transaction).startSession('@a:x', { displayName: 'phone' });
    expect(session.deviceId).toMatch(/^[A-Z]{10}$/);
    expect(written(transaction)).toEqual(['device.create', 'accessToken.create']);
  });

  it('makes up another device ID when the first is one the user has', async () => {
    const transaction = jest
      .fn()
      .mockRejectedValueOnce(Object.assign(new Error('unique constraint'), { code: 'P2002' }))
      .mockResolvedValue([]);
    const session = await storeWith(transaction).startSession('@a:x', {});
    expect(transaction).toHaveBeenCalledTimes(2);
    const [first, second] = transaction.mock.calls.map(
      (call) => (call[0] as Array<{ args: { data: { deviceId: string } } }>)[0].args.data.deviceId,
    );
    expect(second).not.toEqual(first);
    expect(session.deviceId).toEqual(second);
  });

  it('still replaces the device and tokens of a device ID the client names', async () => {
    const transaction = jest.fn().mockResolvedValue([]);
    const store = storeWith(transaction, {
      crossSigningKey: { count: jest.fn().mockResolvedValue(0) },
      dehydratedDevice: { count: jest.fn().mockResolvedValue(0) },
    });
    await store.startSession('@a:x', { deviceId: 'KNOWN' });
    expect(written(transaction)).toEqual([
      'device.upsert',
      'accessToken.deleteMany',
      'refreshToken.deleteMany',
      'accessToken.create',
    ]);
  });
});
