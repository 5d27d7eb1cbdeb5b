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
}

export type RequestHandler<S extends RequestSubject> = (request: BusContract[S]['request'], context: PartitionContext) => Promise<BusContract[S]['reply']>;
export type StreamHandler<S extends StreamSubject> = (event: BusContract[S]['event']) => Promise<void> | void;

/**
 * How services talk. The same handlers run over the in-process bus (one
 * process) or NATS JetStream (services mode); only the transport differs.
 */
export interface Bus {
  /** Sends a request and awaits its reply (room input: routed by room partition). */
  request<S extends RequestSubject>(subject: S, request: BusContract[S]['request'], partitionKey: string): Promise<BusContract[S]['reply']>;
  /** Serves requests of a subject; requests with the same partition key are handled one at a time, in order. */
  serve<S extends RequestSubject>(subject: S, handler: RequestHandler<S>): void;
  /** Publishes to a stream: every consumer gets every event, in order. */
  publish<S extends StreamSubject>(subject: S, event: BusContract[S]['event']): Promise<void>;
  consume<S extends StreamSubject>(subject: S, handler: StreamHandler<S>): void;
  close(): Promise<void>;
}

/** Dependency-injection token of the process's Bus. */
export const BUS = Symbol('Bus');
