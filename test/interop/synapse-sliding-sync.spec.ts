import { makeTestCertificates } from '../../tools/tls/test-certificates';
import { startEmbeddedServer } from '../support/embedded-server';
import { rawClient } from '../support/raw-client';
import { SlidingSyncClient, type RoomResult, type SlidingResponse } from '../support/sliding-sync-client';
import { startSynapse, type RunningSynapse } from '../support/synapse';

interface User {
  userId: string;
  token: string;
}

/** One homeserver the scenario runs on: its URL and how to make a user there. */
interface Side {
  name: string;
  url: string;
  register(username: string): Promise<User>;
}

/** The same rooms, made the same way, on each server; labels name them across servers. */
interface World {
  viewer: User;
  bob: User;
  labels: Map<string, string>;
  ids: Map<string, string>;
  call(who: User, method: string, path: string, body?: unknown): Promise<Record<string, unknown>>;
}

async function buildWorld(side: Side): Promise<World> {
  const call = async (who: User, method: string, path: string, body?: unknown) => {
    const response = await fetch(`${side.url}/_matrix/client/v3${path}`, {
      method,
      headers: { authorization: `Bearer ${who.token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = (await response.json()) as Record<string, unknown>;
    if (!response.ok) throw new Error(`${side.name} ${method} ${path}: ${JSON.stringify(json)}`);
    return json;
  };
  const [viewer, bob, carol] = [
    await side.register('viewer'),
    await side.register('bob'),
    await side.register('carol'),
  ];
  const labels = new Map<string, string>();
  const ids = new Map<string, string>();
  let txn = 0;
  const create = async (label: string, who: User, body: Record<string, unknown>) => {
    const roomId = (await call(who, 'POST', '/createRoom', body)).room_id as string;
    labels.set(roomId, label);
    ids.set(label, roomId);
    return roomId;
  };
  const send = (who: User, roomId: string, body: string) =>
    call(who, 'PUT', `/rooms/${encodeURIComponent(roomId)}/send/m.room.message/t${txn++}`, { msgtype: 'm.text', body });
  const join = (who: User, roomId: string) => call(who, 'POST', `/join/${encodeURIComponent(roomId)}`, {});

  const general = await create('general', viewer, { name: 'general', preset: 'public_chat' });
  await join(bob, general);
  await join(carol, general);
  for (const body of ['one', 'two', 'three']) await send(bob, general, body);
  const dm = await create('dm', viewer, { is_direct: true, preset: 'trusted_private_chat', invite: [bob.userId] });
  await join(bob, dm);
  await call(viewer, 'PUT', `/user/${encodeURIComponent(viewer.userId)}/account_data/m.direct`, { [bob.userId]: [dm] });
  await send(bob, dm, 'hi');
  const secret = await create('secret', viewer, {
    name: 'secret',
    initial_state: [{ type: 'm.room.encryption', state_key: '', content: { algorithm: 'm.megolm.v1.aes-sha2' } }],
  });
  await send(viewer, secret, 'quiet please');
  await create('space', viewer, { name: 'space', creation_content: { type: 'm.space' } });
  await create('quiet', viewer, { name: 'quiet', topic: 'nothing here' });
  await create('invite', carol, { name: 'invite', invite: [viewer.userId] });
  return { viewer, bob, labels, ids, call };
}

const REQUIRED_STATE = [
  ['m.room.name', ''],
  ['m.room.topic', ''],
  ['m.room.member', '$LAZY'],
  ['m.room.member', '$ME'],
];

/** A room result with server-specific parts (IDs, server names, stamps) taken out. */
function comparable(room: RoomResult): Record<string, unknown> {
  const local = (id: string | undefined) => id?.replace(/:.*$/, '');
  return {
    name: room.name,
    initial: room.initial ?? false,
    joined_count: room.joined_count,
    invited_count: room.invited_count,
    num_live: room.num_live,
    limited: room.limited,
    is_dm: room.is_dm ?? false,
    heroes: room.heroes?.map((h) => local(h.user_id)).sort(),
    // createRoom's public_chat preset: Lattice writes m.room.guest_access "forbidden", Synapse leaves it out (the default); not a sliding sync difference.
    required_state: room.required_state
      ?.filter((e) => e.type !== 'm.room.guest_access')
      .map((e) => `${e.type}|${local(e.state_key)}`)
      .sort(),
    timeline: room.timeline?.map((e) =>
      e.type === 'm.room.message' ? `${e.type}:${e.content.body as string}` : e.type,
    ),
    invite_state: room.invite_state?.map((e) => `${e.type}|${local(e.state_key)}`).sort(),
    has_bump_stamp: room.bump_stamp !== undefined,
  };
}

function comparableResponse(response: SlidingResponse, world: World): Record<string, unknown> {
  const label = (id: string) => world.labels.get(id) ?? id;
  return {
    lists: Object.fromEntries(
      Object.entries(response.lists ?? {}).map(([name, l]) => [
        name,
        { count: l.count, rooms: (l.ops ?? []).flatMap((op) => op.room_ids.map(label)) },
      ]),
    ),
    rooms: Object.fromEntries(
      Object.entries(response.rooms ?? {})
        .map(([id, room]): [string, unknown] => [label(id), comparable(room)])
        .sort(([a], [b]) => a.localeCompare(b)),
    ),
  };
}

/**
 * Lattice and Synapse answer the same simplified sliding sync requests about
 * the same rooms: same rooms in the same order, same counts, same
 * required_state, same timelines.
 */
describe('simplified sliding sync against Synapse', () => {
  let synapse: RunningSynapse;
  let lattice: Awaited<ReturnType<typeof startEmbeddedServer>>;
  const worlds: Record<'synapse' | 'lattice', World> = {} as never;
  const clients: Record<'synapse' | 'lattice', SlidingSyncClient> = {} as never;

  beforeAll(async () => {
    synapse = await startSynapse(makeTestCertificates());
    lattice = await startEmbeddedServer();
    const raw = rawClient(() => lattice.url);
    const sides: Record<'synapse' | 'lattice', Side> = {
      synapse: {
        name: 'Synapse',
        url: synapse.clientUrl,
        register: async (u) => {
          const account = await synapse.register(u);
          return { userId: account.userId, token: account.accessToken };
        },
      },
      lattice: { name: 'Lattice', url: lattice.url, register: (u) => raw.register(u) },
    };
    for (const side of ['synapse', 'lattice'] as const) {
      worlds[side] = await buildWorld(sides[side]);
      clients[side] = new SlidingSyncClient(() => sides[side].url, worlds[side].viewer.token, 'interop');
    }
  }, 180_000);

  afterAll(async () => {
    await synapse?.stop();
    await lattice?.close();
  });

  /** The same request on each server, on the main connection or a new one (`connId`). */
  const both = async (body: (w: World) => Record<string, unknown>, timeoutMs = 0, connId?: string) => {
    const answers = {} as Record<'synapse' | 'lattice', Record<string, unknown>>;
    for (const side of ['synapse', 'lattice'] as const) {
      const client = connId
        ? new SlidingSyncClient(
            () => (side === 'synapse' ? synapse.clientUrl : lattice.url),
            worlds[side].viewer.token,
            connId,
          )
        : clients[side];
      answers[side] = comparableResponse(await client.sync(body(worlds[side]), timeoutMs), worlds[side]);
    }
    return answers;
  };

  it('sends the same window of rooms, in the same order, with the same fields', async () => {
    const { synapse: s, lattice: l } = await both(() => ({
      lists: { all: { ranges: [[0, 3]], timeline_limit: 2, required_state: REQUIRED_STATE } },
    }));
    expect(l).toEqual(s);
  });

  it('sends the same rooms once the window grows', async () => {
    const { synapse: s, lattice: l } = await both(() => ({
      lists: { all: { ranges: [[0, 4]], timeline_limit: 2, required_state: REQUIRED_STATE } },
    }));
    expect(l).toEqual(s);
  });

  it('filters the same: DMs, encrypted rooms, invites, room types', async () => {
    const filters = [
      { is_dm: true },
      { is_encrypted: true },
      { is_invite: true },
      { not_room_types: ['m.space'] },
      { room_types: ['m.space'] },
    ];
    const lists = Object.fromEntries(
      filters.map((f, i) => [`f${i}`, { ranges: [[0, 1]], timeline_limit: 0, required_state: [], filters: f }]),
    );
    const { synapse: s, lattice: l } = await both(() => ({ lists }), 0, 'filters');
    expect(l.lists).toEqual(s.lists);
  });

  it('answers a subscription with every state event asked for', async () => {
    const { synapse: s, lattice: l } = await both(
      (w) => ({ room_subscriptions: { [w.ids.get('general')!]: { timeline_limit: 5, required_state: [['*', '*']] } } }),
      0,
      'subscription',
    );
    expect(l.rooms).toEqual(s.rooms);
  });

  it('sends the same incremental answer after a new message', async () => {
    for (const side of ['synapse', 'lattice'] as const)
      await worlds[side].call(
        worlds[side].bob,
        'PUT',
        `/rooms/${encodeURIComponent(worlds[side].ids.get('general')!)}/send/m.room.message/late`,
        { msgtype: 'm.text', body: 'late' },
      );
    const { synapse: s, lattice: l } = await both(
      () => ({ lists: { all: { ranges: [[0, 4]], timeline_limit: 2, required_state: REQUIRED_STATE } } }),
      5_000,
    );
    expect(l).toEqual(s);
  });
});
