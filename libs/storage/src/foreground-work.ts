import { setImmediate } from 'node:timers/promises';
import { Injectable } from '@nestjs/common';

/**
 * Foreground work first, within one process. A send's statements queue on
 * the same database as the push service's (embedded: one session running
 * one statement at a time; Postgres: one pool, two shared cores), and its
 * callbacks on the same event loop: in a room of 10,000 members, a message's
 * evaluation, notification rows and pushes are hundreds of statements and
 * thousands of requests, and a send landing among them waited behind them
 * (+156 ms p99 embedded, +262 ms on Postgres). Foreground work (room input:
 * sends, joins, state) marks itself with `during`; background work asks
 * `turn` before each of its statements or batches and goes once the
 * foreground work under way has finished, or has run maxWaitMs. Work that
 * starts later is not waited for, so a steady stream of sends slows
 * background work down but never stops it, and work that runs long holds it
 * up once, not at every turn. Background work that foreground work is
 * waiting for is foreground work itself: a /sync answer waits for its
 * events' push evaluation (so their unread counts come with them), and while
 * one does (`awaiting`), the evaluation asks `awaitedTurn`, which does not
 * wait; holding it back behind the sends delayed every answer (fan-out,
 * embedded: delivery p50 1.4 s before the evaluation asked for its turn, 2.4 s
 * after). It is an order within this process only: in services mode the push
 * service has a process (and database connections) of its own.
 */
@Injectable()
export class ForegroundWork {
  /**
   * The longest background work waits for one piece of foreground work, counted from when that work started: a
   * room input can take seconds (a join through another server), and push must not wait that out, nor wait it out
   * again at each of its statements.
   */
  maxWaitMs = 100;
  /** Foreground work under way (settling, never rejecting), with when background work stops waiting for it. */
  private readonly underway = new Map<Promise<unknown>, number>();
  /** Foreground work waiting for background work's results now. */
  private awaited = 0;

  /** Runs foreground work: background work asking for its turn meanwhile waits for it. */
  during<T>(work: () => Promise<T>): Promise<T> {
    const running = work();
    const settled = running.then(
      () => undefined,
      () => undefined,
    );
    this.underway.set(settled, performance.now() + this.maxWaitMs);
    void settled.then(() => this.underway.delete(settled));
    return running;
  }

  /** Runs foreground work that waits for background work: meanwhile awaitedTurn does not hold that work back. */
  async awaiting<T>(wait: () => Promise<T>): Promise<T> {
    this.awaited++;
    try {
      return await wait();
    } finally {
      this.awaited--;
    }
  }

  /** turn() for background work that foreground work may be waiting for: goes at once while some is (awaiting). */
  async awaitedTurn(): Promise<void> {
    if (this.awaited > 0) await setImmediate();
    else await this.turn();
  }

  /**
   * For background work, before each statement or batch: lets what arrived meanwhile (a request) start first, then
   * resolves when no foreground work is under way, or once what is under way now is done or has had its maxWaitMs.
   */
  async turn(): Promise<void> {
    await setImmediate();
    const now = performance.now();
    const waited = [...this.underway].filter(([, until]) => until > now);
    if (waited.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(waited.map(([settled]) => settled)),
      new Promise<void>(
        (resolve) => (timer = setTimeout(resolve, Math.max(...waited.map(([, until]) => until)) - now)),
      ),
    ]);
    clearTimeout(timer);
  }
}
