import { SyncNotifier } from './notifier';

describe('SyncNotifier', () => {
  it('wakes a waiter for its user', async () => {
    const notifier = new SyncNotifier();
    const waiter = notifier.register('@a:x', []);
    setTimeout(() => notifier.notify({ userIds: ['@a:x'] }), 5);
    const started = Date.now();
    await waiter.wait(10_000);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('wakes waiters of a room', async () => {
    const notifier = new SyncNotifier();
    const waiter = notifier.register('@a:x', ['!r:x']);
    notifier.notify({ roomId: '!r:x' });
    await waiter.wait(10_000);
  });

  it('stops waiting when its signal aborts', async () => {
    const waiter = new SyncNotifier().register('@a:x', []);
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 5);
    await waiter.wait(60_000, abort.signal);
    expect(abort.signal.aborted).toBe(true);
  });

  it('remembers a wake-up that came before the wait', async () => {
    const notifier = new SyncNotifier();
    const waiter = notifier.register('@a:x', []);
    notifier.notify({ userIds: ['@a:x'] });
    await waiter.wait(10_000);
  });

  it('does not wake other users and releases waiters when done', async () => {
    const notifier = new SyncNotifier();
    const waiter = notifier.register('@a:x', []);
    notifier.notify({ userIds: ['@b:x'] });
    await waiter.wait(20);
    waiter.done();
    expect(notifier.waiting).toBe(0);
  });
});
