import { DATABASE, type Database } from '../../libs/storage/src';
import { startEmbeddedServer } from '../support/embedded-server';
import { rawClient, type Account } from '../support/raw-client';

/** Reporting rooms, events and users (client-server-api "Reporting content"): stored for the tenant's administrators. */
describe('reports', () => {
  let server: Awaited<ReturnType<typeof startEmbeddedServer>>;
  let raw: ReturnType<typeof rawClient>;
  let alice: Account;
  let bob: Account;
  let roomId: string;
  let eventId: string;
  const enc = encodeURIComponent;
  const stored = () => server.app.get<Database>(DATABASE).prisma.report.findMany({ orderBy: { id: 'asc' } });

  beforeAll(async () => {
    server = await startEmbeddedServer();
    raw = rawClient(() => server.url);
    alice = await raw.register('rep-alice');
    bob = await raw.register('rep-bob');
    roomId = (await raw.call(alice, 'POST', '/createRoom', { preset: 'public_chat' })).body.room_id as string;
    eventId = (
      await raw.call(alice, 'PUT', `/rooms/${enc(roomId)}/send/m.room.message/1`, { msgtype: 'm.text', body: 'rude' })
    ).body.event_id as string;
  }, 60_000);
  afterAll(async () => server.close());

  it('stores a report of a room, an event and a user, with the reporter and the tenant', async () => {
    await raw.call(bob, 'POST', `/join/${enc(roomId)}`, {});
    expect((await raw.call(bob, 'POST', `/rooms/${enc(roomId)}/report`, { reason: 'bad room' })).status).toBe(200);
    expect(
      (await raw.call(bob, 'POST', `/rooms/${enc(roomId)}/report/${enc(eventId)}`, { reason: 'bad event' })).status,
    ).toBe(200);
    expect((await raw.call(bob, 'POST', `/users/${enc(alice.userId)}/report`, { reason: '' })).status).toBe(200);
    const serverName = bob.userId.split(':')[1];
    expect(await stored()).toEqual([
      expect.objectContaining({
        serverName,
        reporter: bob.userId,
        roomId,
        eventId: null,
        userId: null,
        reason: 'bad room',
      }),
      expect.objectContaining({ serverName, reporter: bob.userId, roomId, eventId, userId: null, reason: 'bad event' }),
      expect.objectContaining({
        serverName,
        reporter: bob.userId,
        roomId: null,
        eventId: null,
        userId: alice.userId,
        reason: '',
      }),
    ]);
  });

  it('answers 404 for what it does not know, or an event of a room the reporter is not in, and stores nothing', async () => {
    const carol = await raw.register('rep-carol');
    const before = (await stored()).length;
    expect(
      (await raw.call(carol, 'POST', `/rooms/${enc('!nope:localhost')}/report`, { reason: 'x' })).body.errcode,
    ).toBe('M_NOT_FOUND');
    expect(
      (await raw.call(carol, 'POST', `/rooms/${enc(roomId)}/report/${enc(eventId)}`, { reason: 'x' })).body.errcode,
    ).toBe('M_NOT_FOUND');
    expect(
      (await raw.call(carol, 'POST', `/users/${enc('@ghost:localhost')}/report`, { reason: 'x' })).body.errcode,
    ).toBe('M_NOT_FOUND');
    expect(await stored()).toHaveLength(before);
  });

  it('requires a reason for a room', async () => {
    expect((await raw.call(bob, 'POST', `/rooms/${enc(roomId)}/report`, {})).body.errcode).toBe('M_MISSING_PARAM');
  });
});
