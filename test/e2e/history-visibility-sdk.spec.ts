import type { MatrixClient } from 'matrix-js-sdk';
import { startEmbeddedServer } from '../support/embedded-server';
import { eventually, registerClient } from '../support/matrix-client';

/** History visibility as a matrix-js-sdk client meets it: scrolling back in a room it joined late, and one it left. */
describe('history visibility through matrix-js-sdk', () => {
  let server: Awaited<ReturnType<typeof startEmbeddedServer>>;
  let alice: MatrixClient;
  let bob: MatrixClient;

  const bodies = (client: MatrixClient, roomId: string) =>
    (client.getRoom(roomId)?.getLiveTimeline().getEvents() ?? [])
      .filter((e) => e.getType() === 'm.room.message')
      .map((e) => e.getContent().body as string);

  /** Scrolls back until the sdk reaches the start of what the server gives it. */
  async function scrollToStart(client: MatrixClient, roomId: string): Promise<void> {
    const room = client.getRoom(roomId)!;
    for (let i = 0; i < 10 && room.getLiveTimeline().getPaginationToken('b' as never) !== null; i++)
      await client.scrollback(room, 50);
  }

  beforeAll(async () => {
    server = await startEmbeddedServer();
    alice = await registerClient(server.url, 'hv-sdk-alice');
    bob = await registerClient(server.url, 'hv-sdk-bob');
    await bob.startClient({ initialSyncLimit: 1 });
  }, 60_000);
  afterAll(async () => {
    bob.stopClient();
    await server.close();
  });

  async function room(historyVisibility: string): Promise<string> {
    const { room_id: roomId } = await alice.createRoom({
      preset: 'public_chat' as never,
      initial_state: [
        { type: 'm.room.history_visibility', state_key: '', content: { history_visibility: historyVisibility } },
      ],
    });
    return roomId;
  }

  it('shows a late joiner of a joined-visibility room nothing from before the join, however far it scrolls', async () => {
    const roomId = await room('joined');
    await alice.sendTextMessage(roomId, 'before bob');
    await bob.joinRoom(roomId);
    await alice.sendTextMessage(roomId, 'after bob');
    await eventually('bob to receive the message after his join', () => bodies(bob, roomId).includes('after bob'));
    await scrollToStart(bob, roomId);
    expect(bodies(bob, roomId)).toEqual(['after bob']);
  });

  it('shows a late joiner of a shared room the history from before the join when it scrolls back', async () => {
    const roomId = await room('shared');
    await alice.sendTextMessage(roomId, 'old news');
    await bob.joinRoom(roomId);
    await alice.sendTextMessage(roomId, 'fresh news');
    await eventually('bob to receive the new message', () => bodies(bob, roomId).includes('fresh news'));
    await scrollToStart(bob, roomId);
    expect(bodies(bob, roomId)).toEqual(['old news', 'fresh news']);
  });
});
