import { RoomServers } from './room-servers';

const ROOM = '!room:here.example';

/** A reader of a room whose servers are `here.example` from position 1 and `early.example` from 5, counting its reads. */
function roomServers() {
  const reads: string[][] = [];
  const servers = new RoomServers({
    joinedServersOfRooms: (roomIds: string[]) => {
      reads.push(roomIds);
      return Promise.resolve(
        new Map([
          [
            ROOM,
            new Map([
              ['here.example', 1n],
              ['early.example', 5n],
            ]),
          ],
        ]),
      );
    },
  });
  return { servers, reads };
}

describe('RoomServers', () => {
  it('routes an event only to the servers that joined before it', async () => {
    const { servers } = roomServers();
    expect(await servers.before(ROOM, 5n)).toEqual(['here.example']);
    expect(await servers.before(ROOM, 6n)).toEqual(['here.example', 'early.example']);
  });

  it('adds a joining server from its join on, without reading the room again', async () => {
    const { servers, reads } = roomServers();
    await servers.now(ROOM);
    servers.membershipChanged(ROOM, '@new:late.example', 'join', 9n);
    expect(await servers.now(ROOM)).toContain('late.example');
    expect(await servers.before(ROOM, 9n)).not.toContain('late.example');
    expect(await servers.before(ROOM, 10n)).toContain('late.example');
    expect(reads).toHaveLength(1);
  });

  it('keeps the earlier position of a server a later join of another of its users names', async () => {
    const { servers } = roomServers();
    await servers.now(ROOM);
    servers.membershipChanged(ROOM, '@second:early.example', 'join', 20n);
    expect(await servers.before(ROOM, 6n)).toContain('early.example');
  });

  it('reads the room again after a membership change other than a join', async () => {
    const { servers, reads } = roomServers();
    await servers.now(ROOM);
    servers.membershipChanged(ROOM, '@someone:early.example', 'leave', 7n);
    await servers.now(ROOM);
    expect(reads).toHaveLength(2);
  });
});
