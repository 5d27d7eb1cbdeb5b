import { walkHierarchy, type HierarchyLookup, type HierarchyRoom } from './hierarchy-walk';
import { formatHierarchyToken, parseHierarchyToken } from './hierarchy-token';
import { childStateEvents } from './space-children';

/** An in-memory room graph: each room's children by ID, sent in this order. */
function graph(
  children: Record<string, Array<string | { id: string; suggested?: boolean; order?: string }>>,
  hidden: string[] = [],
): HierarchyLookup {
  const room = (roomId: string): HierarchyRoom => ({
    room_id: roomId,
    num_joined_members: 1,
    world_readable: false,
    guest_can_join: false,
    join_rule: 'public',
    children_state: childStateEvents(
      (children[roomId] ?? []).map((c, i) => {
        const child = typeof c === 'string' ? { id: c } : c;
        return {
          type: 'm.space.child',
          state_key: child.id,
          sender: '@a:x',
          origin_server_ts: i,
          content: {
            via: ['x'],
            ...(child.suggested ? { suggested: true } : {}),
            ...(child.order ? { order: child.order } : {}),
          },
        };
      }),
    ),
  });
  return async (roomId) => (hidden.includes(roomId) ? undefined : room(roomId));
}

const ids = (page: { rooms: HierarchyRoom[] } | undefined) => page?.rooms.map((r) => r.room_id);
const walk = { maxDepth: 10, suggestedOnly: false, skip: 0, limit: 50 };

describe('walkHierarchy', () => {
  it("walks depth first, each space's children in order", async () => {
    const rooms = graph({ '!space': ['!a', '!sub', '!b'], '!sub': ['!c', '!d'] });
    expect(ids(await walkHierarchy('!space', rooms, walk))).toEqual(['!space', '!a', '!sub', '!c', '!d', '!b']);
  });

  it('orders children with a valid order key first', async () => {
    const rooms = graph({ '!space': ['!late', { id: '!ordered', order: 'b' }, { id: '!first', order: 'a' }] });
    expect(ids(await walkHierarchy('!space', rooms, walk))).toEqual(['!space', '!first', '!ordered', '!late']);
  });

  it('pages through the tree, the next page starting where the last ended', async () => {
    const rooms = graph({ '!space': ['!a', '!sub'], '!sub': ['!c'] });
    const first = await walkHierarchy('!space', rooms, { ...walk, limit: 2 });
    expect({ rooms: ids(first), next: first?.next }).toEqual({ rooms: ['!space', '!a'], next: 2 });
    const second = await walkHierarchy('!space', rooms, { ...walk, limit: 2, skip: 2 });
    expect({ rooms: ids(second), next: second?.next }).toEqual({ rooms: ['!sub', '!c'], next: undefined });
  });

  it('stops at max_depth', async () => {
    const rooms = graph({ '!space': ['!sub'], '!sub': ['!deep'] });
    expect(ids(await walkHierarchy('!space', rooms, { ...walk, maxDepth: 1 }))).toEqual(['!space', '!sub']);
    expect(ids(await walkHierarchy('!space', rooms, { ...walk, maxDepth: 0 }))).toEqual(['!space']);
  });

  it('ends on a loop of spaces, showing each room once', async () => {
    const rooms = graph({ '!space': ['!sub'], '!sub': ['!space', '!a'] });
    expect(ids(await walkHierarchy('!space', rooms, walk))).toEqual(['!space', '!sub', '!a']);
  });

  it('leaves out rooms the requester may not see, and what is under them', async () => {
    const rooms = graph({ '!space': ['!secret', '!a'], '!secret': ['!under'] }, ['!secret']);
    expect(ids(await walkHierarchy('!space', rooms, walk))).toEqual(['!space', '!a']);
  });

  it('walks only suggested children when asked', async () => {
    const rooms = graph({ '!space': ['!a', { id: '!b', suggested: true }] });
    expect(ids(await walkHierarchy('!space', rooms, { ...walk, suggestedOnly: true }))).toEqual(['!space', '!b']);
  });

  it('shows only the suggested links of a space when only suggested children are walked', async () => {
    const rooms = graph({ '!space': ['!a', { id: '!b', suggested: true }] });
    const [space] = (await walkHierarchy('!space', rooms, { ...walk, suggestedOnly: true }))!.rooms;
    expect(space.children_state.map((e) => e.state_key)).toEqual(['!b']);
  });

  it('gives nothing when the root cannot be seen', async () => {
    expect(await walkHierarchy('!space', graph({}, ['!space']), walk)).toBeUndefined();
  });
});

describe('hierarchy pagination tokens', () => {
  it('carry the walk they belong to', () => {
    const token = { roomId: '!space:x', skip: 4, maxDepth: 3, suggestedOnly: true };
    expect(parseHierarchyToken(formatHierarchyToken(token))).toEqual(token);
  });

  it.each([
    '',
    'garbage',
    Buffer.from('[1,2]').toString('base64url'),
    Buffer.from('["!r",-1,3,false]').toString('base64url'),
  ])('are refused when not ours (%s)', (raw) => {
    expect(parseHierarchyToken(raw)).toBeUndefined();
  });
});
