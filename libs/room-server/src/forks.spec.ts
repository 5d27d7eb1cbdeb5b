import { generateSigningKey, stateKey, type JsonObject, type Pdu } from '@lattice/protocol';
import { buildEvent, RoomReader, type EventTemplate, type RoomHead } from '@lattice/rooms';
import { ALICE, startRoomServer } from './spec/room-server-fixture';

const REMOTE = 'remote.example';
const RITA = `@rita:${REMOTE}`;
const RON = `@ron:${REMOTE}`;
const remoteKey = generateSigningKey();

type Server = Awaited<ReturnType<typeof startRoomServer>>;
let server: Server;
let reader: RoomReader;
beforeAll(async () => {
  server = await startRoomServer();
  reader = new RoomReader(server.db.prisma);
}, 60_000);
afterAll(async () => server.close());

/**
 * A room of this server that two users of remote.example joined, Ron with
 * power 100 and Rita with 50 (enough for the topic), and a topic Alice set.
 */
async function roomWithRemoteMembers(): Promise<string> {
  const created = await server.submit({ kind: 'createRoom', sender: ALICE, request: { preset: 'public_chat' } });
  if (!created.ok) throw new Error(created.error.error);
  const roomId = created.roomId;
  for (const user of [RITA, RON])
    await receive(
      remoteEvent(await head(roomId), user, { type: 'm.room.member', stateKey: user, content: { membership: 'join' } }),
    );
  const levels = (await head(roomId)).state.get(stateKey('m.room.power_levels', ''))!.pdu.content;
  await local(
    roomId,
    'm.room.power_levels',
    { ...levels, users: { ...(levels.users as JsonObject), [RON]: 100, [RITA]: 50 } },
    '',
  );
  await local(roomId, 'm.room.topic', { topic: 'original' }, '');
  return roomId;
}

const head = async (roomId: string) => (await server.store.loadRoom(roomId))!;

/** An event of a remote user built on `on` (a head this server had at some point), as their server would send it. */
function remoteEvent(on: RoomHead, sender: string, template: EventTemplate) {
  return buildEvent(on, sender, template, REMOTE, remoteKey);
}

function receive(event: { eventId: string; pdu: Pdu }) {
  return server.submit({
    kind: 'federatedEvent',
    sender: event.pdu.sender,
    roomId: event.pdu.room_id!,
    eventId: event.eventId,
    pdu: event.pdu as never,
  });
}

/** `on` with `event` as its only forward extremity: where an event built on it goes. */
function onTopOf(on: RoomHead, event: { eventId: string; pdu: Pdu }): RoomHead {
  return {
    ...on,
    extremities: [{ eventId: event.eventId, eventNid: 0n, depth: event.pdu.depth, sha256: event.pdu.hashes.sha256 }],
  };
}

/** The room's state at `on` with `topic` in place of its topic event, as event IDs. */
function stateWithTopic(on: RoomHead, topic: { eventId: string }): string[] {
  const replaced = on.state.get(stateKey('m.room.topic', ''))!.eventId;
  return [...[...on.state.values()].map((e) => e.eventId).filter((id) => id !== replaced), topic.eventId];
}

/** Rita's `next`, whose prev events this server lacks, with the events fetched for the gap and the states after them as her server gives them. */
function receiveAfterGap(
  roomId: string,
  next: { eventId: string; pdu: Pdu },
  fetched: Array<{ eventId: string; pdu: Pdu }>,
  prevStates: Record<string, string[]>,
) {
  return server.submit({
    kind: 'federatedEvent',
    sender: RITA,
    roomId,
    eventId: next.eventId,
    pdu: next.pdu as never,
    outliers: fetched.map((e) => ({ eventId: e.eventId, pdu: e.pdu as never })),
    prevStates,
  });
}

async function local(roomId: string, type: string, content: JsonObject, key?: string) {
  const reply = await server.submit({
    kind: 'send',
    sender: ALICE,
    roomId,
    type,
    content,
    ...(key === undefined ? {} : { stateKey: key }),
  });
  if (!reply.ok) throw new Error(reply.error.error);
  return reply.eventId!;
}

const stored = (eventId: string) => server.db.prisma.event.findUnique({ where: { eventId } });
const published = async (eventId: string) => {
  await server.delivered();
  return server.output.some((e) => e.eventId === eventId);
};

