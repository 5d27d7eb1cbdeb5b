import {
  checkEventAuth,
  getRoomVersion,
  stateKey,
  verifyEventSignatures,
  publicKeyFromBase64,
  type JsonObject,
} from '@lattice/protocol';
import { Keyring } from '@lattice/rooms';
import { RoomInputHandler } from './input/room-input-handler';
import { FencedWriteError } from './storage/room-store';
import { ALICE, BOB, CAROL, newRoomInputHandler, SERVER, startRoomServer } from './spec/room-server-fixture';

type Server = Awaited<ReturnType<typeof startRoomServer>>;
let server: Server;
beforeAll(async () => {
  server = await startRoomServer();
}, 60_000);
afterAll(async () => server.close());

async function createRoom(request: object = {}) {
  const reply = await server.submit({ kind: 'createRoom', sender: ALICE, request: request as never });
  if (!reply.ok) throw new Error(reply.error.error);
  return reply.roomId;
}

/** A message from Alice as a room input. */
const message = (roomId: string, body: string, inputId: string) => ({
  kind: 'send' as const,
  inputId,
  serverName: SERVER,
  sender: ALICE,
  roomId,
  type: 'm.room.message',
  content: { body },
});

describe('room-server', () => {
  // public_chat sends no m.room.guest_access: its absence already means forbidden (client-server-api m.room.guest_access).
  it.each(['10', '11', '12'])('creates a v%s room whose every event passes the auth rules and verifies', async (v) => {
    const roomId = await createRoom({ room_version: v, name: 'Room', preset: 'public_chat' });
    const head = (await server.store.loadRoom(roomId))!;
    const version = getRoomVersion(v);
    const key = await new Keyring(server.db.prisma).signingKey(SERVER);
    const events = server.output.filter((e) => e.roomId === roomId);
    expect(events.map((e) => e.pdu.type)).toEqual([
      'm.room.create',
      'm.room.member',
      'm.room.power_levels',
      'm.room.join_rules',
      'm.room.history_visibility',
      'm.room.name',
    ]);
    const state = new Map<string, (typeof events)[number]['pdu']>();
    for (const e of events) {
      expect(checkEventAuth(version, e.pdu, (t, k) => state.get(stateKey(t, k))).allowed).toBe(true);
      expect(verifyEventSignatures(version, e.pdu, () => ({ key: publicKeyFromBase64(key.publicKeyBase64) }))).toEqual({
        ok: true,
      });
      state.set(stateKey(e.pdu.type, e.pdu.state_key!), e.pdu);
    }
    expect(head.state.get(stateKey('m.room.name', ''))?.pdu.content).toEqual({ name: 'Room' });
    if (v === '12') expect(roomId).toMatch(/^![A-Za-z0-9_-]{43}$/);
  });

  it("stores each event's JSON exactly as it was built, escapes and all", async () => {
    const roomId = await createRoom();
    const body = 'quotes " and \\ backslash, é, 🙂, \u0000 nul, </script>';
    const sent = await server.submit({
      kind: 'send',
      sender: ALICE,
      roomId,
      type: 'm.room.message',
      content: { body },
    });
    if (!sent.ok) throw new Error(sent.error.error);
    const built = server.output.find((e) => e.eventId === sent.eventId)!;
    const [stored] = await server.db.prisma.$queryRawUnsafe<Array<{ json: string }>>(
      'SELECT j.json FROM event_json j JOIN events e USING (event_nid) WHERE e.event_id = $1',
      sent.eventId,
    );
    expect(stored.json).toBe(JSON.stringify(built.pdu));
  });

  it('makes sends idempotent per device and transaction ID', async () => {
    const roomId = await createRoom();
    const send = () =>
      server.submit({
        kind: 'send',
        sender: ALICE,
        roomId,
        type: 'm.room.message',
        content: { body: 'hi' },
        txn: { deviceId: 'D1', txnId: 't1' },
      });
    const first = await send();
    const second = await send();
    expect(second).toEqual(first);
    const other = await server.submit({
      kind: 'send',
      sender: ALICE,
      roomId,
      type: 'm.room.message',
      content: { body: 'hi' },
      txn: { deviceId: 'D2', txnId: 't1' },
    });
    expect(other.ok && first.ok && other.eventId !== first.eventId).toBe(true);
  });

  it('refuses events the auth rules reject, and persists nothing', async () => {
    const roomId = await createRoom();
    const before = await server.db.prisma.event.count();
    const reply = await server.submit({
      kind: 'send',
      sender: BOB,
      roomId,
      type: 'm.room.message',
      content: { body: 'intruder' },
    });
    expect(reply).toMatchObject({ ok: false, error: { errcode: 'M_FORBIDDEN', status: 403 } });
    expect(await server.db.prisma.event.count()).toBe(before);
  });

  it('runs invite, join, kick, ban and unban through the auth rules', async () => {
    const roomId = await createRoom({ preset: 'private_chat' });
    const act = (sender: string, action: string, target: string) =>
      server.submit({ kind: 'membership', sender, roomId, action: action as never, target });
    expect(await act(BOB, 'join', BOB)).toMatchObject({ ok: false, error: { errcode: 'M_FORBIDDEN' } });
    expect(await act(ALICE, 'invite', BOB)).toMatchObject({ ok: true });
    expect(await act(BOB, 'join', BOB)).toMatchObject({ ok: true });
    expect(await act(ALICE, 'kick', BOB)).toMatchObject({ ok: true });
    expect(await act(ALICE, 'ban', BOB)).toMatchObject({ ok: true });
    expect(await act(ALICE, 'unban', BOB)).toMatchObject({ ok: true });
    const head = (await server.store.loadRoom(roomId))!;
    expect(head.state.get(stateKey('m.room.member', BOB))?.pdu.content.membership).toBe('leave');
    expect(head.state.get(stateKey('m.room.member', ALICE))?.pdu.content.displayname).toBe('alice');
  });

  it('redacts an event and records who redacted it', async () => {
    const roomId = await createRoom({ room_version: '11' });
    const sent = await server.submit({
      kind: 'send',
      sender: ALICE,
      roomId,
      type: 'm.room.message',
      content: { body: 'oops' },
    });
    const redaction = await server.submit({
      kind: 'redact',
      sender: ALICE,
      roomId,
      redacts: (sent as { eventId: string }).eventId,
      reason: 'typo',
    });
    expect(redaction).toMatchObject({ ok: true });
    const row = await server.db.prisma.event.findUnique({ where: { eventId: (sent as { eventId: string }).eventId } });
    expect(row?.redactedBy).toBe((redaction as { eventId: string }).eventId);
  });

  it('answers a redelivered input with its first reply and writes nothing', async () => {
    const roomId = await createRoom();
    const input = message(roomId, 'once', 'redelivered-1');
    const first = await server.submit(input);
    const count = await server.db.prisma.event.count();
    expect(await server.handler.handle([{ request: input, context: { epoch: 0n, mayBeRepeat: true } }])).toEqual([
      first,
    ]);
    expect(await server.db.prisma.event.count()).toBe(count);
  });

  it('writes nothing for a repeat its delivery did not flag: the recorded input refuses the whole write', async () => {
    const roomId = await createRoom();
    const input = message(roomId, 'once', 'unflagged-repeat-1');
    await server.submit(input);
    const count = await server.db.prisma.event.count();
    await expect(
      server.handler.handle([{ request: input, context: { epoch: 0n, mayBeRepeat: false } }]),
    ).rejects.toThrow();
    expect(await server.db.prisma.event.count()).toBe(count);
  });

  it('refuses an unknown room version and a taken alias', async () => {
    expect(await server.submit({ kind: 'createRoom', sender: ALICE, request: { room_version: '99' } })).toMatchObject({
      ok: false,
      error: { errcode: 'M_UNSUPPORTED_ROOM_VERSION' },
    });
    await createRoom({ room_alias_name: 'taken' });
    expect(
      await server.submit({ kind: 'createRoom', sender: CAROL, request: { room_alias_name: 'taken' } }),
    ).toMatchObject({ ok: false, error: { errcode: 'M_ROOM_IN_USE' } });
  });

  describe('a batch of inputs', () => {
    const send = (roomId: string, sender: string, body: string, extra: object = {}) => ({
      request: {
        kind: 'send' as const,
        inputId: `batch-${body}`,
        serverName: SERVER,
        sender,
        roomId,
        type: 'm.room.message',
        content: { body },
        ...extra,
      },
      context: { epoch: 0n, mayBeRepeat: false },
    });

    it("chains each room's events in input order across several rooms", async () => {
      const [a, b] = [await createRoom(), await createRoom()];
      const replies = await server.handler.handle([
        send(a, ALICE, 'a1'),
        send(b, ALICE, 'b1'),
        send(a, ALICE, 'a2'),
        send(b, ALICE, 'b2'),
      ]);
      const ids = replies.map((r) => (r.ok && 'eventId' in r ? r.eventId! : ''));
      await server.delivered();
      const pdu = (eventId: string) => server.output.find((e) => e.eventId === eventId)!.pdu;
      expect(pdu(ids[2]).prev_events).toEqual([ids[0]]);
      expect(pdu(ids[3]).prev_events).toEqual([ids[1]]);
      expect((await server.store.loadRoom(a))!.extremities.map((x) => x.eventId)).toEqual([ids[2]]);
    });

    it('publishes the messages of a batch with the consecutive stream positions they are stored at', async () => {
      const [a, b] = [await createRoom(), await createRoom()];
      const replies = await server.handler.handle([
        send(a, ALICE, 'p1'),
        send(b, BOB, 'p-refused'),
        send(b, ALICE, 'p2'),
        send(a, ALICE, 'p3'),
      ]);
      const ids = replies.flatMap((r) => (r.ok && 'eventId' in r ? [r.eventId!] : []));
      await server.delivered();
      const published = ids.map((id) => BigInt(server.output.find((e) => e.eventId === id)!.streamPos));
      const stored = await server.db.prisma.event.findMany({
        where: { eventId: { in: ids } },
        select: { eventId: true, streamPos: true },
      });
      // Compared as numbers: a failing bigint comparison cannot be reported by jest's workers.
      expect(published.map(Number)).toEqual(ids.map((id) => Number(stored.find((e) => e.eventId === id)!.streamPos)));
      const ordered = published.map(Number).sort((x, y) => x - y);
      expect(ordered.slice(1).map((p, i) => p - ordered[i])).toEqual([1, 1]);
    });

    it('answers an input the auth rules reject with its error and persists the others', async () => {
      const roomId = await createRoom();
      const before = await server.db.prisma.event.count();
      const replies = await server.handler.handle([send(roomId, BOB, 'intruder'), send(roomId, ALICE, 'welcome')]);
      expect(replies[0]).toMatchObject({ ok: false, error: { errcode: 'M_FORBIDDEN' } });
      expect(replies[1]).toMatchObject({ ok: true });
      expect(await server.db.prisma.event.count()).toBe(before + 1);
    });

    it('makes one event of a transaction ID repeated within the batch', async () => {
      const roomId = await createRoom();
      const txn = { txn: { deviceId: 'D9', txnId: 'same' } };
      const replies = await server.handler.handle([
        send(roomId, ALICE, 'first-copy', txn),
        send(roomId, ALICE, 'second-copy', txn),
      ]);
      expect(replies[1]).toEqual(replies[0]);
      expect(await server.db.prisma.event.count({ where: { txnId: 'same' } })).toBe(1);
    });

    it('answers an input delivered twice in one batch once', async () => {
      const roomId = await createRoom();
      const twice = send(roomId, ALICE, 'twice');
      const replies = await server.handler.handle([twice, twice]);
      expect(replies[1]).toEqual(replies[0]);
      expect(
        await server.db.prisma.event.count({ where: { eventId: (replies[0] as { eventId: string }).eventId } }),
      ).toBe(1);
    });
  });

  it('publishes persisted events in stream order', async () => {
    const positions = server.output.map((e) => BigInt(e.streamPos));
    expect(positions).toEqual([...positions].sort((a, b) => (a < b ? -1 : 1)));
    expect(new Set(positions).size).toBe(positions.length);
  });

  describe('server ACLs', () => {
    const OTHER_TENANT_USER = '@dave:other.example';
    const asOtherTenant = (input: object) =>
      server.submit({ ...input, serverName: 'other.example', sender: OTHER_TENANT_USER } as never);
    const setAcl = (roomId: string, content: JsonObject) =>
      server.submit({ kind: 'send', sender: ALICE, roomId, type: 'm.room.server_acl', stateKey: '', content });

    it("refuses an ACL that would deny the sender's own server, and takes one that does not", async () => {
      const roomId = await createRoom();
      expect(await setAcl(roomId, { allow: ['*'], deny: [SERVER] })).toMatchObject({
        ok: false,
        error: { errcode: 'M_FORBIDDEN' },
      });
      expect(await setAcl(roomId, { deny: [] })).toMatchObject({ ok: false, error: { errcode: 'M_FORBIDDEN' } });
      expect(await setAcl(roomId, { allow: ['*'], deny: ['evil.example'] })).toMatchObject({ ok: true });
    });

    it('refuses to redact the current ACL, which would deny every server', async () => {
      const roomId = await createRoom();
      const acl = await setAcl(roomId, { allow: ['*'] });
      if (!acl.ok) throw new Error('ACL refused');
      expect(await server.submit({ kind: 'redact', sender: ALICE, roomId, redacts: acl.eventId! })).toMatchObject({
        ok: false,
        error: { errcode: 'M_FORBIDDEN' },
      });
    });

    it('lets a user of a denied server (another tenant) leave the room but do nothing else there', async () => {
      const roomId = await createRoom({ preset: 'public_chat' });
      expect(
        await asOtherTenant({ kind: 'membership', action: 'join', roomId, target: OTHER_TENANT_USER }),
      ).toMatchObject({ ok: true });
      expect(await setAcl(roomId, { allow: ['*'], deny: ['other.example'] })).toMatchObject({ ok: true });
      expect(
        await asOtherTenant({ kind: 'send', roomId, type: 'm.room.message', content: { body: 'denied' } }),
      ).toMatchObject({ ok: false, error: { errcode: 'M_FORBIDDEN' } });
      expect(
        await asOtherTenant({ kind: 'membership', action: 'leave', roomId, target: OTHER_TENANT_USER }),
      ).toMatchObject({ ok: true });
      expect(
        await asOtherTenant({ kind: 'membership', action: 'join', roomId, target: OTHER_TENANT_USER }),
      ).toMatchObject({ ok: false, error: { errcode: 'M_FORBIDDEN' } });
    });
  });

  describe('partition handover between two writers of one database', () => {
    let other: RoomInputHandler;
    beforeAll(() => {
      other = newRoomInputHandler(server.db, server.bus, { isLocal: () => true });
    });

    it("refuses writes from a replica whose epoch is older than the last writer's, and persists nothing", async () => {
      const roomId = await createRoom();
      await server.handler.handle([
        { request: message(roomId, 'new owner', 'fence-1'), context: { epoch: 7n, mayBeRepeat: false } },
      ]);
      const count = await server.db.prisma.event.count();
      await expect(
        other.handle([
          { request: message(roomId, 'old owner', 'fence-2'), context: { epoch: 6n, mayBeRepeat: false } },
        ]),
      ).rejects.toThrow(FencedWriteError);
      expect(await server.db.prisma.event.count()).toBe(count);
    });

    it("refuses a state event from a replica whose epoch is older than the last writer's", async () => {
      const roomId = await createRoom();
      await server.handler.handle([
        { request: message(roomId, 'new owner', 'fence-state-1'), context: { epoch: 9n, mayBeRepeat: false } },
      ]);
      const name = {
        kind: 'send' as const,
        inputId: 'fence-state-2',
        serverName: SERVER,
        sender: ALICE,
        roomId,
        type: 'm.room.name',
        stateKey: '',
        content: { name: 'old owner' },
      };
      await expect(other.handle([{ request: name, context: { epoch: 8n, mayBeRepeat: false } }])).rejects.toThrow(
        FencedWriteError,
      );
    });

    it("reloads a head another writer made stale, so the new event follows the other writer's", async () => {
      const roomId = await createRoom();
      await server.handler.handle([
        { request: message(roomId, 'first', 'stale-1'), context: { epoch: 8n, mayBeRepeat: false } },
      ]);
      const [between] = await other.handle([
        { request: message(roomId, 'between', 'stale-2'), context: { epoch: 8n, mayBeRepeat: false } },
      ]);
      const [last] = await server.handler.handle([
        { request: message(roomId, 'last', 'stale-3'), context: { epoch: 8n, mayBeRepeat: false } },
      ]);
      if (!between.ok || !last.ok || !('eventId' in between) || !('eventId' in last)) throw new Error('send failed');
      await server.bus.delivered();
      const pdu = server.output.find((e) => e.eventId === last.eventId)!.pdu;
      expect(pdu.prev_events).toEqual([between.eventId]);
    });

    it('reloads a head whose stored extremities are its own and one more, so the new event refers to both', async () => {
      const roomId = await createRoom();
      const [first] = await server.handler.handle([
        { request: message(roomId, 'first', 'grown-1'), context: { epoch: 8n, mayBeRepeat: false } },
      ]);
      const [between] = await other.handle([
        { request: message(roomId, 'between', 'grown-2'), context: { epoch: 8n, mayBeRepeat: false } },
      ]);
      if (!first.ok || !between.ok || !('eventId' in first) || !('eventId' in between)) throw new Error('send failed');
      // The cached head's extremity stored again beside the other writer's, which sorts after it.
      await server.db.sql.query(
        'INSERT INTO forward_extremities (room_nid, event_nid) SELECT room_nid, event_nid FROM events WHERE event_id = $1',
        [first.eventId],
      );
      const [last] = await server.handler.handle([
        { request: message(roomId, 'last', 'grown-3'), context: { epoch: 8n, mayBeRepeat: false } },
      ]);
      if (!last.ok || !('eventId' in last)) throw new Error('send failed');
      await server.bus.delivered();
      const pdu = server.output.find((e) => e.eventId === last.eventId)!.pdu;
      expect([...pdu.prev_events].sort()).toEqual([first.eventId, between.eventId].sort());
    });
  });
});
