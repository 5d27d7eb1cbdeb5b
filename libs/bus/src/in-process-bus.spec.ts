import type { RoomInputReply } from '@lattice/contracts';
import { InProcessBus } from './in-process-bus';

const send = (roomId: string, n: number) => ({
  kind: 'send' as const,
  inputId: `${roomId}-${n}`,
  serverName: 's',
  sender: '@u:s',
  roomId,
  type: 't',
  content: { n },
});
const ok = (roomId = ''): RoomInputReply => ({ ok: true, roomId });

describe('InProcessBus', () => {
  it('answers requests with the handler reply', async () => {
    const bus = new InProcessBus();
    bus.serve('room.input', async (batch) =>
      batch.map(({ request }) => ({ ok: true, roomId: request.kind === 'send' ? request.roomId : '', eventId: '$e' })),
    );
    expect(await bus.request('room.input', send('!a:s', 1), '!a:s')).toEqual({
      ok: true,
      roomId: '!a:s',
      eventId: '$e',
    });
  });

  it('hands the handler requests that arrive together as one batch, and what queues while it is busy as the next', async () => {
    const bus = new InProcessBus();
    const batches: string[][] = [];
    let busy!: () => void;
    const started = new Promise<void>((resolve) => (busy = resolve));
    bus.serve('room.input', async (batch) => {
      batches.push(batch.map((b) => b.request.inputId));
      busy();
      await new Promise((r) => setTimeout(r, 10));
      return batch.map(() => ok());
    });
    const together = [1, 2].map((n) => bus.request('room.input', send('!a:s', n), '!a:s'));
    await started;
    const queued = [3, 4].map((n) => bus.request('room.input', send('!a:s', n), '!a:s'));
    await Promise.all([...together, ...queued]);
    expect(batches).toEqual([
      ['!a:s-1', '!a:s-2'],
      ['!a:s-3', '!a:s-4'],
    ]);
  });

  it('retries a failed batch one request at a time, so only the bad request fails', async () => {
    const bus = new InProcessBus();
    bus.serve('room.input', async (batch) => {
      if (batch.some((b) => b.request.inputId.endsWith('2'))) throw new Error('boom');
      await new Promise((r) => setTimeout(r, 10));
      return batch.map(() => ok());
    });
    const [first, second, third] = await Promise.allSettled(
      [1, 2, 3].map((n) => bus.request('room.input', send('!a:s', n), '!a:s')),
    );
    expect([first.status, second.status, third.status]).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    await expect(bus.request('room.input', send('!a:s', 4), '!a:s')).resolves.toEqual(ok());
  });

  it('marks the requests of a failed batch as possible repeats when it retries them, and only those', async () => {
    const bus = new InProcessBus();
    const seen: Array<[string, boolean]> = [];
    bus.serve('room.input', async (batch) => {
      seen.push(...batch.map((b): [string, boolean] => [b.request.inputId, b.context.mayBeRepeat]));
      if (batch.length > 1) throw new Error('failed after its writes, say');
      return batch.map(() => ok());
    });
    await Promise.all([1, 2].map((n) => bus.request('room.input', send('!a:s', n), '!a:s')));
    await bus.request('room.input', send('!a:s', 3), '!a:s');
    expect(seen).toEqual([
      ['!a:s-1', false],
      ['!a:s-2', false],
      ['!a:s-1', true],
      ['!a:s-2', true],
      ['!a:s-3', false],
    ]);
  });

  it('delivers stream events to every consumer in order', async () => {
    const bus = new InProcessBus();
    const a: string[] = [];
    const b: string[] = [];
    bus.consume('output.streams', (e) => void a.push(e.position));
    bus.consume('output.streams', (e) => void b.push(e.position));
    for (const position of ['1', '2', '3']) await bus.publish('output.streams', { stream: 'receipts', position });
    await bus.close();
    expect(a).toEqual(['1', '2', '3']);
    expect(b).toEqual(['1', '2', '3']);
  });

  it('delivers an event again to a durable handler that failed on it, before the events behind it', async () => {
    const bus = new InProcessBus();
    const seen: string[] = [];
    let failures = 1;
    await bus.consumeDurable('output.typing', 'test', async (event) => {
      seen.push(event.roomId);
      if (event.roomId === '!a:s' && failures-- > 0) throw new Error('database unreachable');
    });
    await bus.publish('output.typing', { roomId: '!a:s', userId: '@u:s', typing: true, timeoutMs: 0 });
    await bus.publish('output.typing', { roomId: '!b:s', userId: '@u:s', typing: true, timeoutMs: 0 });
    for (let waited = 0; seen.length < 3 && waited < 5_000; waited += 50) await new Promise((r) => setTimeout(r, 50));
    await bus.close();
    expect(seen).toEqual(['!a:s', '!a:s', '!b:s']);
  });

  it('hands a batch handler what was published while its previous batch ran, in order', async () => {
    const bus = new InProcessBus();
    const batches: string[][] = [];
    await bus.consumeDurableBatches('output.streams', 'test', async (events) => {
      batches.push(events.map((e) => e.position));
      await new Promise((r) => setTimeout(r, 20));
    });
    await bus.publish('output.streams', { stream: 'receipts', position: '1' });
    await new Promise((r) => setTimeout(r, 5));
    for (const position of ['2', '3', '4']) await bus.publish('output.streams', { stream: 'receipts', position });
    await bus.close();
    expect(batches).toEqual([['1'], ['2', '3', '4']]);
  });

  it('delivers a failed batch again whole, before what was published behind it', async () => {
    const bus = new InProcessBus();
    const batches: string[][] = [];
    let failures = 1;
    await bus.consumeDurableBatches('output.streams', 'test', async (events) => {
      batches.push(events.map((e) => e.position));
      if (failures-- > 0) {
        await bus.publish('output.streams', { stream: 'receipts', position: '3' });
        throw new Error('database unreachable');
      }
    });
    await bus.publishAll('output.streams', [
      { stream: 'receipts', position: '1' },
      { stream: 'receipts', position: '2' },
    ]);
    for (let waited = 0; batches.length < 3 && waited < 5_000; waited += 50)
      await new Promise((r) => setTimeout(r, 50));
    await bus.close();
    expect(batches).toEqual([['1', '2'], ['1', '2'], ['3']]);
  });

  it('answers a request before the consumers of what its handler published run', async () => {
    const bus = new InProcessBus();
    const order: string[] = [];
    bus.consume('output.typing', () => void order.push('consumed'));
    await bus.consumeDurable('output.typing', 'test', async () => void order.push('consumed durably'));
    bus.serve('room.input', async (batch) => {
      await bus.publish('output.typing', { roomId: '!a:s', userId: '@u:s', typing: true, timeoutMs: 0 });
      return batch.map(() => ok());
    });
    await bus.request('room.input', send('!a:s', 1), '!a:s').then(() => order.push('answered'));
    await bus.close();
    expect(order[0]).toBe('answered');
    expect(order.sort()).toEqual(['answered', 'consumed', 'consumed durably']);
  });
});
