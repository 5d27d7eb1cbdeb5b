import { startEmbeddedServer } from '../support/embedded-server';
import { rawClient, type Account } from '../support/raw-client';

interface ClientEvent {
  event_id: string;
  sender: string;
  content: Record<string, unknown>;
  unsigned?: Record<string, any>;
}

/** /relations, /threads and bundled aggregations on the wire (client-server-api "Relationships API", "Threading"). */
describe('relations and threads', () => {
  let server: Awaited<ReturnType<typeof startEmbeddedServer>>;
  let raw: ReturnType<typeof rawClient>;
  let alice: Account;
  let bob: Account;
  let txn = 0;
  let names = 0;
  const enc = encodeURIComponent;
  const v1 = async (who: Account, path: string) => {
    const response = await fetch(`${server.url}/_matrix/client/v1${path}`, {
      headers: { authorization: `Bearer ${who.token}` },
    });
    return { status: response.status, body: (await response.json()) as Record<string, any> };
  };
  const send = async (who: Account, roomId: string, content: Record<string, unknown>, type = 'm.room.message') =>
    (await raw.call(who, 'PUT', `/rooms/${enc(roomId)}/send/${type}/t${txn++}`, content)).body.event_id as string;
  const text = (body: string, relatesTo?: Record<string, unknown>) => ({
    msgtype: 'm.text',
    body,
    ...(relatesTo ? { 'm.relates_to': relatesTo } : {}),
  });
  const thread = (root: string) => ({ rel_type: 'm.thread', event_id: root });
  const newRoom = async (initialState: unknown[] = []) => {
    const roomId = (
      await raw.call(alice, 'POST', '/createRoom', { preset: 'public_chat', initial_state: initialState })
    ).body.room_id as string;
    await raw.call(bob, 'POST', `/join/${enc(roomId)}`, {});
    return roomId;
  };
  const bodies = (chunk: ClientEvent[]) => chunk.map((e) => e.content.body);
  const eventAs = async (who: Account, roomId: string, eventId: string) =>
    (await raw.call(who, 'GET', `/rooms/${enc(roomId)}/event/${enc(eventId)}`)).body as unknown as ClientEvent;

  beforeAll(async () => {
    server = await startEmbeddedServer();
    raw = rawClient(() => server.url);
    alice = await raw.register('rel-alice');
    bob = await raw.register('rel-bob');
  }, 60_000);
  afterAll(async () => server.close());

  describe('a thread', () => {
    let roomId: string;
    let root: string;

    beforeAll(async () => {
      roomId = await newRoom();
      root = await send(alice, roomId, text('root'));
      for (let i = 0; i < 5; i++) await send(i % 2 ? bob : alice, roomId, text(`reply ${i}`, thread(root)));
      await send(alice, roomId, text('unrelated'));
    });

    it('lists its replies newest first', async () => {
      const { body } = await v1(bob, `/rooms/${enc(roomId)}/relations/${enc(root)}`);
      expect(bodies(body.chunk)).toEqual(['reply 4', 'reply 3', 'reply 2', 'reply 1', 'reply 0']);
    });

    it('pages backwards with next_batch until there is none', async () => {
      const first = await v1(bob, `/rooms/${enc(roomId)}/relations/${enc(root)}/m.thread?limit=2`);
      const second = await v1(
        bob,
        `/rooms/${enc(roomId)}/relations/${enc(root)}/m.thread?limit=2&from=${first.body.next_batch}`,
      );
      const third = await v1(
        bob,
        `/rooms/${enc(roomId)}/relations/${enc(root)}/m.thread?limit=2&from=${second.body.next_batch}`,
      );
      expect([
        bodies(first.body.chunk),
        bodies(second.body.chunk),
        bodies(third.body.chunk),
        third.body.next_batch,
      ]).toEqual([['reply 4', 'reply 3'], ['reply 2', 'reply 1'], ['reply 0'], undefined]);
    });

    it('pages forwards with dir=f', async () => {
      const { body } = await v1(bob, `/rooms/${enc(roomId)}/relations/${enc(root)}?dir=f&limit=3`);
      expect(bodies(body.chunk)).toEqual(['reply 0', 'reply 1', 'reply 2']);
    });

    it('stops at to', async () => {
      const all = await v1(bob, `/rooms/${enc(roomId)}/relations/${enc(root)}?dir=f&limit=2`);
      const rest = await v1(
        bob,
        `/rooms/${enc(roomId)}/relations/${enc(root)}?dir=f&from=${all.body.next_batch}&to=${all.body.next_batch}`,
      );
      expect(rest.body.chunk).toEqual([]);
    });

    it('filters by rel_type and event type', async () => {
      expect((await v1(bob, `/rooms/${enc(roomId)}/relations/${enc(root)}/m.reference`)).body.chunk).toEqual([]);
      expect(
        (await v1(bob, `/rooms/${enc(roomId)}/relations/${enc(root)}/m.thread/m.room.message`)).body.chunk,
      ).toHaveLength(5);
      expect((await v1(bob, `/rooms/${enc(roomId)}/relations/${enc(root)}/m.thread/m.sticker`)).body.chunk).toEqual([]);
    });

    it('bundles the m.thread aggregation with the root on /event', async () => {
      expect((await eventAs(bob, roomId, root)).unsigned).toMatchObject({
        'm.relations': {
          'm.thread': { count: 5, current_user_participated: true, latest_event: { content: { body: 'reply 4' } } },
        },
      });
    });

    it('lists the thread in /threads', async () => {
      const { body } = await v1(bob, `/rooms/${enc(roomId)}/threads`);
      expect(body.chunk.map((e: ClientEvent) => e.event_id)).toEqual([root]);
      expect(body.chunk[0].unsigned['m.relations']['m.thread'].count).toBe(5);
    });

    it('bundles the aggregation on /messages', async () => {
      const { body } = await raw.call(bob, 'GET', `/rooms/${enc(roomId)}/messages?dir=b&limit=20`);
      const shown = (body.chunk as ClientEvent[]).find((e) => e.event_id === root);
      expect(shown?.unsigned?.['m.relations']?.['m.thread']?.count).toBe(5);
    });

    it('bundles the aggregation on /context', async () => {
      const { body } = await raw.call(bob, 'GET', `/rooms/${enc(roomId)}/context/${enc(root)}`);
      expect((body.event as ClientEvent).unsigned?.['m.relations']['m.thread'].latest_event.content.body).toBe(
        'reply 4',
      );
    });

    it('bundles the aggregation on a limited /sync timeline', async () => {
      const filter = JSON.stringify({ room: { timeline: { limit: 7 } } });
      const { body } = await raw.call(bob, 'GET', `/sync?timeout=0&filter=${enc(filter)}`);
      const rooms = body.rooms as { join: Record<string, { timeline: { events: ClientEvent[] } }> };
      const events = rooms.join[roomId].timeline.events;
      expect(events.find((e) => e.event_id === root)?.unsigned?.['m.relations']?.['m.thread']?.count).toBe(5);
    });
  });

  describe('a redacted reply', () => {
    it('leaves the thread: not listed, not counted', async () => {
      const roomId = await newRoom();
      const root = await send(alice, roomId, text('root'));
      await send(bob, roomId, text('kept', thread(root)));
      const gone = await send(bob, roomId, text('regretted', thread(root)));
      await raw.call(bob, 'PUT', `/rooms/${enc(roomId)}/redact/${enc(gone)}/r${txn++}`, {});
      const { body } = await v1(alice, `/rooms/${enc(roomId)}/relations/${enc(root)}`);
      const event = await eventAs(alice, roomId, root);
      expect([bodies(body.chunk), event.unsigned?.['m.relations']['m.thread'].count]).toEqual([['kept'], 1]);
    });
  });

  describe('sending in a thread', () => {
    it('refuses a thread off an event that is itself in a thread with 400 M_UNKNOWN', async () => {
      const roomId = await newRoom();
      const root = await send(alice, roomId, text('root'));
      const reply = await send(bob, roomId, text('reply', thread(root)));
      const nested = await raw.call(
        alice,
        'PUT',
        `/rooms/${enc(roomId)}/send/m.room.message/t${txn++}`,
        text('nested', thread(reply)),
      );
      expect(nested).toMatchObject({ status: 400, body: { errcode: 'M_UNKNOWN' } });
    });
  });

  describe('threaded read receipts', () => {
    const receipt = (roomId: string, eventId: string, body: Record<string, unknown>) =>
      raw.call(bob, 'POST', `/rooms/${enc(roomId)}/receipt/m.read/${enc(eventId)}`, body);
    let roomId: string;
    let root: string;
    let reply: string;

    beforeAll(async () => {
      roomId = await newRoom();
      root = await send(alice, roomId, text('root'));
      reply = await send(alice, roomId, text('reply', thread(root)));
    });

    it('accepts a receipt in the thread the event is in, and main for the root', async () => {
      expect([
        (await receipt(roomId, reply, { thread_id: root })).status,
        (await receipt(roomId, root, { thread_id: 'main' })).status,
      ]).toEqual([200, 200]);
    });

    it('refuses a thread the event is not in with 400 M_INVALID_PARAM', async () => {
      expect(await receipt(roomId, reply, { thread_id: 'main' })).toMatchObject({
        status: 400,
        body: { errcode: 'M_INVALID_PARAM' },
      });
    });

    it('refuses an empty thread_id with 400 M_INVALID_PARAM', async () => {
      expect(await receipt(roomId, root, { thread_id: '' })).toMatchObject({
        status: 400,
        body: { errcode: 'M_INVALID_PARAM' },
      });
    });
  });

  describe('annotations', () => {
    const react = (who: Account, roomId: string, target: string, key: string) =>
      raw.call(who, 'PUT', `/rooms/${enc(roomId)}/send/m.reaction/t${txn++}`, {
        'm.relates_to': { rel_type: 'm.annotation', event_id: target, key },
      });

    it('refuses a second identical annotation with 400 M_DUPLICATE_ANNOTATION', async () => {
      const roomId = await newRoom();
      const target = await send(alice, roomId, text('react'));
      await react(bob, roomId, target, '👍');
      expect(await react(bob, roomId, target, '👍')).toMatchObject({
        status: 400,
        body: { errcode: 'M_DUPLICATE_ANNOTATION' },
      });
    });

    it('accepts the same key from another user, and another key from the same user', async () => {
      const roomId = await newRoom();
      const target = await send(alice, roomId, text('react'));
      await react(bob, roomId, target, '👍');
      expect([
        (await react(alice, roomId, target, '👍')).status,
        (await react(bob, roomId, target, '🎉')).status,
      ]).toEqual([200, 200]);
    });

    it('accepts an annotation again once the first is redacted', async () => {
      const roomId = await newRoom();
      const target = await send(alice, roomId, text('react'));
      const first = (await react(bob, roomId, target, '👍')).body.event_id as string;
      await raw.call(bob, 'PUT', `/rooms/${enc(roomId)}/redact/${enc(first)}/r${txn++}`, {});
      expect((await react(bob, roomId, target, '👍')).status).toBe(200);
    });
  });

  describe('/threads', () => {
    it('orders threads by their latest reply and pages with next_batch', async () => {
      const roomId = await newRoom();
      const first = await send(alice, roomId, text('first'));
      const second = await send(alice, roomId, text('second'));
      await send(bob, roomId, text('in second', thread(second)));
      await send(bob, roomId, text('in first', thread(first)));
      const page1 = await v1(alice, `/rooms/${enc(roomId)}/threads?limit=1`);
      const page2 = await v1(alice, `/rooms/${enc(roomId)}/threads?limit=1&from=${page1.body.next_batch}`);
      expect([page1.body.chunk[0].event_id, page2.body.chunk[0].event_id, page2.body.next_batch]).toEqual([
        first,
        second,
        undefined,
      ]);
    });

    it('lists with include=participated only threads the user started or replied in', async () => {
      const roomId = await newRoom();
      const mine = await send(alice, roomId, text('mine'));
      const bobs = await send(bob, roomId, text('bobs'));
      const replied = await send(bob, roomId, text('bob again'));
      await send(bob, roomId, text('r', thread(mine)));
      await send(bob, roomId, text('r', thread(bobs)));
      await send(alice, roomId, text('r', thread(replied)));
      const { body } = await v1(alice, `/rooms/${enc(roomId)}/threads?include=participated`);
      expect(body.chunk.map((e: ClientEvent) => e.event_id).sort()).toEqual([mine, replied].sort());
    });

    it('refuses another include with 400 M_INVALID_PARAM', async () => {
      const roomId = await newRoom();
      expect(await v1(alice, `/rooms/${enc(roomId)}/threads?include=mine`)).toMatchObject({
        status: 400,
        body: { errcode: 'M_INVALID_PARAM' },
      });
    });
  });

  describe('edits and references', () => {
    it('bundles the most recent valid edit in m.replace, leaving the content as it was', async () => {
      const roomId = await newRoom();
      const original = await send(alice, roomId, text('teh'));
      const edit = (body: string) => ({
        ...text(`* ${body}`, { rel_type: 'm.replace', event_id: original }),
        'm.new_content': text(body),
      });
      await send(alice, roomId, edit('the'));
      const latest = await send(alice, roomId, edit('thee'));
      await send(bob, roomId, edit('not yours'));
      const event = await eventAs(bob, roomId, original);
      expect([event.content.body, event.unsigned?.['m.relations']['m.replace'].event_id]).toEqual(['teh', latest]);
    });

    it('bundles no edit with a redacted original', async () => {
      const roomId = await newRoom();
      const original = await send(alice, roomId, text('oops'));
      await send(alice, roomId, {
        ...text('* fixed', { rel_type: 'm.replace', event_id: original }),
        'm.new_content': text('fixed'),
      });
      await raw.call(alice, 'PUT', `/rooms/${enc(roomId)}/redact/${enc(original)}/r${txn++}`, {});
      const event = await eventAs(bob, roomId, original);
      expect(event.unsigned?.['m.relations']?.['m.replace']).toBeUndefined();
    });

    it('bundles references as a chunk of event IDs', async () => {
      const roomId = await newRoom();
      const target = await send(alice, roomId, text('target'));
      const ref = await send(bob, roomId, text('see above', { rel_type: 'm.reference', event_id: target }));
      const event = await eventAs(alice, roomId, target);
      expect(event.unsigned?.['m.relations']['m.reference']).toEqual({ chunk: [{ event_id: ref }] });
    });

    it('lists a reaction under /relations but does not aggregate it', async () => {
      const roomId = await newRoom();
      const target = await send(alice, roomId, text('target'));
      await send(
        bob,
        roomId,
        { 'm.relates_to': { rel_type: 'm.annotation', event_id: target, key: '👍' } },
        'm.reaction',
      );
      const { body } = await v1(alice, `/rooms/${enc(roomId)}/relations/${enc(target)}/m.annotation/m.reaction`);
      const event = await eventAs(alice, roomId, target);
      expect([body.chunk.length, event.unsigned?.['m.relations']]).toEqual([1, undefined]);
    });
  });

  describe('recurse', () => {
    it('follows relations of relations and says how deep', async () => {
      const roomId = await newRoom();
      const root = await send(alice, roomId, text('root'));
      const reply = await send(bob, roomId, text('reply', thread(root)));
      await send(
        bob,
        roomId,
        { 'm.relates_to': { rel_type: 'm.annotation', event_id: reply, key: '👍' } },
        'm.reaction',
      );
      const direct = await v1(alice, `/rooms/${enc(roomId)}/relations/${enc(root)}`);
      const deep = await v1(alice, `/rooms/${enc(roomId)}/relations/${enc(root)}?recurse=true`);
      expect([
        direct.body.chunk.length,
        direct.body.recursion_depth,
        deep.body.chunk.length,
        deep.body.recursion_depth,
      ]).toEqual([1, undefined, 2, 3]);
    });
  });

  describe('who may see', () => {
    it('refuses /relations and /threads of a private room to a stranger with 403 M_FORBIDDEN', async () => {
      const roomId = (await raw.call(alice, 'POST', '/createRoom', { preset: 'private_chat' })).body.room_id as string;
      const root = await send(alice, roomId, text('secret'));
      await send(alice, roomId, text('secret reply', thread(root)));
      const stranger = await raw.register(`rel-stranger${names++}`);
      expect(await v1(stranger, `/rooms/${enc(roomId)}/relations/${enc(root)}`)).toMatchObject({
        status: 403,
        body: { errcode: 'M_FORBIDDEN' },
      });
      expect(await v1(stranger, `/rooms/${enc(roomId)}/threads`)).toMatchObject({
        status: 403,
        body: { errcode: 'M_FORBIDDEN' },
      });
    });

    it('answers 404 for a parent the user may not see, and hides replies from before their join', async () => {
      const roomId = await newRoom([
        { type: 'm.room.history_visibility', state_key: '', content: { history_visibility: 'joined' } },
      ]);
      const root = await send(alice, roomId, text('before'));
      await send(alice, roomId, text('early reply', thread(root)));
      const late = await raw.register(`rel-late${names++}`);
      await raw.call(late, 'POST', `/join/${enc(roomId)}`, {});
      await send(alice, roomId, text('late reply', thread(root)));
      const visibleRoot = await send(alice, roomId, text('after'));
      await send(alice, roomId, text('seen reply', thread(visibleRoot)));
      expect(await v1(late, `/rooms/${enc(roomId)}/relations/${enc(root)}`)).toMatchObject({
        status: 404,
        body: { errcode: 'M_NOT_FOUND' },
      });
      const threads = await v1(late, `/rooms/${enc(roomId)}/threads`);
      expect(threads.body.chunk.map((e: ClientEvent) => e.event_id)).toEqual([visibleRoot]);
    });

    it('leaves out of a thread the replies a user may not see', async () => {
      const roomId = await newRoom([
        { type: 'm.room.history_visibility', state_key: '', content: { history_visibility: 'joined' } },
      ]);
      const late = await raw.register(`rel-late${names++}`);
      await raw.call(late, 'POST', `/join/${enc(roomId)}`, {});
      const root = await send(alice, roomId, text('root'));
      await send(alice, roomId, text('seen', thread(root)));
      await raw.call(late, 'POST', `/rooms/${enc(roomId)}/leave`, {});
      await send(alice, roomId, text('after the leave', thread(root)));
      const { body } = await v1(late, `/rooms/${enc(roomId)}/relations/${enc(root)}`);
      expect(bodies(body.chunk)).toEqual(['seen']);
    });
  });
});
