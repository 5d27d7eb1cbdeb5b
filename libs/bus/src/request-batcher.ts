import { context, trace, type Context, type Link } from '@opentelemetry/api';
import type { BusContract, RequestSubject } from '@lattice/contracts';
import { roomInputBatchDuration, roomInputBatchSize } from '@lattice/telemetry';
import type { BusRequest, PartitionContext, RequestHandler } from './bus';

/** The most requests one handler call gets: bounds a batch's transaction and its latency. */
export const MAX_BATCH = 100;

const tracer = trace.getTracer('lattice-bus');

interface Queued<S extends RequestSubject> {
  item: BusRequest<S>;
  trace: Context;
  resolve: (reply: BusContract[S]['reply']) => void;
  reject: (error: Error) => void;
}

/**
 * Group commit for a request subject. Requests queue while the handler is
 * busy; when it is free it gets everything queued (up to MAX_BATCH) as one
 * batch, so under load a batch of inputs costs one transaction instead of
 * one each, and when idle a request is handled alone at once. One batch
 * runs at a time and the queue is first-in first-out, so requests of one
 * partition are handled in order. A batch that fails is retried one request
 * at a time: a request that cannot be handled fails alone.
 */
export class RequestBatcher<S extends RequestSubject> {
  private readonly queue: Array<Queued<S>> = [];
  private running: Promise<void> | undefined;

  constructor(
    private readonly subject: S,
    private readonly handler: RequestHandler<S>,
  ) {}

  submit(request: BusContract[S]['request'], partition: PartitionContext): Promise<BusContract[S]['reply']> {
    return new Promise((resolve, reject) => {
      this.queue.push({ item: { request, context: partition }, trace: context.active(), resolve, reject });
      this.running ??= this.drainSoon();
    });
  }

  /** Resolves once every submitted request has been answered. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /**
   * Starts draining after the I/O callbacks that are already due: requests
   * that arrived together then join one batch. (Work that never yields to
   * I/O, such as an embedded database, would otherwise let each request run
   * alone before the next is even parsed.)
   */
  private async drainSoon(): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    try {
      await this.drain();
    } finally {
      this.running = undefined;
    }
  }

  private async drain(): Promise<void> {
    while (this.queue.length) {
      const batch = this.queue.splice(0, MAX_BATCH);
      try {
        const replies = await this.run(batch);
        batch.forEach((queued, i) => queued.resolve(replies[i]));
      } catch (error) {
        if (batch.length === 1) batch[0].reject(error as Error);
        // The batch may have failed after its writes committed: each retried request may have been handled.
        else
          for (const queued of batch)
            await this.run([asRepeat(queued)]).then(
              ([reply]) => queued.resolve(reply),
              (e: Error) => queued.reject(e),
            );
      }
    }
  }

  /** Runs the handler in the first request's trace, linked to every other request's. */
  private run(batch: Array<Queued<S>>): Promise<Array<BusContract[S]['reply']>> {
    const links: Link[] = batch.slice(1).flatMap((q) => {
      const span = trace.getSpanContext(q.trace);
      return span ? [{ context: span }] : [];
    });
    // room.input is the only request subject, hence the metrics' names.
    roomInputBatchSize.observe(batch.length);
    const timer = roomInputBatchDuration.startTimer();
    return tracer.startActiveSpan(
      `${this.subject} batch`,
      { links, attributes: { 'lattice.batch.size': batch.length } },
      batch[0].trace,
      async (span) => {
        try {
          return await this.handler(batch.map((q) => q.item));
        } finally {
          timer();
          span.end();
        }
      },
    );
  }
}

function asRepeat<S extends RequestSubject>(queued: Queued<S>): Queued<S> {
  return { ...queued, item: { ...queued.item, context: { ...queued.item.context, mayBeRepeat: true } } };
}
