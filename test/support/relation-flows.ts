import type { MatrixClient } from 'matrix-js-sdk';
import type { RunningServer } from './client-flows';
import { eventually, registerClient } from './matrix-client';

/**
 * Threads, edits and reactions driven by matrix-js-sdk (client-server-api
 * "Threading", "Event replacements", "Event annotations and reactions"): what
 * one client does, a second client sees through the server's relations API
 * and bundled aggregations.
 */
export function relationFlows(start: () => Promise<RunningServer>): void {
  let server: RunningServer;
  let alice: MatrixClient;
  let bob: MatrixClient;
  let roomId: string;

  beforeAll(async () => {
    server = await start();
    alice = await registerClient(server.url, 'thread-alice');
    bob = await registerClient(server.url, 'thread-bob');
    roomId = (await alice.createRoom({ preset: 'public_chat' as never })).room_id;
    await bob.joinRoom(roomId);
  }, 60_000);

  afterAll(async () => {
    alice?.stopClient();
    bob?.stopClient();
    await server?.close();
  });

  it("shows a reply in a thread to a second client, in the root's aggregation and the thread's relations", async () => {
    const { event_id: rootId } = await alice.sendTextMessage(roomId, 'shall we talk about threads?');
    const { event_id: replyId } = await bob.sendTextMessage(roomId, rootId, 'yes, in here');

    const root = await alice.fetchRoomEvent(roomId, rootId);
    expect(root.unsigned?.['m.relations']).toMatchObject({
      'm.thread': { count: 1, current_user_participated: true, latest_event: { event_id: replyId } },
    });
    const inThread = await alice.relations(roomId, rootId, 'm.thread');
    expect(inThread.events.map((e) => e.getContent().body)).toEqual(['yes, in here']);
  });

  it("lists the thread in the sdk's own thread model of a client that starts afterwards", async () => {
    const { event_id: rootId } = await alice.sendTextMessage(roomId, 'another topic');
    await bob.sendTextMessage(roomId, rootId, 'first reply');
    await bob.sendTextMessage(roomId, rootId, 'second reply');
    const viewer = await registerClient(server.url, 'thread-carol');
    await viewer.joinRoom(roomId);
    await viewer.startClient({ threadSupport: true, initialSyncLimit: 1 });
    try {
      const room = await eventually('the room to sync', () => viewer.getRoom(roomId));
      // As a client showing the thread panel does: the sdk then lists the room's threads with /threads.
      await room.createThreadsTimelineSets();
      await room.fetchRoomThreads();
      const thread = await eventually('the thread to be listed', () => room.getThread(rootId));
      await eventually('the thread to count both replies', () => thread.length === 2);
    } finally {
      viewer.stopClient();
    }
  }, 30_000);

  it("shows an edit to a second client as the original's m.replace aggregation", async () => {
    const { event_id: originalId } = await alice.sendTextMessage(roomId, 'I like cake');
    const { event_id: editId } = await alice.sendMessage(roomId, {
      msgtype: 'm.text',
      body: '* I like chocolate cake',
      'm.new_content': { msgtype: 'm.text', body: 'I like chocolate cake' },
      'm.relates_to': { rel_type: 'm.replace', event_id: originalId },
    } as never);
    const original = await bob.fetchRoomEvent(roomId, originalId);
    expect(original.content?.body).toBe('I like cake');
    expect(original.unsigned?.['m.relations']).toMatchObject({
      'm.replace': { event_id: editId, content: { 'm.new_content': { body: 'I like chocolate cake' } } },
    });
  });

  it('shows a reaction to a second client through /relations', async () => {
    const { event_id: targetId } = await alice.sendTextMessage(roomId, 'react to me');
    await bob.sendEvent(
      roomId,
      'm.reaction' as never,
      { 'm.relates_to': { rel_type: 'm.annotation', event_id: targetId, key: '👍' } } as never,
    );
    const reactions = await alice.relations(roomId, targetId, 'm.annotation', 'm.reaction');
    expect(reactions.events.map((e) => [e.getSender(), e.getRelation()?.key])).toEqual([
      ['@thread-bob:localhost', '👍'],
    ]);
  });
}
