import { DATABASE, type Database } from '../../libs/storage/src';
import { startEmbeddedServer } from '../support/embedded-server';
import { rawClient, type Account } from '../support/raw-client';

interface Timeline {
  events: Array<{ event_id: string }>;
  limited: boolean;
}

/**
 * A gap in a room's timeline (an event placed on state fetched from another
 * server, model TimelineGap): an incremental /sync across it starts its
 * timeline at the gap and says it is limited, so the client pages back
 * rather than joining the events either side into one run.
 *
 * The sync worker knows of a gap from the event it heard on output.room
 * (OutputRoomEvent.gapBefore), which only an event of another server brings:
 * Complement's TestSyncTimelineGap sends one. Here the gap is written in the
 * store and the server restarted, so the worker, having heard none of the
 * range, reads the gap from the store.
 */
describe('/sync across a timeline gap', () => {
  let server: Awaited<ReturnType<typeof startEmbeddedServer>>;
  let raw: ReturnType<typeof rawClient>;
  let alice: Account;

  beforeAll(async () => {
    server = await startEmbeddedServer();
    raw = rawClient(() => server.url);
    alice = await raw.register('gaps');
  }, 120_000);
  afterAll(async () => server.close());

  const send = async (roomId: string, body: string) =>
    (
      await raw.call(alice, 'PUT', `/rooms/${encodeURIComponent(roomId)}/send/m.room.message/${body}`, {
        msgtype: 'm.text',
        body,
      })
    ).body.event_id as string;
  const timelineOf = async (roomId: string, since: string) => {
    const body = (await raw.call(alice, 'GET', `/sync?timeout=0&since=${encodeURIComponent(since)}`)).body as {
      rooms: { join: Record<string, { timeline: Timeline }> };
    };
    return body.rooms.join[roomId].timeline;
  };

  it('starts an incremental timeline at the gap, limited, leaving out the events before it, read from the store', async () => {
    const roomId = (await raw.call(alice, 'POST', '/createRoom', {})).body.room_id as string;
    const since = (await raw.sync(alice)).next_batch;
    await send(roomId, 'before-the-gap');
    const afterGap = await send(roomId, 'after-the-gap');
    const last = await send(roomId, 'latest');
    const db = server.app.get<Database>(DATABASE).prisma;
    const row = await db.event.findUniqueOrThrow({ where: { eventId: afterGap } });
    await db.timelineGap.create({ data: { roomNid: row.roomNid, streamPos: row.streamPos! } });
    await server.close();
    server = await startEmbeddedServer({}, server.dataDir);

    const timeline = await timelineOf(roomId, since);
    expect(timeline.limited).toBe(true);
    expect(timeline.events.map((e) => e.event_id)).toEqual([afterGap, last]);
  });

  it('leaves a timeline whose range holds no gap as it was', async () => {
    const roomId = (await raw.call(alice, 'POST', '/createRoom', {})).body.room_id as string;
    const since = (await raw.sync(alice)).next_batch;
    const first = await send(roomId, 'one');
    const second = await send(roomId, 'two');
    const timeline = await timelineOf(roomId, since);
    expect(timeline).toMatchObject({ limited: false, events: [{ event_id: first }, { event_id: second }] });
  });
});
