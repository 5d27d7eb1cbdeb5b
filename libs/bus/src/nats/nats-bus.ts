import { Logger } from '@nestjs/common';
import { SpanKind, trace } from '@opentelemetry/api';
import {
  AckPolicy,
  DeliverPolicy,
  JSONCodec,
  RetentionPolicy,
  StorageType,
  connect,
  createInbox,
  nanos,
  type Consumer,
  type ConsumerMessages,
  type JetStreamClient,
  type MsgHdrs,
  type JetStreamManager,
  type JsMsg,
  type KV,
  type NatsConnection,
  type StreamConfig,
} from 'nats';
import { partitionOf, type BusContract, type RequestSubject, type StreamSubject } from '@lattice/contracts';
import type { BatchStreamHandler, Bus, ConsumerLag, DurableOptions, RequestHandler, StreamHandler } from '../bus';
import {
  LEASE_BUCKET,
  MEMBER_BUCKET,
  OUTPUT_STREAM,
  REPLY_TO_HEADER,
  ROOM_INPUT_STREAM,
  outputSubject,
  roomInputConsumer,
  roomInputSubject,
} from './names';
import { RequestBatcher } from '../request-batcher';
import { PartitionConsumer } from './partition-consumer';
import { PartitionLeases } from './partition-leases';
import { decodeOutputPayload, encodeOutputPayloads } from './output-payload';
import { headersWithTrace, traceContextOf } from './trace-headers';

/** For the failures below that are deliberately gone past (see each one's message). */
const logger = new Logger('ensureStream');

const json = JSONCodec();
const durableLog = new Logger('DurableConsumer');
const tracer = trace.getTracer('lattice-bus');
/**
 * Unacknowledged inputs a partition may have in hand: what queues while a
 * batch runs, so the next batch can take them all. Redelivery after ack_wait
 * is harmless (the handler answers a repeated input from its record).
 */
const INPUT_WINDOW = 32;
/** Unacknowledged output messages a durable consumer may have in hand, across the processes sharing it. */
const DURABLE_WINDOW = 16;
/** A handler that has not finished by then is presumed dead and its message goes to another process. */
const DURABLE_ACK_WAIT_MS = 60_000;
/** How long a message whose handler failed waits before it is delivered again. */
const DURABLE_RETRY_MS = 2_000;
/** Bounds of the backoff between attempts to start a stream consumer. */
const CONSUMER_RETRY_MIN_MS = 250;
const CONSUMER_RETRY_MAX_MS = 5_000;
/** NATS's own default, for a server that does not say. */
const DEFAULT_MAX_PAYLOAD = 1024 * 1024;
/** Room left in a message for its headers (trace context). */
const HEADER_ALLOWANCE = 4096;

export interface NatsBusOptions {
  url: string;
  /** Room-input partitions: fixed for a deployment, the same in every process. */
  partitions: number;
  /** This process, as other processes see it (leases, connection name). */
  name: string;
  /** Takes the next writer epoch of a partition this process has just won (from Postgres). */
  claimEpoch: (partition: number, owner: string) => Promise<bigint>;
  /** How long a request waits for the room-server: longer than a lease takes to expire and the input to be redelivered. */
  requestTimeoutMs?: number;
  leaseTtlMs?: number;
}

interface UnsentRequest {
  subject: string;
  data: Uint8Array;
  headers: MsgHdrs;
  fail: (error: Error) => void;
}

