import { InProcessBus } from './in-process-bus';

const send = (roomId: string, n: number) => ({ kind: 'send' as const, inputId: `${roomId}-${n}`, serverName: 's', sender: '@u:s', roomId, type: 't', content: { n } });

describe('InProcessBus', () => {
  it('answers requests with the handler reply', async () => {
    const bus = new InProcessBus();
    bus.serve('room.input', async (input) => ({ ok: true, roomId: input.kind === 'send' ? input.roomId : '', eventId: '$e' }));
    expect(await bus.request('room.input', send('!a:s', 1), '!a:s')).toEqual({ ok: true, roomId: '!a:s', eventId: '$e' });
  });

  it('handles one partition one request at a time, in order', async () => {
    const bus = new InProcessBus();
    const log: string[] = [];
    bus.serve('room.input', async (input) => {
      log.push(`start ${input.inputId}`);
      await new Promise((r) => setTimeout(r, input.inputId.endsWith('1') ? 20 : 1));
      log.push(`end ${input.inputId}`);
      return { ok: true, roomId: '' };
    });
    await Promise.all([bus.request('room.input', send('!a:s', 1), '!a:s'), bus.request('room.input', send('!a:s', 2), '!a:s')]);
    expect(log).toEqual(['start !a:s-1', 'end !a:s-1', 'start !a:s-2', 'end !a:s-2']);
  });

  it('keeps serving a partition after a handler fails', async () => {
    const bus = new InProcessBus();
    bus.serve('room.input', async (input) => {
      if (input.inputId.endsWith('1')) throw new Error('boom');
      return { ok: true, roomId: '' };
    });
    await expect(bus.request('room.input', send('!a:s', 1), '!a:s')).rejects.toThrow('boom');
    await expect(bus.request('room.input', send('!a:s', 2), '!a:s')).resolves.toEqual({ ok: true, roomId: '' });
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
});
