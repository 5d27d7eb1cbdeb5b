import type { FederationClient } from '@lattice/federation';
import { RemoteHierarchyCache } from './remote-hierarchy-cache';

/** A federation client that answers every /hierarchy with one room, counting the requests. */
function countingClient(answer: 'room' | 'error' = 'room') {
  const calls: string[] = [];
  const client = {
    request: async (_origin: string, server: string, _method: string, path: string) => {
      calls.push(`${server} ${path}`);
      if (answer === 'error') throw new Error('unreachable');
      return {
        room: { room_id: '!r:x', join_rule: 'public', children_state: [] },
        children: [],
        inaccessible_children: [],
      };
    },
  } as unknown as FederationClient;
  return { client, calls };
}

describe('RemoteHierarchyCache', () => {
  it('asks once within a minute, and again after', async () => {
    const { client, calls } = countingClient();
    const cache = new RemoteHierarchyCache(client);
    expect((await cache.fetch('us', ['x'], '!r:x', false, 0))?.room.room_id).toBe('!r:x');
    await cache.fetch('us', ['x'], '!r:x', false, 59_000);
    expect(calls).toHaveLength(1);
    await cache.fetch('us', ['x'], '!r:x', false, 61_000);
    expect(calls).toHaveLength(2);
  });

  it('keeps suggested-only answers apart', async () => {
    const { client, calls } = countingClient();
    const cache = new RemoteHierarchyCache(client);
    await cache.fetch('us', ['x'], '!r:x', false, 0);
    await cache.fetch('us', ['x'], '!r:x', true, 0);
    expect(calls).toEqual([
      'x /_matrix/federation/v1/hierarchy/!r%3Ax?suggested_only=false',
      'x /_matrix/federation/v1/hierarchy/!r%3Ax?suggested_only=true',
    ]);
  });

  it('does not keep a failure', async () => {
    const { client, calls } = countingClient('error');
    const cache = new RemoteHierarchyCache(client);
    expect(await cache.fetch('us', ['x'], '!r:x', false, 0)).toBeUndefined();
    await new Promise((r) => setImmediate(r));
    await cache.fetch('us', ['x'], '!r:x', false, 1);
    expect(calls).toHaveLength(2);
  });
});
