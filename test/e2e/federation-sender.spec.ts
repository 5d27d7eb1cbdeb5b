import { AccountStore, DeviceListStore } from '../../libs/accounts/src';
import { TenantDirectory, parseConfig } from '../../libs/config/src';
import { queueOutbound, type FederationClient } from '../../libs/federation/src';
import { buildEvent, RoomReader } from '../../libs/rooms/src';
import { ALICE, SERVER, startRoomServer } from '../../libs/room-server/src/spec/room-server-fixture';
import { FederationSender } from '../../libs/federation-api/src/sender/federation-sender';
import { generateSigningKey, type JsonObject, type Pdu } from '../../libs/protocol/src';
import { Outbox } from '../../libs/federation-api/src/sender/outbox';
import { NoPositionCache } from '../../libs/storage/src';

const REMOTE_USER = '@bob:remote.example';

type RoomServer = Awaited<ReturnType<typeof startRoomServer>>;
let server: RoomServer;
let sender: FederationSender | undefined;
beforeEach(async () => {
  server = await startRoomServer();
}, 60_000);
afterEach(async () => {
  jest.restoreAllMocks();
  await sender?.onModuleDestroy();
  sender = undefined;
  await server.close();
});

/** Transactions that go nowhere: these tests are about what the sender queues, not the network. */
const unreachable = { request: () => new Promise(() => undefined) } as unknown as FederationClient;

function startSender(
  client: FederationClient = unreachable,
  reader = new RoomReader(server.db.prisma),
): FederationSender {
  const config = parseConfig({ tenants: [{ serverName: SERVER }] });
  sender = new FederationSender(
    server.bus,
    server.db.prisma,
    TenantDirectory.fromConfig(config),
    client,
    config,
    reader,
    new AccountStore(
      server.db.prisma,
      server.bus,
      new DeviceListStore(server.db.prisma, new NoPositionCache(), server.bus),
    ),
  );
  sender.onModuleInit();
  return sender;
}

/** A client that answers every transaction, recording the invitees of its PDUs (events on the wire carry no ID) and its EDU types. */
function recordingClient(transactions: Array<{ invitees: string[]; edus: string[] }>): FederationClient {
  return {
    request: (
      _origin: string,
      _server: string,
      _method: string,
      _path: string,
      body: { pdus: Pdu[]; edus: JsonObject[] },
    ) => {
      transactions.push({
        invitees: body.pdus.map((pdu) => String(pdu.state_key)),
        edus: body.edus.map((edu) => String(edu.edu_type)),
      });
      return Promise.resolve({});
    },
  } as unknown as FederationClient;
}

async function queuedFor(destination: string): Promise<string[]> {
  const rows = await server.db.prisma.federationOutbox.findMany({ where: { destination }, orderBy: { id: 'asc' } });
  return rows.map((r) => r.dedupKey);
}

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/**
 * A reader whose routing pass stops at its read of the events stream once `hold` is called, until `resumePass`:
 * meanwhile only output reaches the sender.
 */
function heldRouting(): { reader: RoomReader; hold: () => void; resumePass: () => void } {
  let resumePass!: () => void;
  const resume = new Promise<void>((resolve) => (resumePass = resolve));
  const reader = new RoomReader(server.db.prisma);
  const read = reader.eventHeadersInRange.bind(reader);
  let held = false;
  reader.eventHeadersInRange = async (...args) => {
    if (held) await resume;
    return read(...args);
  };
  return { reader, hold: () => (held = true), resumePass };
}

async function untilRouted(position: bigint): Promise<void> {
  await until(
    'the events to be routed',
    async () =>
      ((await server.db.prisma.federationRouting.findUnique({ where: { stream: 'events' } }))?.routedPos ?? 0n) >=
      position,
  );
}

async function send(roomId: string, body: string): Promise<string> {
  const sent = await server.submit({ kind: 'send', sender: ALICE, roomId, type: 'm.room.message', content: { body } });
  if (!sent.ok) throw new Error(sent.error.error);
  return sent.eventId;
}

/** The remote user joins the room, signed by their server, as that server would send it. */
async function remoteUserJoins(roomId: string): Promise<void> {
  const join = buildEvent(
    (await server.store.loadRoom(roomId))!,
    REMOTE_USER,
    { type: 'm.room.member', stateKey: REMOTE_USER, content: { membership: 'join' } },
    'remote.example',
    generateSigningKey(),
  );
  const joined = await server.submit({
    kind: 'federatedEvent',
    sender: REMOTE_USER,
    roomId,
    eventId: join.eventId,
    pdu: join.pdu as never,
  });
  if (!joined.ok) throw new Error(joined.error.error);
}

async function inviteRemoteUser(target = REMOTE_USER): Promise<string> {
  const created = await server.submit({ kind: 'createRoom', sender: ALICE, request: {} as never });
  if (!created.ok) throw new Error(created.error.error);
  const invited = await server.submit({
    kind: 'membership',
    action: 'invite',
    sender: ALICE,
    roomId: created.roomId,
    target,
  });
  if (!invited.ok || !invited.eventId) throw new Error('invite failed');
  return invited.eventId;
}

