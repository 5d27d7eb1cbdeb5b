import { startEmbeddedServer } from '../support/embedded-server';
import { rawClient, type Account } from '../support/raw-client';

/** The peeking APIs from before /sync: GET /events, /initialSync, /rooms/{roomId}/initialSync and GET /events/{eventId}. */
describe('events and initialSync', () => {
  let server: Awaited<ReturnType<typeof startEmbeddedServer>>;
  let raw: ReturnType<typeof rawClient>;
  let alice: Account;
  let bob: Account;
  let txn = 0;
  const enc = encodeURIComponent;
  const send = async (roomId: string, body: string) =>
    (await raw.call(alice, 'PUT', `/rooms/${enc(roomId)}/send/m.room.message/l${txn++}`, { msgtype: 'm.text', body }))
      .body.event_id as string;
  const worldReadable = async () =>
    (
      await raw.call(alice, 'POST', '/createRoom', {
        preset: 'public_chat',
        initial_state: [
          { type: 'm.room.history_visibility', state_key: '', content: { history_visibility: 'world_readable' } },
        ],
      })
    ).body.room_id as string;

  beforeAll(async () => {
    server = await startEmbeddedServer();
    raw = rawClient(() => server.url);
    alice = await raw.register('legacy-alice');
    bob = await raw.register('legacy-bob');
  }, 60_000);
  afterAll(async () => server.close());

  it('gives a non-member the state and latest messages of a world-readable room', async () => {
    const roomId = await worldReadable();
    await send(roomId, 'hello peekers');
    const { body } = await raw.call(bob, 'GET', `/rooms/${enc(roomId)}/initialSync`);
    expect(body.room_id).toBe(roomId);
    expect((body.messages as any).chunk.map((e: any) => e.content.body)).toContain('hello peekers');
    expect((body.state as any[]).some((e) => e.type === 'm.room.create')).toBe(true);
    expect(body.membership).toBeUndefined();
  });

  it('refuses initialSync of a room the user may not read', async () => {
    const roomId = (await raw.call(alice, 'POST', '/createRoom', { preset: 'private_chat' })).body.room_id as string;
    expect((await raw.call(bob, 'GET', `/rooms/${enc(roomId)}/initialSync`)).body.errcode).toBe('M_FORBIDDEN');
  });

  it('waits on /events for the next event of a peeked room, then pages on from its end token', async () => {
    const roomId = await worldReadable();
    const start = (await raw.call(bob, 'GET', `/rooms/${enc(roomId)}/initialSync`)).body.messages as { end: string };
    const waiting = raw.call(bob, 'GET', `/events?room_id=${enc(roomId)}&timeout=10000&from=${enc(start.end)}`);
    await new Promise((r) => setTimeout(r, 200));
    const eventId = await send(roomId, 'news');
    const first = (await waiting).body as { chunk: any[]; end: string };
    expect(first.chunk.map((e) => e.event_id)).toEqual([eventId]);
    const second = (await raw.call(bob, 'GET', `/events?room_id=${enc(roomId)}&timeout=0&from=${enc(first.end)}`))
      .body as { chunk: unknown[] };
    expect(second.chunk).toEqual([]);
  });

  it('lists every joined room in the global initialSync, with its messages', async () => {
    const roomId = (await raw.call(alice, 'POST', '/createRoom', { name: 'Mine' })).body.room_id as string;
    await send(roomId, 'in my room');
    const { body } = await raw.call(alice, 'GET', '/initialSync?limit=5');
    const room = (body.rooms as any[]).find((r) => r.room_id === roomId);
    expect(room.membership).toBe('join');
    expect(room.messages.chunk.at(-1).content.body).toBe('in my room');
    expect(typeof body.end).toBe('string');
  });

  it('fetches an event by ID only for those who may see it', async () => {
    const roomId = (await raw.call(alice, 'POST', '/createRoom', { preset: 'private_chat' })).body.room_id as string;
    const eventId = await send(roomId, 'private');
    expect((await raw.call(alice, 'GET', `/events/${enc(eventId)}`)).body.content).toMatchObject({ body: 'private' });
    expect((await raw.call(bob, 'GET', `/events/${enc(eventId)}`)).body.errcode).toBe('M_NOT_FOUND');
  });
});