interface PendingReply {
  resolve: (reply: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * The bus of services mode, over NATS JetStream.
 *
 * Room input is a work-queue stream with one subject and one durable
 * consumer per partition; the room-server replicas share the partitions
 * through leases (see PartitionLeases), so each room has one writer. A
 * request is published to the stream (stored, so it survives any process
 * dying) and its reply comes back over core NATS.
 *
 * Outputs go to a stream with limits retention, so consumers can be added
 * later and replay; the events of one publish call share messages (see
 * output-payload.ts). Each process consumes it with an ordered consumer from
 * the moment it starts: the event store is the source of truth and sync uses
 * output only to wake waiters and track typing.
 */
/** How long a readiness check waits for the NATS server to answer. */
const READY_TIMEOUT_MS = 2_000;

export class NatsBus implements Bus {
  private readonly logger = new Logger(NatsBus.name);
  private readonly pending = new Map<string, PendingReply>();
  private readonly consumers = new Map<number, PartitionConsumer>();
  private readonly outputs: ConsumerMessages[] = [];
  private readonly outputConsumers = new Map<StreamSubject, Consumer>();
  private readonly handlers = new Map<StreamSubject, Array<StreamHandler<StreamSubject>>>();
  private leases: PartitionLeases | undefined;
  private serving: Promise<void> | undefined;
  private readonly inbox = createInbox();
  private readonly unsent: UnsentRequest[] = [];

  private constructor(
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly options: NatsBusOptions,
  ) {
    nc.subscribe(`${this.inbox}.*`, {
      callback: (_error, message) => {
        const id = message.subject.slice(this.inbox.length + 1);
        const waiting = this.pending.get(id);
        if (!waiting) return;
        this.pending.delete(id);
        clearTimeout(waiting.timer);
        waiting.resolve(json.decode(message.data));
      },
    });
  }

  static async connect(options: NatsBusOptions): Promise<NatsBus> {
    // Async traces capture a stack per request: a cost on every publish, for error messages the bus does not need.
    const nc = await connect({
      servers: options.url,
      name: options.name,
      maxReconnectAttempts: -1,
      noAsyncTraces: true,
    });
    const jsm = await nc.jetstreamManager();
    await ensureStream(jsm, {
      name: ROOM_INPUT_STREAM,
      subjects: [roomInputSubject(0).replace(/0$/, '*')],
      retention: RetentionPolicy.Workqueue,
      storage: StorageType.File,
    });
    await ensureStream(jsm, {
      name: OUTPUT_STREAM,
      subjects: ['lattice.output.>'],
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      max_age: nanos(24 * 3600_000),
      max_bytes: 1024 ** 3,
    });
    return new NatsBus(nc, nc.jetstream(), jsm, options);
  }

  async request<S extends RequestSubject>(
    subject: S,
    request: BusContract[S]['request'],
    partitionKey: string,
  ): Promise<BusContract[S]['reply']> {
    const partition = partitionOf(partitionKey, this.options.partitions);
    return tracer.startActiveSpan(
      `${subject} send`,
      { kind: SpanKind.PRODUCER, attributes: { 'lattice.partition': partition } },
      async (span) => {
        try {
          const id = request.inputId;
          const reply = new Promise<BusContract[S]['reply']>((resolve, reject) => {
            const timeoutMs = this.options.requestTimeoutMs ?? 30_000;
            const timer = setTimeout(() => {
              this.pending.delete(id);
              reject(new Error(`No reply from the room-server for partition ${partition} within ${timeoutMs} ms`));
            }, timeoutMs);
            this.pending.set(id, { resolve: resolve as (reply: unknown) => void, reject, timer });
          });
          const headers = headersWithTrace();
          headers.set(REPLY_TO_HEADER, `${this.inbox}.${id}`);
          // Published once, never retried, so no JetStream message ID: a redelivered input is answered from processed_inputs.
          // A core publish: the stream stores it all the same, without a PubAck message back. The reply is the
          // acknowledgement that counts (the client hears nothing before the event is persisted), and an input
          // the stream failed to store ends in the timeout, as a lost reply does. One message per request, not two.
          this.publishAtEndOfTurn({
            subject: roomInputSubject(partition),
            data: json.encode(request),
            headers,
            fail: (e) => this.pending.get(id)?.reject(e),
          });
          return await reply;
        } finally {
          span.end();
        }
      },
    );
  }

  /**
   * Requests parsed in one turn of the event loop (each HTTP request is its own
   * I/O callback, and the client flushes after each) leave together at its end,
   * in one socket write instead of one each.
   */
  private publishAtEndOfTurn(message: UnsentRequest): void {
    if (this.unsent.push(message) > 1) return;
    setImmediate(() => {
      for (const { subject, data, headers, fail } of this.unsent.splice(0)) {
        try {
          this.nc.publish(subject, data, { headers });
        } catch (e) {
          // The connection closed within the turn (shutdown): the request fails now rather than at its timeout.
          fail(e as Error);
        }
      }
    });
  }

  serve<S extends RequestSubject>(subject: S, handler: RequestHandler<S>): void {
    if (this.serving) throw new Error(`${subject} is already served by this process`);
    this.serving = this.startServing(
      new RequestBatcher('room.input', handler as unknown as RequestHandler<'room.input'>),
    ).catch((e: Error) => this.logger.error(`serving ${subject}: ${e.message}`));
  }

  publish<S extends StreamSubject>(subject: S, event: BusContract[S]['event']): Promise<void> {
    return this.publishAll(subject, [event]);
  }

  async publishAll<S extends StreamSubject>(subject: S, events: ReadonlyArray<BusContract[S]['event']>): Promise<void> {
    if (events.length === 0) return;
    await tracer.startActiveSpan(
      `${subject} publish`,
      { kind: SpanKind.PRODUCER, attributes: { 'lattice.events': events.length } },
      async (span) => {
        try {
          const maxBytes = this.nc.info?.max_payload ?? DEFAULT_MAX_PAYLOAD;
          // Issued together (the connection keeps their order), acknowledged together.
          await Promise.all(
            encodeOutputPayloads(events, maxBytes - HEADER_ALLOWANCE).map((payload) =>
              this.js.publish(outputSubject(subject), payload, { headers: headersWithTrace() }),
            ),
          );
        } finally {
          span.end();
        }
      },
    );
  }

  /** One JetStream consumer per subject in a process, whatever the number of handlers: each message is delivered and decoded once. */
  consume<S extends StreamSubject>(subject: S, handler: StreamHandler<S>): void {
    const handlers = this.handlers.get(subject);
    if (handlers) {
      handlers.push(handler as StreamHandler<StreamSubject>);
      return;
    }
    const all = [handler as StreamHandler<StreamSubject>];
    this.handlers.set(subject, all);
    void (async () => {
      const messages = await this.establish(`${subject} consumer`, async () => {
        const consumer = await this.js.consumers.get(OUTPUT_STREAM, {
          filterSubjects: outputSubject(subject),
          deliver_policy: DeliverPolicy.New,
        });
        this.outputConsumers.set(subject, consumer);
        return consumer.consume();
      });
      if (!messages) return;
      this.outputs.push(messages);
      for await (const message of messages) {
        const parent = traceContextOf(message.headers);
        await tracer.startActiveSpan(`${subject} process`, { kind: SpanKind.CONSUMER }, parent, async (span) => {
          for (const event of decodeOutputPayload(message.data)) {
            for (const each of all)
              await Promise.resolve(each(event as BusContract[StreamSubject]['event'])).catch((e: Error) =>
                this.logger.error(`${subject} consumer: ${e.message}`),
              );
          }
          span.end();
        });
      }
    })().catch((e: Error) => this.logger.error(`${subject} consumer stopped: ${e.message}`));
  }

  async consumeDurable<S extends StreamSubject>(
    subject: S,
    durableName: string,
    handler: StreamHandler<S>,
    options: DurableOptions = {},
  ): Promise<void> {
    const name = await this.durableConsumer(subject, durableName, options);
    void this.consumeMessages(name, async (messages) => {
      for await (const message of messages) {
        await this.handleDurable(subject, name, [message], async (events) => {
          for (const event of events) await handler(event);
        });
      }
    });
  }

  /**
   * The messages that arrived while the previous batch ran go to `handler` together (at most DURABLE_WINDOW, what
   * the consumer may have in hand), as the in-process bus hands over what was published meanwhile: under load
   * batches grow, so a handler that pays per batch (a transaction, an announcement) keeps up instead of falling
   * further behind one commit's events at a time.
   */
  async consumeDurableBatches<S extends StreamSubject>(
    subject: S,
    durableName: string,
    handler: BatchStreamHandler<S>,
  ): Promise<void> {
    const name = await this.durableConsumer(subject, durableName, {});
    void this.consumeMessages(name, async (messages) => {
      const arrived: JsMsg[] = [];
      let draining: Promise<void> | undefined;
      const drain = async () => {
        while (arrived.length > 0) await this.handleDurable(subject, name, arrived.splice(0), handler);
        draining = undefined;
      };
      for await (const message of messages) {
        arrived.push(message);
        // From the next turn: the messages read from the socket with this one join its batch.
        draining ??= new Promise((resolve) => setImmediate(resolve)).then(drain);
      }
      await draining;
    });
  }

  private async durableConsumer(subject: StreamSubject, durableName: string, options: DurableOptions): Promise<string> {
    const name = durableConsumerName(durableName, subject);
    await this.ensureDurableConsumer(name, subject, options);
    return name;
  }

  private async consumeMessages(name: string, loop: (messages: ConsumerMessages) => Promise<void>): Promise<void> {
    try {
      const messages = await this.establish(`${name} consumer`, async () =>
        (await this.js.consumers.get(OUTPUT_STREAM, name)).consume(),
      );
      if (!messages) return;
      this.outputs.push(messages);
      await loop(messages);
    } catch (e) {
      durableLog.error(`${name} consumer stopped: ${(e as Error).message}`);
    }
  }

  /** The messages' events go to `handle` together; each message is acknowledged once it resolves, or delivered again. */
  private async handleDurable<S extends StreamSubject>(
    subject: S,
    name: string,
    messages: JsMsg[],
    handle: BatchStreamHandler<S>,
  ): Promise<void> {
    // One span, continuing the first message's trace and linked to the others'.
    const [parent, ...others] = messages.map((m) => traceContextOf(m.headers));
    const links = others.flatMap((c) => {
      const spanContext = trace.getSpanContext(c);
      return spanContext ? [{ context: spanContext }] : [];
    });
    await tracer.startActiveSpan(`${subject} process`, { kind: SpanKind.CONSUMER, links }, parent, async (span) => {
      try {
        await handle(messages.flatMap((m) => decodeOutputPayload(m.data)) as Array<BusContract[S]['event']>);
        for (const message of messages) message.ack();
      } catch (e) {
        // Delivered again after the delay, to this process or another sharing the name (an ordered
        // consumer's one-message window holds the messages behind it back, so order is kept).
        durableLog.warn(`${name}: ${(e as Error).message}; delivering ${messages.length} message(s) again`);
        for (const message of messages) message.nak(DURABLE_RETRY_MS);
      } finally {
        span.end();
      }
    });
  }

  /**
   * Created on first use from the events published after it (so a new deployment does not replay a day
   * of output); from then on the stream keeps its place while no process consumes it.
   */
  private async ensureDurableConsumer(name: string, subject: StreamSubject, options: DurableOptions): Promise<void> {
    if (await this.jsm.consumers.info(OUTPUT_STREAM, name).catch(() => undefined)) return;
    await this.jsm.consumers.add(OUTPUT_STREAM, {
      durable_name: name,
      filter_subject: outputSubject(subject),
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.New,
      max_ack_pending: options.ordered ? 1 : DURABLE_WINDOW,
      ack_wait: nanos(DURABLE_ACK_WAIT_MS),
    });
  }

  /** Partitions this process holds (room-server only). */
  get ownedPartitions(): number[] {
    return this.leases?.owned ?? [];
  }

  /** A round trip to the server within READY_TIMEOUT_MS: while the client is reconnecting, a flush would wait. */
  async checkReady(): Promise<void> {
    if (this.nc.isClosed()) throw new Error('the NATS connection is closed');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>(
      (_, reject) => (timer = setTimeout(() => reject(new Error('NATS did not answer in time')), READY_TIMEOUT_MS)),
    );
    try {
      await Promise.race([this.nc.flush(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Held room-input partitions (their durable consumers) and this process's output consumers, asked of the server now. */
  async consumerLag(): Promise<ConsumerLag[]> {
    const partitions = this.ownedPartitions.map(async (partition) => {
      const info = await this.jsm.consumers.info(ROOM_INPUT_STREAM, roomInputConsumer(partition));
      return { consumer: 'room-input', partition, pending: info.num_pending, ackPending: info.num_ack_pending };
    });
    const outputs = [...this.outputConsumers].map(async ([subject, consumer]) => {
      const info = await consumer.info(false);
      return { consumer: subject, pending: info.num_pending, ackPending: info.num_ack_pending };
    });
    return Promise.all([...partitions, ...outputs]);
  }

  /**
   * Retried until it succeeds or the connection closes: a consumer whose creation timed out (a busy
   * server) would otherwise leave this process deaf to its stream for good, e.g. still accepting a
   * token that another process logged out.
   */
  private async establish<T>(what: string, setup: () => Promise<T>): Promise<T | undefined> {
    for (let delay = CONSUMER_RETRY_MIN_MS; !this.nc.isClosed(); delay = Math.min(delay * 2, CONSUMER_RETRY_MAX_MS)) {
      try {
        return await setup();
      } catch (e) {
        if (this.nc.isClosed()) break;
        this.logger.warn(`${what} could not start (${(e as Error).message}); retrying in ${delay} ms`);
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
    return undefined;
  }

  async close(): Promise<void> {
    if (this.nc.isClosed()) return;
    await this.serving;
    await this.leases?.stop();
    for (const messages of this.outputs) messages.stop();
    for (const waiting of this.pending.values()) {
      clearTimeout(waiting.timer);
      waiting.reject(new Error('The bus is closing'));
    }
    this.pending.clear();
    await this.nc.drain();
  }

  private async startServing(batcher: RequestBatcher<'room.input'>): Promise<void> {
    const ttl = this.options.leaseTtlMs ?? 6_000;
    const leases: KV = await this.js.views.kv(LEASE_BUCKET, { ttl, history: 1, storage: StorageType.File });
    const members: KV = await this.js.views.kv(MEMBER_BUCKET, { ttl, history: 1, storage: StorageType.Memory });
    this.leases = new PartitionLeases(
      leases,
      members,
      {
        acquired: async (partition) => {
          await this.ensurePartitionConsumer(partition);
          const epoch = await this.options.claimEpoch(partition, this.options.name);
          const consumer = new PartitionConsumer(this.nc, this.js, partition, epoch, batcher, INPUT_WINDOW);
          this.consumers.set(partition, consumer);
          await consumer.start();
        },
        lost: async (partition) => {
          await this.consumers.get(partition)?.stop();
          this.consumers.delete(partition);
        },
      },
      { partitions: this.options.partitions, owner: this.options.name, ttlMs: ttl },
    );
    this.leases.start();
  }

  private async ensurePartitionConsumer(partition: number): Promise<void> {
    const name = roomInputConsumer(partition);
    const existing = await this.jsm.consumers
      .info(ROOM_INPUT_STREAM, name)
      .catch((e: unknown) =>
        this.logger.debug(`No consumer ${name} yet (or its info is unavailable): it is created: ${String(e)}`),
      );
    if (existing?.config.max_ack_pending === INPUT_WINDOW) return;
    if (existing) {
      await this.jsm.consumers.update(ROOM_INPUT_STREAM, name, { max_ack_pending: INPUT_WINDOW });
      return;
    }
    await this.jsm.consumers.add(ROOM_INPUT_STREAM, {
      durable_name: name,
      filter_subject: roomInputSubject(partition),
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      max_ack_pending: INPUT_WINDOW,
      ack_wait: nanos(10_000),
    });
  }
}

function durableConsumerName(durableName: string, subject: StreamSubject): string {
  return `${durableName}-${subject.replace(/\./g, '-')}`;
}

async function ensureStream(jsm: JetStreamManager, config: Partial<StreamConfig> & { name: string }): Promise<void> {
  if (
    await jsm.streams
      .info(config.name)
      .catch((e: unknown) =>
        logger.debug(`Stream ${config.name} not found (or its info is unavailable): it is created: ${String(e)}`),
      )
  )
    return;
  await jsm.streams.add(config);
}