describe('events from other servers that fork the room', () => {
  it('accepts two events on the same prev event, keeps both as forward extremities, and merges them in the next local event', async () => {
    const roomId = await roomWithRemoteMembers();
    const fork = await head(roomId);
    const [left, right] = [
      remoteEvent(fork, RITA, { type: 'm.room.message', content: { body: 'left' } }),
      remoteEvent(fork, RON, { type: 'm.room.message', content: { body: 'right' } }),
    ];
    expect(await receive(left)).toMatchObject({ ok: true });
    expect(await receive(right)).toMatchObject({ ok: true });
    expect((await head(roomId)).extremities.map((x) => x.eventId).sort()).toEqual([left.eventId, right.eventId].sort());

    const merge = await local(roomId, 'm.room.message', { body: 'merge' });
    await server.delivered();
    const pdu = server.output.find((e) => e.eventId === merge)!.pdu;
    expect([...pdu.prev_events].sort()).toEqual([left.eventId, right.eventId].sort());
    expect((await head(roomId)).extremities.map((x) => x.eventId)).toEqual([merge]);
  });

  it('resolves a ban on one side against a topic change by the banned user on the other as state resolution v2 does', async () => {
    const roomId = await roomWithRemoteMembers();
    const original = (await head(roomId)).state.get(stateKey('m.room.topic', ''))!.eventId;
    const fork = await head(roomId);
    const topic = remoteEvent(fork, RITA, { type: 'm.room.topic', stateKey: '', content: { topic: 'by rita' } });
    const ban = remoteEvent(fork, RON, { type: 'm.room.member', stateKey: RITA, content: { membership: 'ban' } });
    expect(await receive(topic)).toMatchObject({ ok: true });
    expect((await reader.stateEvent(roomId, 'm.room.topic', ''))?.eventId).toBe(topic.eventId);
    const beforeBan = await reader.maxStreamPos();
    expect(await receive(ban)).toMatchObject({ ok: true });

    // rooms/v2.md: the ban is a power event, applied first; the topic then fails the auth rules and the older topic stands.
    const resolved = await head(roomId);
    expect(resolved.extremities.map((x) => x.eventId).sort()).toEqual([topic.eventId, ban.eventId].sort());
    expect(resolved.state.get(stateKey('m.room.topic', ''))!.eventId).toBe(original);
    expect(resolved.state.get(stateKey('m.room.member', RITA))!.eventId).toBe(ban.eventId);
    // What clients read (current_state) follows the resolution too.
    expect((await reader.stateEvent(roomId, 'm.room.topic', ''))?.eventId).toBe(original);
    expect(await reader.membership(roomId, RITA)).toBe('ban');
    // The older topic came back with the ban: an incremental sync from before the ban learns of it.
    expect(
      (await reader.stateChangedBetween(roomId, beforeBan, await reader.maxStreamPos())).map((e) => e.eventId),
    ).toContain(original);
  });

  it('soft-fails an event that passes against the state before it but not against the current state', async () => {
    const roomId = await roomWithRemoteMembers();
    const beforeBan = await head(roomId);
    expect(
      await receive(
        remoteEvent(beforeBan, RON, { type: 'm.room.member', stateKey: RITA, content: { membership: 'ban' } }),
      ),
    ).toMatchObject({ ok: true });
    const extremities = (await head(roomId)).extremities;

    const evading = remoteEvent(beforeBan, RITA, { type: 'm.room.message', content: { body: 'evading the ban' } });
    expect(await receive(evading)).toMatchObject({ ok: true });
    expect(await stored(evading.eventId)).toMatchObject({ isSoftFailed: true, isRejected: false, streamPos: null });
    expect(await published(evading.eventId)).toBe(false);
    expect((await head(roomId)).extremities).toEqual(extremities);
    expect((await reader.timeline(roomId, { limit: 5, backwards: true })).map((e) => e.eventId)).not.toContain(
      evading.eventId,
    );
  });

  it('rejects an event that passes against its auth events but not against the state before it', async () => {
    const roomId = await roomWithRemoteMembers();
    const beforeBan = await head(roomId);
    const ban = remoteEvent(beforeBan, RON, { type: 'm.room.member', stateKey: RITA, content: { membership: 'ban' } });
    await receive(ban);
    // Auth events from before the ban (Rita's join), prev event after it.
    const afterBan: RoomHead = {
      ...beforeBan,
      extremities: [{ eventId: ban.eventId, eventNid: 0n, depth: ban.pdu.depth, sha256: ban.pdu.hashes.sha256 }],
    };
    const sneaky = remoteEvent(afterBan, RITA, { type: 'm.room.topic', stateKey: '', content: { topic: 'sneaky' } });

    expect(await receive(sneaky)).toMatchObject({ ok: false, error: { errcode: 'M_FORBIDDEN' } });
    expect(await stored(sneaky.eventId)).toMatchObject({ isRejected: true, streamPos: null });
    expect(await published(sneaky.eventId)).toBe(false);
    expect((await head(roomId)).extremities.map((x) => x.eventId)).toEqual([ban.eventId]);
    expect((await reader.stateEvent(roomId, 'm.room.topic', ''))?.pdu.content).toEqual({ topic: 'original' });
  });

  it('rejects an event that fails against its own auth events, and stores it as rejected', async () => {
    const roomId = await roomWithRemoteMembers();
    const forged = remoteEvent(await head(roomId), RITA, {
      type: 'm.room.power_levels',
      stateKey: '',
      content: { users: { [RITA]: 100 } },
    });
    expect(await receive(forged)).toMatchObject({ ok: false, error: { errcode: 'M_FORBIDDEN' } });
    expect(await stored(forged.eventId)).toMatchObject({
      isRejected: true,
      rejectionReason: expect.stringMatching(/auth events/),
    });
  });

  it("answers a transaction's rejected PDU as done, naming the rejection, and stores it as rejected", async () => {
    const roomId = await roomWithRemoteMembers();
    const forged = remoteEvent(await head(roomId), RITA, {
      type: 'm.room.power_levels',
      stateKey: '',
      content: { users: { [RITA]: 100 } },
    });
    const reply = await server.submit({
      kind: 'federatedEvent',
      sender: RITA,
      roomId,
      eventId: forged.eventId,
      pdu: forged.pdu as never,
      rejectionIsDone: true,
    });
    expect(reply).toMatchObject({ ok: true, eventId: forged.eventId, rejected: expect.stringMatching(/auth events/) });
    expect(await stored(forged.eventId)).toMatchObject({ isRejected: true, streamPos: null });
  });

  it('places a later event on a soft-failed one like any other, by the state after it', async () => {
    const roomId = await roomWithRemoteMembers();
    const beforeBan = await head(roomId);
    await receive(
      remoteEvent(beforeBan, RON, { type: 'm.room.member', stateKey: RITA, content: { membership: 'ban' } }),
    );
    const softFailed = remoteEvent(beforeBan, RITA, { type: 'm.room.message', content: { body: 'late' } });
    await receive(softFailed);
    const onTop = remoteEvent(
      {
        ...beforeBan,
        extremities: [
          {
            eventId: softFailed.eventId,
            eventNid: 0n,
            depth: softFailed.pdu.depth,
            sha256: softFailed.pdu.hashes.sha256,
          },
        ],
      },
      RON,
      {
        type: 'm.room.message',
        content: { body: 'on top of it' },
      },
    );
    expect(await receive(onTop)).toMatchObject({ ok: true });
    expect(await stored(onTop.eventId)).toMatchObject({ isSoftFailed: false, isRejected: false });
    expect((await head(roomId)).extremities.map((x) => x.eventId)).toContain(onTop.eventId);
  });

  it('places an event whose prev event this server lacks on the state the origin gave for that prev event', async () => {
    const roomId = await roomWithRemoteMembers();
    const on = await head(roomId);
    const missing = remoteEvent(on, RON, { type: 'm.room.topic', stateKey: '', content: { topic: 'never sent' } });
    const next = remoteEvent(onTopOf(on, missing), RITA, {
      type: 'm.room.message',
      content: { body: 'after a gap' },
    });
    const reply = await receiveAfterGap(roomId, next, [missing], { [missing.eventId]: stateWithTopic(on, missing) });
    expect(reply).toMatchObject({ ok: true });
    expect(await stored(missing.eventId)).toMatchObject({ isOutlier: true, streamPos: null });
    expect(await stored(next.eventId)).toMatchObject({ isOutlier: false, isRejected: false, isSoftFailed: false });
    const before = await reader.stateBefore(next.eventId);
    expect(before?.find((e) => e.pdu.type === 'm.room.topic')?.eventId).toBe(missing.eventId);
  });

  it('leaves out of the state the origin gave, and does not store, a fetched event whose auth events cannot be had', async () => {
    const roomId = await roomWithRemoteMembers();
    const on = await head(roomId);
    // Ron's member event that nobody hands over, named by the auth events of his topic.
    const ghost = remoteEvent(on, RON, { type: 'm.room.member', stateKey: RON, content: { membership: 'join' } });
    const onGhost = {
      ...on,
      state: new Map(on.state).set(stateKey('m.room.member', RON), {
        eventId: ghost.eventId,
        eventNid: 0n,
        pdu: ghost.pdu,
      }),
    };
    const missing = remoteEvent(onGhost, RON, { type: 'm.room.topic', stateKey: '', content: { topic: 'unfounded' } });
    const next = remoteEvent(onTopOf(on, missing), RITA, { type: 'm.room.message', content: { body: 'after a gap' } });
    const reply = await receiveAfterGap(roomId, next, [missing], { [missing.eventId]: stateWithTopic(on, missing) });
    expect(reply).toMatchObject({ ok: true });
    expect(await stored(missing.eventId)).toBeNull();
    const before = await reader.stateBefore(next.eventId);
    expect(before?.find((e) => e.pdu.type === 'm.room.topic')).toBeUndefined();
    expect((await head(roomId)).state.get(stateKey('m.room.topic', ''))?.pdu.content).toEqual({ topic: 'original' });
  });

  it('resolves a fetched state against its own with the events fetched along (the auth chain between them)', async () => {
    const roomId = await roomWithRemoteMembers();
    const forkPoint = await head(roomId);
    await local(roomId, 'm.room.join_rules', { join_rule: 'invite' }, '');
    // On Rita's side, unseen here: two renames, then a message on them.
    const after = (on: RoomHead, event: { eventId: string; pdu: Pdu }): RoomHead => ({
      ...onTopOf(on, event),
      state: new Map(on.state).set(stateKey(event.pdu.type, event.pdu.state_key!), {
        eventId: event.eventId,
        eventNid: 0n,
        pdu: event.pdu,
      }),
    });
    // A second apart: resolution orders events of the same power by timestamp (then ID).
    const rename = (on: RoomHead, name: string, ts: number) =>
      buildEvent(
        on,
        RITA,
        { type: 'm.room.member', stateKey: RITA, content: { membership: 'join', displayname: name } },
        REMOTE,
        remoteKey,
        ts,
      );
    const one = rename(forkPoint, 'one', Date.now() - 1000);
    const two = rename(after(forkPoint, one), 'two', Date.now());
    const next = remoteEvent({ ...after(forkPoint, two), state: forkPoint.state }, RITA, {
      type: 'm.room.message',
      content: { body: 'after the renames' },
    });
    const stateAfterTwo = [...after(after(forkPoint, one), two).state.values()].map((e) => e.eventId);

    const reply = await receiveAfterGap(roomId, next, [one, two], { [two.eventId]: stateAfterTwo });
    expect(reply).toMatchObject({ ok: true });
    // Resolution of the two sides: the invite-only rule stands, and Rita's rename (a joined member's) with it.
    const current = (await head(roomId)).state;
    expect(current.get(stateKey('m.room.join_rules', ''))?.pdu.content).toEqual({ join_rule: 'invite' });
    expect(current.get(stateKey('m.room.member', RITA))?.eventId).toBe(two.eventId);
  }, 30_000);

  it('refuses, storing nothing, an event whose auth events are unknown here', async () => {
    const roomId = await roomWithRemoteMembers();
    const on = await head(roomId);
    const unknownJoin = remoteEvent(on, RITA, {
      type: 'm.room.member',
      stateKey: RITA,
      content: { membership: 'join', displayname: 'again' },
    });
    const withUnknownAuth = remoteEvent(
      {
        ...on,
        state: new Map(on.state).set(stateKey('m.room.member', RITA), {
          eventId: unknownJoin.eventId,
          eventNid: 0n,
          pdu: unknownJoin.pdu,
        }),
      },
      RITA,
      {
        type: 'm.room.message',
        content: { body: 'who authorised me?' },
      },
    );
    expect(await receive(withUnknownAuth)).toMatchObject({
      ok: false,
      error: { errcode: 'M_FORBIDDEN', error: expect.stringMatching(/Auth events unknown/) },
    });
    expect(await stored(withUnknownAuth.eventId)).toBeNull();
  });
});
