import { generateSigningKey, type Pdu } from '@lattice/protocol';
import { buildEvent, type EventTemplate } from '@lattice/rooms';
import { ALICE, startRoomServer } from '../spec/room-server-fixture';

const REMOTE = 'remote.example';
const RITA = `@rita:${REMOTE}`;
const remoteKey = generateSigningKey();

type Server = Awaited<ReturnType<typeof startRoomServer>>;
let server: Server;
beforeAll(async () => {
  server = await startRoomServer();
}, 60_000);
afterAll(async () => server.close());

/** The event_search rows of events, by event ID, as the persist transaction wrote them. */
async function searchRows(...eventIds: string[]) {
  const events = await server.db.prisma.event.findMany({ where: { eventId: { in: eventIds } } });
  const rows = await server.db.prisma.$queryRawUnsafe<
    Array<{ event_nid: bigint; room_nid: number; stream_pos: bigint; key: string; words: string }>
  >(
    'SELECT event_nid, room_nid, stream_pos, key, vector::text AS words FROM event_search WHERE event_nid = ANY($1::bigint[])',
    events.map((e) => e.eventNid),
  );
  return rows.map((r) => ({ ...r, eventId: events.find((e) => e.eventNid === r.event_nid)!.eventId }));
}

async function createRoom(request: Record<string, unknown> = {}) {
  const created = await server.submit({
    kind: 'createRoom',
    sender: ALICE,
    request: { preset: 'public_chat', ...request },
  });
  if (!created.ok) throw new Error(created.error.error);
  return created.roomId;
}

async function send(roomId: string, body: string) {
  const reply = await server.submit({ kind: 'send', sender: ALICE, roomId, type: 'm.room.message', content: { body } });
  if (!reply.ok) throw new Error(reply.error.error);
  return reply.eventId!;
}

/** An event of Rita's on the room's current head, as her server would send it. */
async function remoteEvent(roomId: string, template: EventTemplate) {
  return buildEvent((await server.store.loadRoom(roomId))!, RITA, template, REMOTE, remoteKey);
}

/** A public room of Alice's that Rita joined from her server. */
async function roomWithRita() {
  const roomId = await createRoom();
  const join = await remoteEvent(roomId, { type: 'm.room.member', stateKey: RITA, content: { membership: 'join' } });
  expect(await server.handler.handle([federated(join)])).toMatchObject([{ ok: true }]);
  return roomId;
}

const federated = (event: { eventId: string; pdu: Pdu }) => ({
  request: {
    kind: 'federatedEvent' as const,
    inputId: `federated-${event.eventId}`,
    serverName: 'test.example',
    sender: event.pdu.sender,
    roomId: event.pdu.room_id!,
    eventId: event.eventId,
    pdu: event.pdu as never,
  },
  context: { epoch: 0n, mayBeRepeat: false },
});

describe('the search index the persist transaction writes', () => {
  it("indexes a sent message's body at its place in the timeline", async () => {
    const roomId = await createRoom();
    const eventId = await send(roomId, 'tomatoes ripen slowly');
    const [row] = await searchRows(eventId);
    const event = await server.db.prisma.event.findUniqueOrThrow({ where: { eventId } });
    expect(row).toMatchObject({ key: 'content.body', room_nid: event.roomNid, stream_pos: event.streamPos });
    expect(row.words).toContain("'tomato'");
  });

  it("indexes a room's name and topic under their own keys", async () => {
    const roomId = await createRoom({ name: 'Gardening club', topic: 'Vegetables' });
    const { roomNid } = await server.db.prisma.room.findUniqueOrThrow({ where: { roomId } });
    const state = await server.db.prisma.event.findMany({ where: { roomNid } });
    const keys = (await searchRows(...state.map((e) => e.eventId))).map((r) => r.key).sort();
    expect(keys).toEqual(['content.name', 'content.topic']);
  });

  it('does not index an event it rejects', async () => {
    const roomId = await roomWithRita();
    // Rita has the default power 0; a topic needs 50.
    const topic = await remoteEvent(roomId, { type: 'm.room.topic', stateKey: '', content: { topic: 'taken over' } });
    const [reply] = await server.handler.handle([federated(topic)]);
    expect(reply).toMatchObject({ ok: false });
    expect(await server.db.prisma.event.findUnique({ where: { eventId: topic.eventId } })).toMatchObject({
      isRejected: true,
    });
    expect(await searchRows(topic.eventId)).toEqual([]);
  });

  it('never indexes a message redacted in the same batch', async () => {
    const roomId = await roomWithRita();
    const message = await remoteEvent(roomId, { type: 'm.room.message', content: { body: 'oops, a secret' } });
    const head = (await server.store.loadRoom(roomId))!;
    const onMessage = {
      ...head,
      extremities: [
        { eventId: message.eventId, eventNid: 0n, depth: message.pdu.depth, sha256: message.pdu.hashes.sha256 },
      ],
    };
    const template: EventTemplate = head.version.redactsInContent
      ? { type: 'm.room.redaction', content: { redacts: message.eventId } }
      : { type: 'm.room.redaction', content: {}, redacts: message.eventId };
    const redaction = buildEvent(onMessage, RITA, template, REMOTE, remoteKey);
    const replies = await server.handler.handle([federated(message), federated(redaction)]);
    expect(replies).toMatchObject([{ ok: true }, { ok: true }]);
    expect(await server.db.prisma.event.findUnique({ where: { eventId: message.eventId } })).toMatchObject({
      redactedBy: redaction.eventId,
    });
    expect(await searchRows(message.eventId)).toEqual([]);
  });
});
