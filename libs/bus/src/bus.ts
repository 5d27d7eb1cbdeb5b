import type { BusContract, RequestSubject, StreamSubject } from '@lattice/contracts';

/** What the bus tells a request handler about the partition it is serving. */
export interface PartitionContext {
  partition: number;
  /**
   * The writer epoch of this process's hold on the partition: it grows every
   * time a process takes the partition over, so state cached under an older
   * epoch is stale and writes under it are fenced. Always 0 in one process.
   */
  epoch: bigint;
  /**
   * Whether the request may have been handled before: the stream delivered
   * it again (its acknowledgement was lost, or its handler's process died),
   * or it is retried after its batch failed. A request seen for the first
   * time cannot have been, so its handler need not look for a record of it.
   */
  mayBeRepeat: boolean;
}

/** A request as its handler gets it: the message and the partition it came in on. */
/** How a durable consumer takes its events. */
export interface DurableOptions {
  /** One unacknowledged event at a time, so the consumers sharing the name handle the stream in order. */
  ordered?: boolean;
}

export interface BusRequest<S extends RequestSubject> {
  request: BusContract[S]['request'];
  context: PartitionContext;
}

/**
 * Handles a batch of requests (those that queued while the previous batch
 * ran, in arrival order) and returns one reply per request, in the same
 * order. Throwing fails the batch; the bus then retries it one by one.
 */
export type RequestHandler<S extends RequestSubject> = (
  batch: ReadonlyArray<BusRequest<S>>,
) => Promise<Array<BusContract[S]['reply']>>;
export type StreamHandler<S extends StreamSubject> = (event: BusContract[S]['event']) => Promise<void> | void;
/** Handles several events of a stream at once, in order; throwing has every one of them delivered again. */
export type BatchStreamHandler<S extends StreamSubject> = (
  events: ReadonlyArray<BusContract[S]['event']>,
) => Promise<void>;

/** How far a consumer of this process is behind its stream (JetStream's num_pending and num_ack_pending). */
export interface ConsumerLag {
  consumer: string;
  /** For room input: the partition. */
  partition?: number;
  pending: number;
  ackPending: number;
}

/**
 * How services talk. The same handlers run over the in-process bus (one
 * process) or NATS JetStream (services mode); only the transport differs.
 */
export interface Bus {
  /** Sends a request and awaits its reply (room input: routed by room partition). */
  request<S extends RequestSubject>(
    subject: S,
    request: BusContract[S]['request'],
    partitionKey: string,
  ): Promise<BusContract[S]['reply']>;
  /** Serves requests of a subject in batches (see RequestBatcher); requests with the same partition key are handled in order. */
  serve<S extends RequestSubject>(subject: S, handler: RequestHandler<S>): void;
  /**
   * Publishes to a stream: every consumer gets every event, in the order of
   * the publish calls, even when a call is made before the previous one resolved.
   */
  publish<S extends StreamSubject>(subject: S, event: BusContract[S]['event']): Promise<void>;
  /** Publishes several events at once, in order: what one commit produced travels together. */
  publishAll<S extends StreamSubject>(subject: S, events: ReadonlyArray<BusContract[S]['event']>): Promise<void>;
  consume<S extends StreamSubject>(subject: S, handler: StreamHandler<S>): void;
  /**
   * Consumes a stream so that nothing is missed, under a durable name shared by every process that
   * uses it: every event published since the name was first consumed reaches one of them, also what
   * was published while none ran, and is delivered again until its handler resolves (at least once:
   * handlers must be idempotent). `ordered` hands the events over one at a time, in order (the
   * app-service sender's transactions need it); otherwise a small window is in flight at once.
   * Over NATS a durable JetStream consumer; in one process a queue of its own per handler.
   * Resolves once the consumer exists: from then on nothing published is missed.
   */
  consumeDurable<S extends StreamSubject>(
    subject: S,
    name: string,
    handler: StreamHandler<S>,
    options?: DurableOptions,
  ): Promise<void>;
  /**
   * consumeDurable for a handler that does better with many events at once (one transaction for all of
   * them): it gets, in order, what was published while its previous batch ran (in one process) or what
   * one publish carried (over NATS: one commit's events). A failed batch is delivered again whole.
   */
  consumeDurableBatches<S extends StreamSubject>(
    subject: S,
    name: string,
    handler: BatchStreamHandler<S>,
  ): Promise<void>;
  /** Resolves if the bus carries messages now, rejects otherwise: readiness (a process that cannot reach it can serve nothing that writes). */
  checkReady(): Promise<void>;
  /** The lag of this process's consumers (none in one process: the in-process bus hands messages over at once). */
  consumerLag(): Promise<ConsumerLag[]>;
  close(): Promise<void>;
}

/** Dependency-injection token of the process's Bus. */
export const BUS = Symbol('Bus');
