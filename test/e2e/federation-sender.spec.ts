import { TenantDirectory, parseConfig } from '../../libs/config/src';
import type { FederationClient } from '../../libs/federation/src';
import { RoomReader } from '../../libs/rooms/src';
import { ALICE, SERVER, startRoomServer } from '../../libs/room-server/src/spec/room-server-fixture';
import { FederationSender } from '../../libs/federation-api/src/sender/federation-sender';

const REMOTE_USER = '@bob:remote.example';

type RoomServer = Awaited<ReturnType<typeof startRoomServer>>;
let server: RoomServer;
let sender: FederationSender | undefined;
beforeEach(async () => {
  server = await startRoomServer();
}, 60_000);
afterEach(async () => {
  await sender?.onModuleDestroy();
  sender = undefined;
  await server.close();
});

/** Transactions that go nowhere: these tests are about what the sender queues, not the network. */
const unreachable = { request: () => new Promise(() => undefined) } as unknown as FederationClient;

function startSender(client: FederationClient = unreachable): FederationSender {
  const config = parseConfig({ tenants: [{ serverName: SERVER }] });
  sender = new FederationSender(
    server.bus,
    server.db.prisma,
    TenantDirectory.fromConfig(config),
    client,
    config,
    new RoomReader(server.db.prisma),
  );
  sender.onModuleInit();
  return sender;
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

async function inviteRemoteUser(): Promise<string> {
  const created = await server.submit({ kind: 'createRoom', sender: ALICE, request: {} as never });
  if (!created.ok) throw new Error(created.error.error);
  const invited = await server.submit({
    kind: 'membership',
    action: 'invite',
    sender: ALICE,
    roomId: created.roomId,
    target: REMOTE_USER,
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
    const sent = await server.submit({
      kind: 'send',
      sender: ALICE,
      roomId: created.roomId,
      type: 'm.room.message',
      content: { body: 'only here' },
    });
    if (!sent.ok) throw new Error(sent.error.error);
    const position = (await server.db.prisma.event.findUniqueOrThrow({ where: { eventId: sent.eventId } })).streamPos!;
    const routed = async () =>
      (await server.db.prisma.federationRouting.findUnique({ where: { stream: 'events' } }))?.routedPos ?? 0n;
    await until('the message to be routed', async () => (await routed()) >= position);
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
});
