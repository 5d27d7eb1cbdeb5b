import { RoomReader } from '../../libs/rooms/src';
import { ALICE, SERVER, startRoomServer } from '../../libs/room-server/src/spec/room-server-fixture';

type RoomServer = Awaited<ReturnType<typeof startRoomServer>>;
let server: RoomServer;
beforeEach(async () => {
  server = await startRoomServer();
}, 60_000);
afterEach(() => server.close());

async function createRoom(): Promise<string> {
  const created = await server.submit({ kind: 'createRoom', sender: ALICE, request: {} as never });
  if (!created.ok) throw new Error(created.error.error);
  return created.roomId;
}

describe('RoomReader.joinedServersOfRooms', () => {
  it("lists each room's servers in one read: its joined members', and for a partial-state room those its resident named", async () => {
    const [full, partial] = [await createRoom(), await createRoom()];
    const room = await server.db.prisma.room.findUniqueOrThrow({ where: { roomId: partial } });
    await server.db.prisma.partialStateRoom.create({
      data: { roomNid: room.roomNid, roomId: partial, joinEventId: '$join', servers: ['resident.example'] },
    });
    const servers = await new RoomReader(server.db.prisma).joinedServersOfRooms([full, partial, '!unknown:elsewhere']);
    expect(Object.fromEntries([...servers].map(([roomId, list]) => [roomId, [...list.keys()].sort()]))).toEqual({
      [full]: [SERVER],
      [partial]: ['resident.example', SERVER],
    });
  });

  it("gives each server its earliest joined member's join position, and those a resident named the start", async () => {
    const roomId = await createRoom();
    const room = await server.db.prisma.room.findUniqueOrThrow({ where: { roomId } });
    await server.db.prisma.partialStateRoom.create({
      data: { roomNid: room.roomNid, roomId, joinEventId: '$join', servers: ['resident.example'] },
    });
    const creator = await server.db.prisma.currentState.findFirstOrThrow({
      where: { roomNid: room.roomNid, userId: ALICE },
    });
    const creatorJoin = await server.db.prisma.event.findUniqueOrThrow({ where: { eventNid: creator.eventNid } });
    const servers = await new RoomReader(server.db.prisma).joinedServersOfRooms([roomId]);
    expect(Object.fromEntries(servers.get(roomId)!)).toEqual({
      [SERVER]: creatorJoin.streamPos,
      'resident.example': 0n,
    });
  });
});
