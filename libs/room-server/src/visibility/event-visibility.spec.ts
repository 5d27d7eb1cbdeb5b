import { generateSigningKey, serverNameOf } from '@lattice/protocol';
import {
  buildEvent,
  EventVisibility,
  RoomReader,
  type EventTemplate,
  type RoomHead,
  type StoredEvent,
} from '@lattice/rooms';
import { ALICE, startRoomServer } from '../spec/room-server-fixture';

/** Stays in the room throughout. */
const RON = '@ron:remote.example';
/** Leaves, then rejoins on her server's copy of the room, which lacks what was sent meanwhile. */
const VERA = '@vera:visiting.example';
const remoteKey = generateSigningKey();

type Server = Awaited<ReturnType<typeof startRoomServer>>;
let server: Server;
let reader: RoomReader;
let visibility: EventVisibility;
beforeAll(async () => {
  server = await startRoomServer();
  reader = new RoomReader(server.db.prisma);
  visibility = new EventVisibility(server.db.prisma);
}, 60_000);
afterAll(async () => server.close());

const head = async (roomId: string) => (await server.store.loadRoom(roomId))!;

/** Receives an event of a remote user built on `on` (a head this server had at some point), as their server would send it. */
async function receive(on: RoomHead, sender: string, template: EventTemplate): Promise<StoredEvent> {
  const { eventId, pdu } = buildEvent(on, sender, template, serverNameOf(sender)!, remoteKey);
  const reply = await server.submit({
    kind: 'federatedEvent',
    sender,
    roomId: pdu.room_id!,
    eventId,
    pdu: pdu as never,
  });
  if (!reply.ok) throw new Error(reply.error.error);
  return (await reader.event(eventId))!;
}

const membership = (user: string, value: string): EventTemplate => ({
  type: 'm.room.member',
  stateKey: user,
  content: { membership: value },
});
const message = (body: string): EventTemplate => ({ type: 'm.room.message', content: { msgtype: 'm.text', body } });

/**
 * A `shared` room where Vera left and rejoined on a head from while she was
 * away, and a message Ron sent while she was away, on that same head, that
 * this server receives after her rejoin: it is not before the rejoin in the
 * DAG, but she was joined when it arrived.
 */
async function messageArrivingAfterRejoin(): Promise<{ roomId: string; missed: StoredEvent }> {
  const created = await server.submit({
    kind: 'createRoom',
    sender: ALICE,
    request: {
      preset: 'public_chat',
      initial_state: [{ type: 'm.room.history_visibility', state_key: '', content: { history_visibility: 'shared' } }],
    },
  });
  if (!created.ok) throw new Error(created.error.error);
  const roomId = created.roomId;
  await receive(await head(roomId), RON, membership(RON, 'join'));
  await receive(await head(roomId), VERA, membership(VERA, 'join'));
  await receive(await head(roomId), VERA, membership(VERA, 'leave'));
  const whileAway = await head(roomId);
  await receive(whileAway, VERA, membership(VERA, 'join'));
  return { roomId, missed: await receive(whileAway, RON, message('sent while vera was away')) };
}

describe('shared history that arrives after a join it is not before in the DAG', () => {
  it('is shown to the user, who was joined when it arrived', async () => {
    const { missed } = await messageArrivingAfterRejoin();
    expect((await visibility.visibleToUser(VERA, [missed])).map((e) => e.eventId)).toEqual([missed.eventId]);
  });

  it("is given whole to the user's server", async () => {
    const { roomId, missed } = await messageArrivingAfterRejoin();
    const [given] = await visibility.forServer('visiting.example', roomId, [missed]);
    expect(given.pdu.content).toEqual({ msgtype: 'm.text', body: 'sent while vera was away' });
  });

  it('stays visible to the user after they leave again, unlike what arrives after that leave', async () => {
    const { roomId, missed } = await messageArrivingAfterRejoin();
    await receive(await head(roomId), VERA, membership(VERA, 'leave'));
    const later = await receive(await head(roomId), RON, message('sent after vera left again'));
    expect((await visibility.visibleToUser(VERA, [missed, later])).map((e) => e.eventId)).toEqual([missed.eventId]);
  });
});
