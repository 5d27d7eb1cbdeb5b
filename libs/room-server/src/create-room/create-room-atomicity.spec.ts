import type { CreateRoomInput, RoomInputReply } from '@lattice/contracts';
import { RoomInputHandler } from '../input/room-input-handler';
import { RoomStore } from '../storage/room-store';
import { ALICE, BOB, newRoomInputHandler, SERVER, startRoomServer } from '../spec/room-server-fixture';

/**
 * A room is created with its alias and directory entry in the transaction
 * that stores its events and records the input's reply: there is no moment
 * at which the reply is recorded (so a redelivered input answers "ok") and
 * the alias is not.
 */
type Server = Awaited<ReturnType<typeof startRoomServer>>;
let server: Server;
beforeAll(async () => {
  server = await startRoomServer();
}, 60_000);
afterAll(async () => server.close());

let n = 0;
function createInput(sender: string, request: object): CreateRoomInput {
  return { kind: 'createRoom', inputId: `create-${n++}`, serverName: SERVER, sender, request: request as never };
}

async function deliver(
  handler: RoomInputHandler,
  input: CreateRoomInput,
  mayBeRepeat = false,
): Promise<RoomInputReply> {
  const [reply] = await handler.handle([{ request: input, context: { epoch: 0n, mayBeRepeat } }]);
  return reply;
}

const aliasRow = (alias: string) => server.db.prisma.roomAlias.findUnique({ where: { alias } });
const roomCount = () => server.db.prisma.room.count();

/** Makes every insert into `table` fail, as a crash at that write would, until `recover`. */
async function crashOnInsertInto(table: string): Promise<{ recover: () => Promise<void> }> {
  await server.db.prisma.$executeRawUnsafe(
    `CREATE OR REPLACE FUNCTION crash() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'crashed at this write'; END $$ LANGUAGE plpgsql`,
  );
  await server.db.prisma.$executeRawUnsafe(
    `CREATE TRIGGER crash BEFORE INSERT ON ${table} FOR EACH STATEMENT EXECUTE FUNCTION crash()`,
  );
  return { recover: async () => void (await server.db.prisma.$executeRawUnsafe(`DROP TRIGGER crash ON ${table}`)) };
}

describe('creating a room with an alias', () => {
  it('commits the alias and the published-room entry with the events and the recorded reply', async () => {
    const reply = await deliver(
      server.handler,
      createInput(ALICE, { room_alias_name: 'together', visibility: 'public' }),
    );
    if (!reply.ok) throw new Error(reply.error.error);
    expect((await aliasRow(`#together:${SERVER}`))?.roomId).toBe(reply.roomId);
    expect(
      await server.db.prisma.publishedRoom.findUnique({
        where: { serverName_roomId: { serverName: SERVER, roomId: reply.roomId } },
      }),
    ).not.toBeNull();
  });

  it('records no reply when the alias write fails, so the redelivered input creates the room with its alias instead of answering ok without it', async () => {
    const input = createInput(ALICE, { room_alias_name: 'after-crash' });
    const rooms = await roomCount();
    const crash = await crashOnInsertInto('room_aliases');
    await expect(deliver(server.handler, input)).rejects.toThrow('crashed at this write');
    await crash.recover();
    expect(await roomCount()).toBe(rooms);
    expect(await aliasRow(`#after-crash:${SERVER}`)).toBeNull();
    expect(await server.db.prisma.processedInput.findUnique({ where: { inputId: input.inputId } })).toBeNull();

    const redelivered = await deliver(server.handler, input, true);
    if (!redelivered.ok) throw new Error(redelivered.error.error);
    expect((await aliasRow(`#after-crash:${SERVER}`))?.roomId).toBe(redelivered.roomId);
    expect(await deliver(server.handler, input, true)).toEqual(redelivered);
  });

  it('lets exactly one of two creates racing for one alias win; the other gets M_ROOM_IN_USE and leaves no room behind', async () => {
    // A second writer over the same database, as another replica owning the other creator's partition would be.
    const other = newRoomInputHandler(server.db, server.bus);
    const rooms = await roomCount();
    const replies = await Promise.all([
      deliver(server.handler, createInput(ALICE, { room_alias_name: 'contested' })),
      deliver(other, createInput(BOB, { room_alias_name: 'contested' })),
    ]);
    const winners = replies.filter((r) => r.ok);
    expect(winners).toHaveLength(1);
    expect(replies.find((r) => !r.ok)).toMatchObject({ ok: false, error: { errcode: 'M_ROOM_IN_USE' } });
    expect(await roomCount()).toBe(rooms + 1);
    expect((await aliasRow(`#contested:${SERVER}`))?.roomId).toBe(winners[0].ok && winners[0].roomId);
  });

  it('refuses, writing nothing, a create whose alias was taken after the handler looked', async () => {
    await server.db.prisma.roomAlias.create({
      data: { alias: `#taken-late:${SERVER}`, roomId: '!elsewhere:test.example', serverName: SERVER, creator: BOB },
    });
    const store = new RoomStore(server.db);
    const rooms = await roomCount();
    const taken = jest.spyOn(server.db.prisma.roomAlias, 'findUnique').mockResolvedValueOnce(null);
    const reply = await deliver(
      newRoomInputHandler(server.db, server.bus, { store }),
      createInput(ALICE, { room_alias_name: 'taken-late' }),
    );
    taken.mockRestore();
    expect(reply).toMatchObject({ ok: false, error: { errcode: 'M_ROOM_IN_USE' } });
    expect(await roomCount()).toBe(rooms);
  });
});
