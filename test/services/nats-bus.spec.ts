import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import type { OutputTyping, RoomInput, RoomInputReply } from '@lattice/contracts';
import { partitionOf } from '@lattice/contracts';
import { connect } from 'nats';
import { NatsBus } from '../../libs/bus/src/nats/nats-bus';
import { emptyJetStream } from '../../tools/services/scratch-servers';
import { servicesEnv } from '../support/services-env';

/** The NATS JetStream bus against a real nats-server: partition leases, request/reply through the input stream, output fan-out. */
describe('NATS JetStream bus', () => {
  const { natsUrl } = servicesEnv();
  const PARTITIONS = 8;
  let epochs = 0n;
  const open: NatsBus[] = [];

  async function replica(name: string): Promise<NatsBus> {
    const bus = await NatsBus.connect({
      url: natsUrl,
      partitions: PARTITIONS,
      name,
      claimEpoch: async () => ++epochs,
      leaseTtlMs: 1_500,
      requestTimeoutMs: 15_000,
    });
    open.push(bus);
    return bus;
  }

  /** A stand-in room-server: answers with who handled the input, on which partition, under which epoch. */
  function serve(bus: NatsBus, name: string): string[] {
    const seen: string[] = [];
    bus.serve('room.input', async (batch) =>
      batch.map(({ request, context: { partition, epoch } }) => {
        seen.push(request.inputId);
        return { ok: true, roomId: `${name}|${partition}|${epoch}`, eventId: request.inputId } satisfies RoomInputReply;
      }),
    );
    return seen;
  }

  const input = (roomId: string, inputId: string): RoomInput => ({
    kind: 'send',
    inputId,
    serverName: 'x',
    sender: '@a:x',
    roomId,
    type: 'm.room.message',
    content: {},
  });
  const handledBy = (reply: RoomInputReply) => (reply.ok ? reply.roomId.split('|') : []);

  async function until(what: string, predicate: () => boolean, ms = 15_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  beforeEach(async () => emptyJetStream(natsUrl));
  afterEach(async () => {
    for (const bus of open.splice(0)) await bus.close();
  });

  it('is ready while the NATS server answers, and not once its connection is closed', async () => {
    const bus = await replica('probe');
    await expect(bus.checkReady()).resolves.toBeUndefined();
    await bus.close();
    await expect(bus.checkReady()).rejects.toThrow('closed');
  });

  it("answers a request from the replica that holds the room's partition", async () => {
    const server = await replica('rs-1');
    serve(server, 'rs-1');
    const client = await replica('client');
    await until('rs-1 to hold every partition', () => server.ownedPartitions.length === PARTITIONS);
    const reply = await client.request('room.input', input('!room:x', 'in-1'), '!room:x');
    expect(handledBy(reply).slice(0, 2)).toEqual(['rs-1', String(partitionOf('!room:x', PARTITIONS))]);
  });

  it('gives a new replica its share of the partitions without restarting the first', async () => {
    const first = await replica('rs-1');
    serve(first, 'rs-1');
    await until('rs-1 to hold every partition', () => first.ownedPartitions.length === PARTITIONS);
    const second = await replica('rs-2');
    serve(second, 'rs-2');
    await until(
      'an even split',
      () => first.ownedPartitions.length === PARTITIONS / 2 && second.ownedPartitions.length === PARTITIONS / 2,
    );
    expect([...first.ownedPartitions, ...second.ownedPartitions].sort((a, b) => a - b)).toEqual([
      ...Array(PARTITIONS).keys(),
    ]);
  });

  it('keeps an input published while no replica serves, and answers it once one does', async () => {
    const client = await replica('client');
    const reply = client.request('room.input', input('!later:x', 'in-waiting'), '!later:x');
    await new Promise((r) => setTimeout(r, 500));
    const server = await replica('rs-1');
    const seen = serve(server, 'rs-1');
    expect(handledBy(await reply)[0]).toBe('rs-1');
    expect(seen).toEqual(['in-waiting']);
  });

  it("hands a stopped replica's partitions to another under a higher epoch", async () => {
    const first = await replica('rs-1');
    serve(first, 'rs-1');
    const second = await replica('rs-2');
    serve(second, 'rs-2');
    const client = await replica('client');
    await until(
      'an even split',
      () =>
        first.ownedPartitions.length + second.ownedPartitions.length === PARTITIONS &&
        first.ownedPartitions.length > 0 &&
        second.ownedPartitions.length > 0,
    );
    const roomId = ['!a:x', '!b:x', '!c:x', '!d:x', '!e:x', '!f:x'].find((r) =>
      first.ownedPartitions.includes(partitionOf(r, PARTITIONS)),
    )!;
    const [, , before] = handledBy(await client.request('room.input', input(roomId, 'before'), roomId));
    await first.close();
    const after = handledBy(await client.request('room.input', input(roomId, 'after'), roomId));
    expect(after[0]).toBe('rs-2');
    expect(BigInt(after[2])).toBeGreaterThan(BigInt(before));
  });

  it('delivers every output event to every consuming process, in the order of the publish calls', async () => {
    const [a, b, producer] = [await replica('sync-1'), await replica('sync-2'), await replica('client-api')];
    const got: Record<string, string[]> = { a: [], b: [] };
    a.consume('output.typing', (e: OutputTyping) => void got.a.push(e.userId));
    b.consume('output.typing', (e: OutputTyping) => void got.b.push(e.userId));
    await new Promise((r) => setTimeout(r, 300));
    const users = Array.from({ length: 50 }, (_, i) => `@${i}:x`);
    // Overlapping calls, as the room-server makes for a batch: order must follow the calls, not the acks.
    await Promise.all(
      users.map((userId) =>
        producer.publish('output.typing', { roomId: '!r:x', userId, typing: true, timeoutMs: 1000 }),
      ),
    );
    await until(
      'both consumers to see every event',
      () => got.a.length === users.length && got.b.length === users.length,
    );
    expect(got).toEqual({ a: users, b: users });
  });

  it('gives every handler of a process each output event, through one consumer of the stream', async () => {
    const [process, producer] = [await replica('federation-api'), await replica('room-server')];
    const got: Record<string, string[]> = { first: [], second: [] };
    process.consume('output.typing', (e: OutputTyping) => void got.first.push(e.userId));
    process.consume('output.typing', (e: OutputTyping) => void got.second.push(e.userId));
    await new Promise((r) => setTimeout(r, 300));
    await producer.publishAll(
      'output.typing',
      ['@1:x', '@2:x'].map((userId) => ({ roomId: '!r:x', userId, typing: true, timeoutMs: 1000 })),
    );
    await until('both handlers to see both events', () => got.first.length === 2 && got.second.length === 2);
    const nc = await connect({ servers: natsUrl });
    const consumers = await (await nc.jetstreamManager()).consumers.list('LATTICE_OUTPUT').next();
    await nc.close();
    expect(consumers).toHaveLength(1);
    expect(got).toEqual({ first: ['@1:x', '@2:x'], second: ['@1:x', '@2:x'] });
  });

  it('marks an input the stream delivers again as a possible repeat', async () => {
    const server = await replica('rs-1');
    const seen: boolean[] = [];
    server.serve('room.input', async (batch) => {
      seen.push(...batch.map((b) => b.context.mayBeRepeat));
      if (seen.length < 3) throw new Error('the database is away');
      return batch.map(({ request }) => ({
        ok: true,
        roomId: request.kind === 'send' ? request.roomId : '',
        eventId: request.inputId,
      }));
    });
    const client = await replica('client');
    await until('rs-1 to hold every partition', () => server.ownedPartitions.length === PARTITIONS);
    expect(await client.request('room.input', input('!room:x', 'in-again'), '!room:x')).toMatchObject({
      ok: true,
      eventId: 'in-again',
    });
    // The first delivery, then the stream's redeliveries after each nak.
    expect(seen).toEqual([false, true, true]);
  });

  it('gives a durable consumer what was published while no process consumed it, each event to one of the processes sharing it', async () => {
    const producer = await replica('producer');
    const first = await replica('push-1');
    const got: string[] = [];
    await first.consumeDurable('output.typing', 'durable-test', (e: OutputTyping) => void got.push(e.userId));
    await producer.publish('output.typing', { roomId: '!r:x', userId: '@before:x', typing: true, timeoutMs: 1000 });
    await until('the first event', () => got.includes('@before:x'));
    await first.close();
    await Promise.all(
      ['@while-down-1:x', '@while-down-2:x'].map((userId) =>
        producer.publish('output.typing', { roomId: '!r:x', userId, typing: true, timeoutMs: 1000 }),
      ),
    );
    const [second, third] = [await replica('push-2'), await replica('push-3')];
    const shared: Record<string, string[]> = { second: [], third: [] };
    await second.consumeDurable(
      'output.typing',
      'durable-test',
      (e: OutputTyping) => void shared.second.push(e.userId),
    );
    await third.consumeDurable('output.typing', 'durable-test', (e: OutputTyping) => void shared.third.push(e.userId));
    await until('the events published while down', () => [...shared.second, ...shared.third].length === 2);
    await new Promise((r) => setTimeout(r, 500));
    expect([...shared.second, ...shared.third].sort()).toEqual(['@while-down-1:x', '@while-down-2:x']);
  });

  it('hands a batch consumer, in one batch and in order, the messages published while its previous batch ran', async () => {
    const producer = await replica('producer');
    const consumer = await replica('push-1');
    const batches: string[][] = [];
    let release!: () => void;
    const firstBatchHeld = new Promise<void>((resolve) => (release = resolve));
    await consumer.consumeDurableBatches('output.typing', 'batch-test', async (events: readonly OutputTyping[]) => {
      batches.push(events.map((e) => e.userId));
      if (batches.length === 1) await firstBatchHeld;
    });
    const typing = (userId: string) =>
      producer.publish('output.typing', { roomId: '!r:x', userId, typing: true, timeoutMs: 1000 });
    await typing('@first:x');
    await until('the first batch', () => batches.length === 1);
    // Three publishes, three messages, all delivered to the consumer while the first batch runs.
    for (const userId of ['@a:x', '@b:x', '@c:x']) await typing(userId);
    const nc = await connect({ servers: natsUrl });
    const jsm = await nc.jetstreamManager();
    const inHand = async () => (await jsm.consumers.info('LATTICE_OUTPUT', 'batch-test-output-typing')).num_ack_pending;
    for (let waited = 0; (await inHand()) < 4 && waited < 15_000; waited += 50)
      await new Promise((r) => setTimeout(r, 50));
    await nc.close();
    // The server has sent them; this process's event loop reads them off the consumer's own connection.
    await new Promise((r) => setTimeout(r, 100));
    release();
    await until('the second batch', () => batches.length === 2);
    expect(batches).toEqual([['@first:x'], ['@a:x', '@b:x', '@c:x']]);
  });

  it('carries the trace context from the requester to the handler', async () => {
    const contextManager = new AsyncLocalStorageContextManager().enable();
    context.setGlobalContextManager(contextManager);
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    trace.setGlobalTracerProvider(new BasicTracerProvider());
    try {
      const server = await replica('rs-1');
      let handlerTrace: string | undefined;
      server.serve('room.input', async (batch) => {
        handlerTrace = trace.getActiveSpan()?.spanContext().traceId;
        return batch.map(({ request }) => ({ ok: true, roomId: request.kind === 'send' ? request.roomId : '' }));
      });
      const client = await replica('client');
      await until('rs-1 to hold every partition', () => server.ownedPartitions.length === PARTITIONS);
      const requestTrace = await trace.getTracer('test').startActiveSpan('client request', async (span) => {
        await client.request('room.input', input('!traced:x', 'traced'), '!traced:x');
        span.end();
        return span.spanContext().traceId;
      });
      expect(handlerTrace).toBe(requestTrace);
    } finally {
      trace.disable();
      propagation.disable();
      context.disable();
    }
  });
});