describe('FederationSender routing', () => {
  it('queues an event for the servers it concerns as it is persisted', async () => {
    startSender();
    const invite = await inviteRemoteUser();
    await until('the invite to be queued', async () => (await queuedFor('remote.example')).includes(invite));
  });

  it('records the events of a room with no other server as routed, in a later pass', async () => {
    startSender();
    const created = await server.submit({ kind: 'createRoom', sender: ALICE, request: {} as never });
    if (!created.ok) throw new Error(created.error.error);
    const sent = await send(created.roomId, 'only here');
    await untilRouted((await server.db.prisma.event.findUniqueOrThrow({ where: { eventId: sent } })).streamPos!);
    expect(await server.db.prisma.federationOutbox.count()).toBe(0);
  });

  it('queues events persisted while no sender ran once one starts', async () => {
    const invite = await inviteRemoteUser();
    await server.delivered();
    expect(await queuedFor('remote.example')).toEqual([]);
    startSender();
    await until('the invite to be queued', async () => (await queuedFor('remote.example')).includes(invite));
  });

  it('leaves a transaction answered only after shutdown queued, for the next start to send', async () => {
    let answer!: () => void;
    const sent = new Promise<void>((resolve) => {
      const slow = {
        request: () => (resolve(), new Promise((r) => (answer = () => r({})))),
      } as unknown as FederationClient;
      startSender(slow);
    });
    const invite = await inviteRemoteUser();
    await sent;
    await sender!.onModuleDestroy();
    sender = undefined;
    answer();
    await new Promise((r) => setTimeout(r, 200));
    expect(await queuedFor('remote.example')).toContain(invite);
  });

  it('sends an event queued while the last transaction to its destination is finishing right after it', async () => {
    const transactions: Array<{ invitees: string[]; edus: string[] }> = [];
    startSender(recordingClient(transactions));
    // The drain after the first transaction finds the outbox empty; the second invite is queued (and its flush
    // comes) before that drain ends, the moment a sender that is still "sending" must not drop the flush.
    let second: Promise<string> | undefined;
    const next = Outbox.prototype.next;
    jest.spyOn(Outbox.prototype, 'next').mockImplementation(async function (this: Outbox, destination: string) {
      const batch = await next.call(this, destination);
      if (!batch && transactions.length === 1 && !second) {
        second = inviteRemoteUser('@carol:remote.example');
        const invite = await second;
        await until('the second invite to be queued', async () => (await queuedFor('remote.example')).includes(invite));
      }
      return batch;
    });
    await inviteRemoteUser();
    await until('the second invite to be sent', async () => transactions.length === 2);
    expect(transactions.map((t) => t.invitees)).toEqual([[REMOTE_USER], ['@carol:remote.example']]);
  }, 60_000);

  it('sends an EDU flushed while a routing pass is under way in one transaction with the events of that pass', async () => {
    const transactions: Array<{ invitees: string[]; edus: string[] }> = [];
    // The pass stops at its read of the events stream until the EDU is queued: the order a /sync right after a
    // send gives (its presence EDU queued while the send's event is being routed).
    let passStarted!: () => void;
    const started = new Promise<void>((resolve) => (passStarted = resolve));
    let resumePass!: () => void;
    const resume = new Promise<void>((resolve) => (resumePass = resolve));
    const reader = new RoomReader(server.db.prisma);
    const read = reader.eventHeadersInRange.bind(reader);
    reader.eventHeadersInRange = async (...args) => {
      passStarted();
      await resume;
      return read(...args);
    };
    await inviteRemoteUser();
    await server.delivered();
    startSender(recordingClient(transactions), reader);
    await started;
    const edu = { edu_type: 'm.typing', content: { room_id: '!r:remote.example', user_id: ALICE, typing: true } };
    await queueOutbound(server.db.prisma, ['remote.example'], SERVER, { edu });
    await server.bus.publish('output.outbox', { destinations: ['remote.example'] });
    await new Promise((r) => setTimeout(r, 200));
    resumePass();
    await until('a transaction', async () => transactions.length > 0);
    expect(transactions[0]).toEqual({ invitees: [REMOTE_USER], edus: ['m.typing'] });
  }, 60_000);

  it("routes our user's presence to a server whose user just joined, before the routing pass reads the join", async () => {
    const created = await server.submit({ kind: 'createRoom', sender: ALICE, request: {} as never });
    if (!created.ok) throw new Error(created.error.error);
    const { reader, hold, resumePass } = heldRouting();
    startSender(unreachable, reader);
    await untilRouted(BigInt(server.output[server.output.length - 1].streamPos));
    hold();
    const join = {
      type: 'm.room.member',
      state_key: REMOTE_USER,
      sender: REMOTE_USER,
      content: { membership: 'join' },
    };
    await server.bus.publish('output.room', {
      roomId: created.roomId,
      eventId: '$bob-joins',
      streamPos: '1000',
      pdu: join as unknown as Pdu,
      membershipOf: REMOTE_USER,
    });
    await server.bus.publish('output.presence', {
      userId: ALICE,
      position: '7',
      state: 'unavailable',
      lastActiveTs: Date.now(),
      currentlyActive: false,
    });
    await server.bus.delivered();
    try {
      await until('the presence to be queued', async () =>
        (await queuedFor('remote.example')).includes(`m.presence ${ALICE} 7`),
      );
    } finally {
      resumePass();
    }
  });

  it('does not send a server what was sent before its user joined, when the routing pass reaches it after the join', async () => {
    const created = await server.submit({ kind: 'createRoom', sender: ALICE, request: { preset: 'public_chat' } });
    if (!created.ok) throw new Error(created.error.error);
    const roomId = created.roomId;
    const { reader, hold, resumePass } = heldRouting();
    startSender(unreachable, reader);
    await untilRouted(BigInt(server.output[server.output.length - 1].streamPos));
    hold();
    const before = await send(roomId, 'before the join');
    await remoteUserJoins(roomId);
    const after = await send(roomId, 'after the join');
    await server.delivered();
    resumePass();
    await until('the message after the join to be queued', async () =>
      (await queuedFor('remote.example')).includes(after),
    );
    expect(await queuedFor('remote.example')).not.toContain(before);
  });

  describe('a local user\'s join into a room with a server new to them (server-server-api "Device Management")', () => {
    const CAROL = `@carol:${SERVER}`;

    /** A public room of Alice's that a user of remote.example joined, and Carol, with one device, not in it yet. */
    async function roomWithRemoteMember(): Promise<string> {
      await server.db.prisma.user.create({ data: { userId: CAROL, serverName: SERVER, localpart: 'carol' } });
      await server.db.prisma.device.create({ data: { userId: CAROL, deviceId: 'CAROLPHONE' } });
      const created = await server.submit({ kind: 'createRoom', sender: ALICE, request: { preset: 'public_chat' } });
      if (!created.ok) throw new Error(created.error.error);
      await remoteUserJoins(created.roomId);
      return created.roomId;
    }

    /** Carol joins, or, joined, sets the member content `content` (a display name). */
    async function carolJoins(roomId: string, content?: JsonObject): Promise<bigint> {
      const sent = await server.submit({
        kind: 'membership',
        action: 'join',
        sender: CAROL,
        roomId,
        target: CAROL,
        content,
      });
      if (!sent.ok || !sent.eventId) throw new Error('join failed');
      return (await server.db.prisma.event.findUniqueOrThrow({ where: { eventId: sent.eventId } })).streamPos!;
    }

    const deviceUpdatesFor = async (destination: string) =>
      (await queuedFor(destination)).filter((key) => key.startsWith('m.device_list_update:'));

    it("sends that server the user's devices", async () => {
      const roomId = await roomWithRemoteMember();
      startSender();
      await carolJoins(roomId);
      await until(
        'a device list update to be queued',
        async () => (await deviceUpdatesFor('remote.example')).length > 0,
      );
      const [change] = await server.db.prisma.deviceListChange.findMany({ where: { userId: CAROL } });
      expect(change).toMatchObject({ deviceId: 'CAROLPHONE', pendingFederation: false });
    });

    it('sends nothing again when the joined user changes their display name', async () => {
      const roomId = await roomWithRemoteMember();
      startSender();
      await carolJoins(roomId);
      const renamed = await carolJoins(roomId, { displayname: 'Carol' });
      await untilRouted(renamed);
      expect(await server.db.prisma.deviceListChange.count({ where: { userId: CAROL } })).toBe(1);
    });
  });

  it("reads the servers of a user's rooms in one query when their presence changes", async () => {
    const rooms: string[] = [];
    for (let i = 0; i < 3; i++) {
      const created = await server.submit({ kind: 'createRoom', sender: ALICE, request: {} as never });
      if (!created.ok) throw new Error(created.error.error);
      rooms.push(created.roomId);
    }
    // The routing pass, which learns each room's servers as it routes the room's events, is held back.
    let resumePass!: () => void;
    const resume = new Promise<void>((resolve) => (resumePass = resolve));
    const reader = new RoomReader(server.db.prisma);
    const read = reader.eventHeadersInRange.bind(reader);
    reader.eventHeadersInRange = async (...args) => {
      await resume;
      return read(...args);
    };
    const batched = jest.spyOn(reader, 'joinedServersOfRooms');
    const oneByOne = jest.spyOn(reader, 'joinedServers');
    startSender(unreachable, reader);
    try {
      await server.bus.publish('output.presence', {
        userId: ALICE,
        position: '3',
        state: 'online',
        lastActiveTs: Date.now(),
        currentlyActive: true,
      });
      await server.bus.delivered();
      expect(batched.mock.calls).toEqual([[expect.arrayContaining(rooms)]]);
      expect(oneByOne).not.toHaveBeenCalled();
    } finally {
      resumePass();
    }
  });
});
