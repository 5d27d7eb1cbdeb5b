import type { BusContract, RequestSubject, StreamSubject } from '@lattice/contracts';
import { partitionOf } from '@lattice/contracts';
import type { Bus, RequestHandler, StreamHandler } from './bus';

/**
 * The bus of the single-process server: direct calls with the same
 * semantics as the NATS bus. Requests of one partition run one at a time in
 * arrival order (the room-server relies on it to be each room's single
 * writer); stream consumers see events in publish order.
 */
export class InProcessBus implements Bus {
  private readonly handlers = new Map<string, RequestHandler<RequestSubject>>();
  private readonly consumers = new Map<string, Array<StreamHandler<StreamSubject>>>();
  private readonly partitionTails = new Map<number, Promise<unknown>>();
  private streamTail: Promise<void> = Promise.resolve();

  async request<S extends RequestSubject>(subject: S, request: BusContract[S]['request'], partitionKey: string): Promise<BusContract[S]['reply']> {
    const handler = this.handlers.get(subject);
    if (!handler) throw new Error(`No handler serves ${subject}`);
    const partition = partitionOf(partitionKey);
    const previous = this.partitionTails.get(partition) ?? Promise.resolve();
    const result = previous.then(() => handler(request, { partition, epoch: 0n }));
    const tail = result.catch(() => undefined);
    this.partitionTails.set(partition, tail);
    void tail.then(() => {
      if (this.partitionTails.get(partition) === tail) this.partitionTails.delete(partition);
    });
    return result as Promise<BusContract[S]['reply']>;
  }

  serve<S extends RequestSubject>(subject: S, handler: RequestHandler<S>): void {
    this.handlers.set(subject, handler as unknown as RequestHandler<RequestSubject>);
  }

  publish<S extends StreamSubject>(subject: S, event: BusContract[S]['event']): Promise<void> {
    const consumers = this.consumers.get(subject) ?? [];
    // Delivered after the publisher continues, in order, like a stream; a failing consumer does not stop the others.
    this.streamTail = this.streamTail.then(async () => {
      for (const consume of consumers) await Promise.resolve(consume(event as never)).catch(() => undefined);
    });
    return Promise.resolve();
  }

  consume<S extends StreamSubject>(subject: S, handler: StreamHandler<S>): void {
    const list = this.consumers.get(subject) ?? [];
    list.push(handler as unknown as StreamHandler<StreamSubject>);
    this.consumers.set(subject, list);
  }

  async close(): Promise<void> {
    await this.streamTail;
  }
}
