import type { MatrixClient } from 'matrix-js-sdk';
import { NotificationRecorder } from '../../libs/push/src/notification-recorder';
import { DATABASE, type Database } from '../../libs/storage/src';
import { startTestPushGateway, type TestPushGateway } from '../../tools/push/test-push-gateway';
import { startEmbeddedServer } from '../support/embedded-server';
import { eventually, loadSdk, newClient, registerClient } from '../support/matrix-client';

/**
 * Push evaluation runs off the send path, after the event is committed:
 * /sync must not deliver an event before the counts it adds, and in the
 * single process (whose bus hands events over in memory and does not
 * redeliver) an event acknowledged to its sender but not yet evaluated when
 * the process died is evaluated by the next start: its unread count and its
 * push arrive, once.
 */
jest.setTimeout(120_000);

type SyncAnswer = {
  next_batch: string;
  rooms?: {
    join?: Record<string, { timeline: { events: unknown[] }; unread_notifications?: { notification_count?: number } }>;
  };
};

describe('push evaluation off the send path', () => {
  let server: Awaited<ReturnType<typeof startEmbeddedServer>>;
  let gateway: TestPushGateway;
  let alice: MatrixClient;
  let bob: MatrixClient;

  /** A /sync of the client's as the HTTP API answers it: at once without a token, else long-polling `timeoutMs`. */
  const rawSync = async (client: MatrixClient, since?: string, timeoutMs = 10_000): Promise<SyncAnswer> =>
    (await (
      await fetch(
        `${server.url}/_matrix/client/v3/sync?${since ? `timeout=${timeoutMs}&since=${encodeURIComponent(since)}` : 'timeout=0'}`,
        { headers: { authorization: `Bearer ${client.getAccessToken()}` } },
      )
    ).json()) as SyncAnswer;

  /** Clients of the restarted server: the same accounts, the new port. */
  const reconnect = (client: MatrixClient) =>
    newClient({
      baseUrl: server.url,
      userId: client.getUserId()!,
      accessToken: client.getAccessToken()!,
      deviceId: client.getDeviceId()!,
    });

  beforeAll(async () => {
    gateway = await startTestPushGateway();
    server = await startEmbeddedServer();
    alice = await registerClient(server.url, 'catch-alice');
    bob = await registerClient(server.url, 'catch-bob');
  }, 180_000);
  afterAll(async () => {
    await gateway?.close();
    await server?.close();
  });

  it('delivers the counts a message adds in the same /sync as the message, however slow the evaluation', async () => {
    const { room_id: roomId } = await alice.createRoom({ preset: 'public_chat' as never });
    await bob.joinRoom(roomId);
    await bob.startClient({ initialSyncLimit: 1 });
    try {
      const room = await eventually('the room in the sdk', () => bob.getRoom(roomId));
      // A slow push service (a large room, a busy database): the message is in the timeline long before it is evaluated.
      const recorder = server.app.get(NotificationRecorder, { strict: false });
      const evaluate = recorder.recordAll.bind(recorder);
      recorder.recordAll = async (events) => {
        await new Promise((resolve) => setTimeout(resolve, 500));
        return evaluate(events);
      };
      const sdk = await loadSdk();
      // The sdk takes a sync's counts before its timeline: when the message reaches the timeline, its counts are in.
      const countsWithMessage = new Promise<number[]>((resolve) =>
        bob.on(sdk.RoomEvent.Timeline, (event, eventRoom, toStart) => {
          if (eventRoom?.roomId === roomId && !toStart && event.getContent().body === 'catch-bob: now')
            resolve([
              room.getUnreadNotificationCount(sdk.NotificationCountType.Total),
              room.getUnreadNotificationCount(sdk.NotificationCountType.Highlight),
            ]);
        }),
      );
      await alice.sendMessage(roomId, {
        msgtype: 'm.text',
        body: 'catch-bob: now',
        'm.mentions': { user_ids: [bob.getUserId()!] },
      } as never);
      expect(await countsWithMessage).toEqual([1, 1]);
      recorder.recordAll = evaluate;
    } finally {
      bob.stopClient();
    }
  });

  it('puts a room whose only news is its unread counts in the next /sync, with them', async () => {
    const { room_id: roomId } = await alice.createRoom({ preset: 'public_chat' as never });
    await bob.joinRoom(roomId);
    const sync = (since?: string) => rawSync(bob, since);
    const start = await sync();
    // Evaluated after the longest a /sync waits for it: the message goes out without its count.
    const recorder = server.app.get(NotificationRecorder, { strict: false });
    const evaluate = recorder.recordAll.bind(recorder);
    recorder.recordAll = async (events) => {
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      return evaluate(events);
    };
    try {
      await alice.sendMessage(roomId, { msgtype: 'm.text', body: 'counted later' } as never);
      let answer = await sync(start.next_batch);
      while (!answer.rooms?.join?.[roomId]?.timeline.events.length) answer = await sync(answer.next_batch);
      expect(answer.rooms!.join![roomId].unread_notifications?.notification_count ?? 0).toBe(0);
      answer = await sync(answer.next_batch);
      while (!answer.rooms?.join?.[roomId]) answer = await sync(answer.next_batch);
      expect(answer.rooms.join[roomId].timeline.events).toEqual([]);
      expect(answer.rooms.join[roomId].unread_notifications?.notification_count).toBe(1);
    } finally {
      recorder.recordAll = evaluate;
    }
  });

  it('moves the next /sync past the counts it carried, so they are not sent again alone', async () => {
    const carol = await registerClient(server.url, 'catch-carol');
    const { room_id: roomId } = await alice.createRoom({ preset: 'public_chat' as never });
    await carol.joinRoom(roomId);
    const start = await rawSync(carol);
    await alice.sendMessage(roomId, { msgtype: 'm.text', body: 'counted at once' } as never);
    let answer = await rawSync(carol, start.next_batch);
    while (!answer.rooms?.join?.[roomId]?.timeline.events.length) answer = await rawSync(carol, answer.next_batch);
    expect(answer.rooms.join[roomId].unread_notifications?.notification_count).toBe(1);
    const next = await rawSync(carol, answer.next_batch, 1_000);
    expect(next.rooms?.join?.[roomId]).toBeUndefined();
  });

  it('writes one shared row for a message to the room, rows of their own for the members named or muting it, each member counted and pushed once', async () => {
    // Smaller than the event's rows: an event's rows are still written together.
    server.app.get(NotificationRecorder, { strict: false }).rowsPerStatement = 2;
    const { room_id: roomId } = await alice.createRoom({ preset: 'public_chat' as never });
    const members = await Promise.all(
      ['bea', 'carol', 'dan', 'erin'].map((n) => registerClient(server.url, `shared-${n}`)),
    );
    for (const [i, member] of members.entries()) {
      await member.joinRoom(roomId);
      await member.setPusher(gateway.pusher(`shared-${i}`) as never);
    }
    const [bea, carol] = members;
    const sdk = await loadSdk();
    await carol.addPushRule('global', sdk.PushRuleKind.RoomSpecific, roomId, { actions: ['dont_notify' as never] });
    const { event_id: eventId } = await alice.sendMessage(roomId, {
      msgtype: 'm.text',
      body: 'to five people, one of them named',
      'm.mentions': { user_ids: [bea.getUserId()!] },
    } as never);
    const pushed = () => gateway.received.filter((p) => p.notification.event_id === eventId);
    await eventually('a push for every member but the one muting the room', () => pushed().length >= 3, 20_000);
    const { prisma } = server.app.get<Database>(DATABASE);
    expect(await prisma.sharedPushAction.count({ where: { eventId } })).toBe(1);
    expect(
      (await prisma.eventPushAction.findMany({ where: { eventId } }))
        .map((r) => [r.userId, r.notify, r.highlight])
        .sort(),
    ).toEqual([
      [bea.getUserId(), true, true],
      [carol.getUserId(), false, false],
    ]);
    expect(
      pushed()
        .map((p) => p.pushkey)
        .sort(),
    ).toEqual(['shared-0', 'shared-2', 'shared-3']);
    const counts = () =>
      Promise.all(
        members.map(async (member) => {
          const sync = (await (
            await fetch(`${server.url}/_matrix/client/v3/sync`, {
              headers: { authorization: `Bearer ${member.getAccessToken()}` },
            })
          ).json()) as { rooms: { join: Record<string, { unread_notifications: unknown }> } };
          return sync.rooms.join[roomId].unread_notifications;
        }),
      );
    const count = (notifications: number, highlights: number) => ({
      notification_count: notifications,
      highlight_count: highlights,
    });
    expect(await counts()).toEqual([count(1, 1), count(0, 0), count(1, 0), count(1, 0)]);
    // The counts just read are kept: the next message's rows are added to them.
    const { event_id: second } = await alice.sendTextMessage(roomId, 'and again');
    await eventually(
      'a push of the second message for every member but the one muting the room',
      () => gateway.received.filter((p) => p.notification.event_id === second).length >= 3,
      20_000,
    );
    expect(await counts()).toEqual([count(2, 1), count(0, 0), count(2, 0), count(2, 0)]);
  });

  it('queues at start the pushes of a message whose rows were written before the process stopped, each once', async () => {
    const { room_id: roomId } = await alice.createRoom({ preset: 'public_chat' as never });
    let carol = await registerClient(server.url, 'fanout-carol');
    await carol.joinRoom(roomId);
    await carol.setPusher(gateway.pusher('carol-phone') as never);
    // The process "dies" after the notification rows are written, before the shared row's pushes are queued.
    server.app.get(NotificationRecorder, { strict: false }).queuePendingPushes = async () => false;
    const { event_id: eventId } = await alice.sendTextMessage(roomId, 'counted, not yet pushed');
    const unread = async () =>
      (
        (await (
          await fetch(`${server.url}/_matrix/client/v3/sync`, {
            headers: { authorization: `Bearer ${carol.getAccessToken()}` },
          })
        ).json()) as { rooms: { join: Record<string, { unread_notifications: { notification_count: number } }> } }
      ).rooms.join[roomId].unread_notifications.notification_count;
    await eventually('the message counted', async () => (await unread()) === 1, 20_000);
    await server.close();
    expect(gateway.received.some((p) => p.notification.event_id === eventId)).toBe(false);

    server = await startEmbeddedServer({}, server.dataDir);
    [alice, bob, carol] = await Promise.all([reconnect(alice), reconnect(bob), reconnect(carol)]);
    await eventually(
      'the push after the restart',
      () => gateway.received.some((p) => p.notification.event_id === eventId),
      20_000,
    );
    const { event_id: next } = await alice.sendTextMessage(roomId, 'and one more, pushed as usual');
    await eventually('the next push', () => gateway.received.some((p) => p.notification.event_id === next), 20_000);
    expect(gateway.received.filter((p) => p.notification.event_id === eventId)).toHaveLength(1);
  });

  it('evaluates at start the events committed before the process stopped without evaluating them, and pushes each once', async () => {
    const { room_id: roomId } = await alice.createRoom({ preset: 'public_chat' as never });
    await bob.joinRoom(roomId);
    await bob.setPusher(gateway.pusher('bob-phone') as never);
    const { event_id: before } = await alice.sendTextMessage(roomId, 'evaluated before the stop');
    await eventually('the first push', () => gateway.received.some((p) => p.notification.event_id === before), 20_000);

    // The process "dies" between commit and evaluation: the push service no longer sees what is committed.
    server.app.get(NotificationRecorder, { strict: false }).recordAll = async () => false;
    const { event_id: lost } = await alice.sendTextMessage(roomId, 'committed, not evaluated');
    await server.close();
    expect(gateway.received.some((p) => p.notification.event_id === lost)).toBe(false);

    server = await startEmbeddedServer({}, server.dataDir);
    [alice, bob] = await Promise.all([reconnect(alice), reconnect(bob)]);
    await eventually(
      'the push of the message after the restart',
      () => gateway.received.some((p) => p.notification.event_id === lost),
      20_000,
    );
    const counts = (await (
      await fetch(`${server.url}/_matrix/client/v3/sync`, {
        headers: { authorization: `Bearer ${bob.getAccessToken()}` },
      })
    ).json()) as { rooms: { join: Record<string, { unread_notifications: unknown }> } };
    expect(counts.rooms.join[roomId].unread_notifications).toEqual({ notification_count: 2, highlight_count: 0 });

    const { event_id: later } = await alice.sendTextMessage(roomId, 'after the restart');
    await eventually(
      'a push of a message sent after the restart',
      () => gateway.received.some((p) => p.notification.event_id === later),
      20_000,
    );
    for (const eventId of [before, lost, later])
      expect(gateway.received.filter((p) => p.notification.event_id === eventId)).toHaveLength(1);
  });
});
