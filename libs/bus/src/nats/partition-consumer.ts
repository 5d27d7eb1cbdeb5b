import { SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import { JSONCodec, type ConsumerMessages, type JetStreamClient, type JsMsg, type NatsConnection } from 'nats';
import type { RequestHandler } from '../bus';
import { REPLY_TO_HEADER, ROOM_INPUT_STREAM, roomInputConsumer } from './names';
import { traceContextOf } from './trace-headers';

const json = JSONCodec();
const tracer = trace.getTracer('lattice-bus');
/** A message whose handler failed (database down, write fenced) comes back after this long. */
const RETRY_DELAY_MS = 1_000;

/**
 * Consumes one room-input partition while this replica holds its lease: one
 * message at a time (the consumer allows one unacknowledged message), each
 * handled, answered on its reply subject, then acknowledged. A crash before
 * the ack means redelivery, which the handler answers from its record of
 * processed inputs without writing twice.
 */
export class PartitionConsumer {
  private messages: ConsumerMessages | undefined;
  private done: Promise<void> = Promise.resolve();

  constructor(
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    readonly partition: number,
    private readonly epoch: bigint,
    private readonly handler: RequestHandler<'room.input'>,
  ) {}

  async start(): Promise<void> {
    const consumer = await this.js.consumers.get(ROOM_INPUT_STREAM, roomInputConsumer(this.partition));
    this.messages = await consumer.consume({ max_messages: 1 });
    const messages = this.messages;
    this.done = (async () => {
      for await (const message of messages) await this.handle(message);
    })();
  }

  /** Stops taking messages and waits for the one in hand. */
  async stop(): Promise<void> {
    this.messages?.stop();
    await this.done.catch(() => undefined);
  }

  private async handle(message: JsMsg): Promise<void> {
    const parent = traceContextOf(message.headers);
    await tracer.startActiveSpan('room.input process', { kind: SpanKind.CONSUMER, attributes: { 'lattice.partition': this.partition } }, parent, async (span) => {
      try {
        const reply = await context.with(trace.setSpan(parent, span), () => this.handler(json.decode(message.data) as never, { partition: this.partition, epoch: this.epoch }));
        const replyTo = message.headers?.get(REPLY_TO_HEADER);
        if (replyTo) this.nc.publish(replyTo, json.encode(reply));
        message.ack();
      } catch (e) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: (e as Error).message });
        message.nak(RETRY_DELAY_MS);
      } finally {
        span.end();
      }
    });
  }
}
