import { Injectable } from '@nestjs/common';

/**
 * Wakes long-polling /sync requests. A waiter registers the user and rooms
 * it cares about *before* reading stream positions, so a change that lands
 * between its read and its wait still wakes it; a waiter that misses a
 * wake-up (e.g. another process's publish lost) re-checks on its timeout.
 */
@Injectable()
export class SyncNotifier {
  private readonly waiters = new Set<Waiter>();

  /** Registers interest; call `wait()` on the result after reading positions. */
  register(userId: string, roomIds: Iterable<string>): Waiter {
    const waiter = new Waiter(userId, new Set(roomIds), () => this.waiters.delete(waiter));
    this.waiters.add(waiter);
    return waiter;
  }

  /** Something changed for these users or rooms. */
  notify(change: { userIds?: Iterable<string>; roomId?: string }): void {
    const users = new Set(change.userIds ?? []);
    for (const waiter of this.waiters) {
      if (users.has(waiter.userId) || (change.roomId !== undefined && waiter.roomIds.has(change.roomId))) waiter.wake();
    }
  }

  get waiting(): number {
    return this.waiters.size;
  }
}

export class Waiter {
  private woken = false;
  private resolve: (() => void) | undefined;

  constructor(
    readonly userId: string,
    readonly roomIds: Set<string>,
    private readonly release: () => void,
  ) {}

  wake(): void {
    this.woken = true;
    this.resolve?.();
  }

  /** Resolves when woken (immediately if already woken since registering), after `ms`, or when `signal` aborts. */
  async wait(ms: number, signal?: AbortSignal): Promise<void> {
    if (this.woken || ms <= 0 || signal?.aborted) return;
    await new Promise<void>((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', finish);
        resolve();
      };
      const timer = setTimeout(finish, ms);
      signal?.addEventListener('abort', finish);
      this.resolve = finish;
    });
  }

  /** Re-arms the waiter for another round. */
  reset(): void {
    this.woken = false;
    this.resolve = undefined;
  }

  done(): void {
    this.release();
  }
}
