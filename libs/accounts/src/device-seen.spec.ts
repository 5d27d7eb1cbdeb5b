import type { Bus } from '@lattice/bus';
import type { PrismaClient } from '@lattice/storage';
import { AccountStore } from './account-store';
import type { DeviceListStore } from './device-list-store';

describe('AccountStore.deviceSeen', () => {
  function storeWith(updateMany: jest.Mock) {
    const db = { device: { updateMany } } as unknown as PrismaClient;
    const bus = { consume: () => undefined, publish: async () => undefined } as unknown as Bus;
    return new AccountStore(db, bus, {} as DeviceListStore);
  }

  it('writes when and from where a device was seen', async () => {
    const updateMany = jest.fn().mockResolvedValue({ count: 1 });
    await storeWith(updateMany).deviceSeen('@a:x', 'D', '10.0.0.1');
    expect(updateMany).toHaveBeenCalledWith({
      where: { userId: '@a:x', deviceId: 'D' },
      data: { lastSeenTs: expect.any(BigInt), lastSeenIp: '10.0.0.1' },
    });
  });

  it('writes a device at most once in a few minutes', async () => {
    const updateMany = jest.fn().mockResolvedValue({ count: 1 });
    const store = storeWith(updateMany);
    await store.deviceSeen('@a:x', 'D', '10.0.0.1');
    await store.deviceSeen('@a:x', 'D', '10.0.0.2');
    expect(updateMany).toHaveBeenCalledTimes(1);
  });

  it('writes each device on its own schedule', async () => {
    const updateMany = jest.fn().mockResolvedValue({ count: 1 });
    const store = storeWith(updateMany);
    await store.deviceSeen('@a:x', 'D', '10.0.0.1');
    await store.deviceSeen('@a:x', 'E', '10.0.0.1');
    expect(updateMany).toHaveBeenCalledTimes(2);
  });

  it('tries again on the next request after a failed write, without failing the request', async () => {
    const updateMany = jest.fn().mockRejectedValueOnce(new Error('database gone')).mockResolvedValue({ count: 1 });
    const store = storeWith(updateMany);
    await expect(store.deviceSeen('@a:x', 'D', '10.0.0.1')).resolves.toBeUndefined();
    await store.deviceSeen('@a:x', 'D', '10.0.0.1');
    expect(updateMany).toHaveBeenCalledTimes(2);
  });
});
