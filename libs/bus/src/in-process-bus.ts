import { Logger } from '@nestjs/common';
import type { BusContract, RequestSubject, StreamSubject } from '@lattice/contracts';
import { partitionOf } from '@lattice/contracts';
import type { BatchStreamHandler, Bus, ConsumerLag, RequestHandler, StreamHandler } from './bus';
import { RequestBatcher } from './request-batcher';

const durableLog = new Logger('InProcessBus');

/** A durable handler that failed gets its event again after this long, as JetStream's redelivery does (Bus.consumeDurable). */
const DURABLE_RETRY_MS = 1_000;
/** The most events a batch handler gets at once: a backlog is taken in bounded transactions. */
const MAX_BATCH = 500;

/** Resolves once the event loop's current turn (the promises it settles, the I/O it writes) is done. */
function afterThisTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** A durable consumer: the events published and not yet handled, and the loop handing them over while there are any. */
interface Durable {
  deliver(events: unknown[]): Promise<void>;
  queue: unknown[];
  draining?: Promise<void>;
}

/**
 * The bus of the single-process server: direct calls with the same
 * semantics as the NATS bus. Requests are batched in arrival order (the
 * room-server relies on that order to be each room's single writer); stream
 * consumers see events in publish order.
 */
export class InProcessBus implements Bus {
  private readonly logger = new Logger(InProcessBus.name);
  private readonly batchers = new Map<string, RequestBatcher<RequestSubject>>();
  private readonly consumers = new Map<string, Array<StreamHandler<StreamSubject>>>();
  private streamTail: Promise<void> = Promise.resolve();
  /** Publishes whose stream delivery has not finished. */
  private undelivered = 0;
  /** Durable consumers, each with its own queue: one that writes what it gets (the app-service sender) holds no other consumer back. */
  private readonly durables = new Map<string, Durable[]>();
  private closing = false;

  async request<S extends RequestSubject>(
    subject: S,
    request: BusContract[S]['request'],
    partitionKey: string,
  ): Promise<BusContract[S]['reply']> {
    const batcher = this.batchers.get(subject);
    if (!batcher) throw new Error(`No handler serves ${subject}`);
    return batcher.submit(request, { partition: partitionOf(partitionKey), epoch: 0n, mayBeRepeat: false });
  }

  serve<S extends RequestSubject>(subject: S, handler: RequestHandler<S>): void {
    this.batchers.set(subject, new RequestBatcher(subject, handler) as unknown as RequestBatcher<RequestSubject>);
  }

  publish<S extends StreamSubject>(subject: S, event: BusContract[S]['event']): Promise<void> {
    return this.publishAll(subject, [event]);
  }

  publishAll<S extends StreamSubject>(subject: S, events: ReadonlyArray<BusContract[S]['event']>): Promise<void> {
    const consumers = this.consumers.get(subject) ?? [];
    // Delivered after the publisher continues, in order, like a stream; a failing consumer does not stop the others.
    // An idle stream starts delivering on the next turn of the event loop (afterThisTurn), not on a microtask: the
    // reply of the request that published is written to its client first, instead of waiting for the consumers'
    // work (the /sync answers an event wakes, push evaluation) that would otherwise run between its promises.
    const start = this.undelivered++ === 0 ? afterThisTurn() : undefined;
    this.streamTail = this.streamTail
      .then(() => start)
      .then(async () => {
        for (const event of events)
          for (const consume of consumers)
            await Promise.resolve(consume(event as never)).catch((e: unknown) =>
              this.logger.warn(
                `A consumer of ${subject} failed; the other consumers still get the event, and consumers catch up from the store: ${String(e)}`,
              ),
            );
      })
      .finally(() => this.undelivered--);
    for (const durable of this.durables.get(subject) ?? []) {
      durable.queue.push(...events);
      durable.draining ??= afterThisTurn().then(() => this.drain(durable));
    }
    return Promise.resolve();
  }

  /** Hands the queue over until it is empty; what is published meanwhile joins the next batch. */
  private async drain(durable: Durable): Promise<void> {
    while (durable.queue.length > 0) await durable.deliver(durable.queue.splice(0, MAX_BATCH));
    durable.draining = undefined;
  }

  /**
   * Until the handler resolves (at least once, as over NATS): a failure such as a lost database
   * connection must not drop an event the push service or the app-service router has yet to record. The
   * events behind it wait, so the handler's order holds. A stopping process gives up: what it did not
   * record, the next start takes up from the store.
   */
  private async untilHandled(subject: StreamSubject, handle: () => Promise<void> | void): Promise<void> {
    for (;;) {
      try {
        await handle();
        return;
      } catch (e) {
        if (this.closing) {
          durableLog.error(
            `${subject} consumer: ${(e as Error).message}; not delivered again, the process is stopping`,
          );
          return;
        }
        durableLog.warn(`${subject} consumer: ${(e as Error).message}; delivering it again in ${DURABLE_RETRY_MS} ms`);
        await new Promise((resolve) => setTimeout(resolve, DURABLE_RETRY_MS));
      }
    }
  }

  /** Resolves once what was published so far has reached the stream consumers (consume; durable ones go at their own pace). */
  async delivered(): Promise<void> {
    await this.streamTail;
  }

  consume<S extends StreamSubject>(subject: S, handler: StreamHandler<S>): void {
    const list = this.consumers.get(subject) ?? [];
    list.push(handler as unknown as StreamHandler<StreamSubject>);
    this.consumers.set(subject, list);
  }

  async consumerLag(): Promise<ConsumerLag[]> {
    return [];
  }

  /**
   * In one process publisher and consumer live and die together, so nothing is published while the
   * consumer is down. Each handler has a chain of its own: its events stay in order, and a slow one
   * (push evaluation of a large room) holds up no other consumer.
   */
  async consumeDurable<S extends StreamSubject>(subject: S, _name: string, handler: StreamHandler<S>): Promise<void> {
    this.addDurable(subject, async (events) => {
      for (const event of events) await this.untilHandled(subject, () => handler(event as never));
    });
  }

  async consumeDurableBatches<S extends StreamSubject>(
    subject: S,
    _name: string,
    handler: BatchStreamHandler<S>,
  ): Promise<void> {
    this.addDurable(subject, (events) => this.untilHandled(subject, () => handler(events as never)));
  }

  private addDurable(subject: StreamSubject, deliver: Durable['deliver']): void {
    const list = this.durables.get(subject) ?? [];
    list.push({ deliver, queue: [] });
    this.durables.set(subject, list);
  }

  async checkReady(): Promise<void> {
    // In one process the bus is a function call: it is there while the process is.
  }

  async close(): Promise<void> {
    this.closing = true;
    for (const batcher of this.batchers.values()) await batcher.idle();
    await this.streamTail;
    for (const list of this.durables.values()) for (const durable of list) await durable.draining;
  }
}
