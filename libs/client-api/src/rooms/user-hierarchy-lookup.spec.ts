import type { RemoteHierarchy } from '@lattice/federation';
import type { HierarchyRoom, LocalSpaceRooms } from '@lattice/rooms';
import { userHierarchyLookup, type UserHierarchyContext } from './user-hierarchy-lookup';

const room = (roomId: string, overrides: Partial<HierarchyRoom> = {}): HierarchyRoom => ({
  room_id: roomId,
  num_joined_members: 1,
  world_readable: false,
  guest_can_join: false,
  join_rule: 'public',
  room_version: '10',
  children_state: [],
  ...overrides,
});

/** A lookup over rooms this server has (`here`) and other servers' answers (`elsewhere`), counting the federation requests. */
function lookupOver(
  here: Record<string, { room: HierarchyRoom; members?: Record<string, string> }>,
  elsewhere: Record<string, RemoteHierarchy>,
  overrides: Partial<UserHierarchyContext> = {},
) {
  const asked: string[] = [];
  const local = {
    load: async (id: string) =>
      here[id] && { room: here[id].room, memberships: new Map(Object.entries(here[id].members ?? {})) },
  } as unknown as LocalSpaceRooms;
  const lookup = userHierarchyLookup({
    local,
    remote: async (servers, id) => {
      asked.push(`${servers.join(',')} ${id}`);
      return elsewhere[id];
    },
    isLocal: (s) => s === 'here',
    userId: '@u:here',
    joinedRoomIds: new Set(),
    invitedRoomIds: new Set(),
    ...overrides,
  });
  return { lookup, asked };
}

describe('userHierarchyLookup', () => {
  it('shows a room of this server only to whom may see it', async () => {
    const { lookup } = lookupOver(
      {
        '!closed': { room: room('!closed', { join_rule: 'invite' }) },
        '!mine': { room: room('!mine', { join_rule: 'invite' }), members: { '@u:here': 'join' } },
      },
      {},
    );
    expect(await lookup('!closed', [])).toBeUndefined();
    expect((await lookup('!mine', []))?.room_id).toBe('!mine');
  });

  it("asks the via servers other than ours about a room this server lacks, and takes its children's summaries from the answer", async () => {
    const answer = {
      room: room('!space', { room_type: 'm.space' }),
      children: [room('!child')],
      inaccessible: ['!hidden'],
    };
    const { lookup, asked } = lookupOver({}, { '!space': answer });
    expect((await lookup('!space', ['here', 'there']))?.room_id).toBe('!space');
    expect((await lookup('!child', ['there']))?.room_id).toBe('!child');
    expect(await lookup('!hidden', ['there'])).toBeUndefined();
    expect(asked).toEqual(['there !space']);
  });

  it('shows an invite-only room of another server to a user invited to it', async () => {
    const answer = { room: room('!invited', { join_rule: 'invite' }), children: [], inaccessible: [] };
    expect(await lookupOver({}, { '!invited': answer }).lookup('!invited', ['there'])).toBeUndefined();
    expect(
      (
        await lookupOver({}, { '!invited': answer }, { invitedRoomIds: new Set(['!invited']) }).lookup('!invited', [
          'there',
        ])
      )?.room_id,
    ).toBe('!invited');
  });
});
