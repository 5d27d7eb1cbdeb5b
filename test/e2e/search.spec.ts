import { startEmbeddedServer } from '../support/embedded-server';
import { rawClient, type Account } from '../support/raw-client';

type Results = {
  count: number;
  highlights: string[];
  results: Array<{ rank: number; result: any; context?: any }>;
  next_batch?: string;
  groups?: any;
  state?: any;
};

/** POST /search on the wire (client-server-api "Server Side Search"). */
describe('server-side search', () => {
  let server: Awaited<ReturnType<typeof startEmbeddedServer>>;
  let raw: ReturnType<typeof rawClient>;
  let alice: Account;
  let bob: Account;
  let txn = 0;
  const enc = encodeURIComponent;
  const send = async (who: Account, roomId: string, body: string) =>
    (await raw.call(who, 'PUT', `/rooms/${enc(roomId)}/send/m.room.message/s${txn++}`, { msgtype: 'm.text', body }))
      .body.event_id as string;
  const search = async (who: Account, criteria: Record<string, unknown>, nextBatch?: string) => {
    const answer = await raw.call(who, 'POST', `/search${nextBatch ? `?next_batch=${enc(nextBatch)}` : ''}`, {
      search_categories: { room_events: criteria },
    });
    expect(answer.status).toBe(200);
    return (answer.body.search_categories as { room_events: Results }).room_events;
  };
  const bodies = (r: Results) =>
    r.results.map((x) => x.result.content.body ?? x.result.content.name ?? x.result.content.topic);

  let shared: string;
  let first: string;

  beforeAll(async () => {
    server = await startEmbeddedServer();
    raw = rawClient(() => server.url);
    alice = await raw.register('search-alice');
    bob = await raw.register('search-bob');
    shared = (
      await raw.call(alice, 'POST', '/createRoom', {
        preset: 'public_chat',
        name: 'Gardening club',
        topic: 'Tomatoes and other vegetables',
      })
    ).body.room_id as string;
    await raw.call(bob, 'POST', `/join/${enc(shared)}`, {});
    first = await send(alice, shared, 'the tomatoes are growing well');
    await send(bob, shared, 'my tomato plant has blight');
    await send(alice, shared, 'unrelated chatter');
    await send(bob, shared, 'tomato tomato tomato soup');
  }, 60_000);
  afterAll(async () => server.close());

  it('finds message bodies by their stemmed words, best match first', async () => {
    const found = await search(bob, { search_term: 'tomatoes', keys: ['content.body'] });
    expect(bodies(found)).toEqual([
      'tomato tomato tomato soup',
      'my tomato plant has blight',
      'the tomatoes are growing well',
    ]);
    expect(found.count).toBe(3);
    expect(found.highlights.sort()).toEqual(['tomato', 'tomatoes']);
  });

  it('orders by recency when asked', async () => {
    const found = await search(bob, { search_term: 'tomato', keys: ['content.body'], order_by: 'recent' });
    expect(bodies(found)).toEqual([
      'tomato tomato tomato soup',
      'my tomato plant has blight',
      'the tomatoes are growing well',
    ]);
  });

  it('finds room names and topics', async () => {
    expect(bodies(await search(bob, { search_term: 'gardening', keys: ['content.name'] }))).toEqual(['Gardening club']);
    expect(bodies(await search(bob, { search_term: 'vegetables' }))).toEqual(['Tomatoes and other vegetables']);
  });

  it('pages with next_batch until the last page has none', async () => {
    const seen: string[] = [];
    let next: string | undefined;
    do {
      const page = await search(
        bob,
        { search_term: 'tomato', keys: ['content.body'], order_by: 'rank', filter: { limit: 1 } },
        next,
      );
      seen.push(...bodies(page));
      next = page.next_batch;
    } while (next);
    expect(seen).toEqual(['tomato tomato tomato soup', 'my tomato plant has blight', 'the tomatoes are growing well']);
  });

  it('gives the context around a result, with profiles and tokens /messages pages on from', async () => {
    const [hit] = (
      await search(bob, {
        search_term: 'blight',
        event_context: { before_limit: 1, after_limit: 2, include_profile: true },
      })
    ).results;
    expect(hit.context.events_before.map((e: any) => e.content.body)).toEqual(['the tomatoes are growing well']);
    expect(hit.context.events_after.map((e: any) => e.content.body)).toEqual([
      'unrelated chatter',
      'tomato tomato tomato soup',
    ]);
    expect(Object.keys(hit.context.profile_info).sort()).toEqual([alice.userId, bob.userId].sort());
    const older = await raw.call(
      bob,
      'GET',
      `/rooms/${enc(shared)}/messages?dir=b&limit=1&from=${enc(hit.context.start)}`,
    );
    expect((older.body.chunk as any[])[0].event_id).not.toBe(first);
  });

  it('groups results by room and sender, and includes the rooms’ state when asked', async () => {
    const found = await search(bob, {
      search_term: 'tomato',
      keys: ['content.body'],
      include_state: true,
      groupings: { group_by: [{ key: 'room_id' }, { key: 'sender' }] },
    });
    expect(found.groups.room_id[shared].results).toHaveLength(3);
    expect(found.groups.sender[bob.userId].results).toHaveLength(2);
    expect(found.state[shared].some((e: any) => e.type === 'm.room.name')).toBe(true);
  });

  it('finds nothing in rooms the user is not in', async () => {
    const carol = await raw.register('search-carol');
    expect((await search(carol, { search_term: 'tomato' })).results).toEqual([]);
  });

  it('hides what history visibility hides from a late joiner', async () => {
    const roomId = (
      await raw.call(alice, 'POST', '/createRoom', {
        preset: 'public_chat',
        initial_state: [
          { type: 'm.room.history_visibility', state_key: '', content: { history_visibility: 'joined' } },
        ],
      })
    ).body.room_id as string;
    await send(alice, roomId, 'secret cucumber before dave');
    const dave = await raw.register('search-dave');
    await raw.call(dave, 'POST', `/join/${enc(roomId)}`, {});
    await send(alice, roomId, 'open cucumber after dave');
    expect(bodies(await search(dave, { search_term: 'cucumber' }))).toEqual(['open cucumber after dave']);
  });

  it('forgets a redacted event', async () => {
    const eventId = await send(alice, shared, 'embarrassing zucchini typo');
    await raw.call(alice, 'PUT', `/rooms/${enc(shared)}/redact/${enc(eventId)}/r${txn++}`, {});
    expect((await search(bob, { search_term: 'zucchini' })).results).toEqual([]);
  });

  it('refuses a next_batch it did not make', async () => {
    const answer = await raw.call(bob, 'POST', '/search?next_batch=garbage', {
      search_categories: { room_events: { search_term: 'tomato' } },
    });
    expect(answer.body.errcode).toBe('M_INVALID_PARAM');
  });
});
