import { Logger } from '@nestjs/common';
import { SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import { JSONCodec, type ConsumerMessages, type JetStreamClient, type JsMsg, type NatsConnection } from 'nats';
import type { RequestBatcher } from '../request-batcher';
import { REPLY_TO_HEADER, ROOM_INPUT_STREAM, roomInputConsumer } from './names';
import { traceContextOf } from './trace-headers';

const json = JSONCodec();
const tracer = trace.getTracer('lattice-bus');
/** A message whose handler failed (database down, write fenced) comes back after this long. */
const RETRY_DELAY_MS = 1_000;

/**
 * Consumes one room-input partition while this replica holds its lease.
 * Messages go to the replica's batcher in stream order (which handles them
 * in that order), and each is answered on its reply subject and then
 * acknowledged. A crash before the ack means redelivery, which the handler
 * answers from its record of processed inputs without writing twice.
 */
export class PartitionConsumer {
  private readonly logger = new Logger(PartitionConsumer.name);
  private messages: ConsumerMessages | undefined;
  private done: Promise<void> = Promise.resolve();
  private readonly inHand = new Set<Promise<void>>();

  constructor(
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    readonly partition: number,
    private readonly epoch: bigint,
    private readonly batcher: RequestBatcher<'room.input'>,
    private readonly window: number,
  ) {}

  async start(): Promise<void> {
    const consumer = await this.js.consumers.get(ROOM_INPUT_STREAM, roomInputConsumer(this.partition));
    this.messages = await consumer.consume({ max_messages: this.window });
    const messages = this.messages;
    this.done = (async () => {
      for await (const message of messages) {
        const handling = this.handle(message);
        this.inHand.add(handling);
        void handling.finally(() => this.inHand.delete(handling));
      }
    })();
  }

  /** Stops taking messages and waits for those in hand. */
  async stop(): Promise<void> {
    this.messages?.stop();
    await this.done.catch((e: unknown) =>
      this.logger.debug(
        `The consumer loop ended with an error while stopping; the messages in hand were not acknowledged and are redelivered: ${String(e)}`,
      ),
    );
    await Promise.all(this.inHand);
  }

  private async handle(message: JsMsg): Promise<void> {
    const parent = traceContextOf(message.headers);
    await tracer.startActiveSpan(
      'room.input process',
      { kind: SpanKind.CONSUMER, attributes: { 'lattice.partition': this.partition } },
      parent,
      async (span) => {
        try {
          const reply = await context.with(trace.setSpan(parent, span), () =>
            this.batcher.submit(json.decode(message.data) as never, {
              partition: this.partition,
              epoch: this.epoch,
              mayBeRepeat: message.redelivered,
            }),
          );
          const replyTo = message.headers?.get(REPLY_TO_HEADER);
          if (replyTo) this.nc.publish(replyTo, json.encode(reply));
          message.ack();
        } catch (e) {
          span.setStatus({ code: SpanStatusCode.ERROR, message: (e as Error).message });
          message.nak(RETRY_DELAY_MS);
        } finally {
          span.end();
        }
      },
    );
  }
}
