import type { MatrixClient } from 'matrix-js-sdk';
import type { RunningServer } from './client-flows';
import { sharedEncryptedRoom, startCryptoClient } from './crypto-client';
import { eventually, loadSdk, newClient, registerClient } from './matrix-client';
import { startTestPushGateway, type TestPushGateway } from '../../tools/push/test-push-gateway';

interface Counts {
  notification_count: number;
  highlight_count: number;
}

/** What the server counts for a room, read with a fresh /sync of the client's access token. */
async function serverCounts(
  server: RunningServer,
  client: MatrixClient,
  roomId: string,
  threaded = false,
): Promise<{ room: Counts; threads?: Record<string, Counts> }> {
  const filter = encodeURIComponent(
    JSON.stringify({ room: { rooms: [roomId], timeline: { limit: 1, unread_thread_notifications: threaded } } }),
  );
  const res = await fetch(`${server.url}/_matrix/client/v3/sync?filter=${filter}`, {
    headers: { authorization: `Bearer ${client.getAccessToken()}` },
  });
  const body = (await res.json()) as {
    rooms: {
      join: Record<string, { unread_notifications: Counts; unread_thread_notifications?: Record<string, Counts> }>;
    };
  };
  const room = body.rooms.join[roomId];
  return { room: room.unread_notifications, threads: room.unread_thread_notifications };
}

async function api<T>(
  server: RunningServer,
  client: MatrixClient,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const res = await fetch(`${server.url}/_matrix/client/v3${path}`, {
    method,
    headers: { authorization: `Bearer ${client.getAccessToken()}`, 'content-type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as T };
}

/**
 * Push notifications driven by matrix-js-sdk (client-server-api "Push
 * Notifications"): the push service evaluates each event for the room's
 * members off the send path, /sync carries the counts, receipts clear them,
 * and pushers receive pushes at a push gateway.
 */
export function pushFlows(start: () => Promise<RunningServer>): void {
  let server: RunningServer;
  let gateway: TestPushGateway;
  let alice: MatrixClient;
  let bob: MatrixClient;
  let carol: MatrixClient;
  let sdk: Awaited<ReturnType<typeof loadSdk>>;
  // Each flow waits for the push service to catch up, which on a loaded machine takes longer than jest's default 5 s.
  jest.setTimeout(60_000);

  /** A room of alice's that bob and carol joined (three members: no one-to-one rule applies). */
  async function groupRoom(): Promise<string> {
    const { room_id: roomId } = await alice.createRoom({ preset: 'public_chat' as never });
    await bob.joinRoom(roomId);
    await carol.joinRoom(roomId);
    return roomId;
  }

  beforeAll(async () => {
    sdk = await loadSdk();
    server = await start();
    gateway = await startTestPushGateway();
    alice = await registerClient(server.url, 'push-alice');
    bob = await registerClient(server.url, 'push-bob');
    carol = await registerClient(server.url, 'push-carol');
    await alice.startClient({ initialSyncLimit: 1 });
  }, 180_000);

  afterAll(async () => {
    alice?.stopClient();
    await gateway?.close();
    await server?.close();
  });

  it('counts a plain message as a notification and a mention as a highlight, in the sdk and in /sync', async () => {
    const roomId = await groupRoom();
    await bob.sendTextMessage(roomId, 'hello everyone');
    await bob.sendMessage(roomId, {
      msgtype: 'm.text',
      body: 'push-alice: look',
      'm.mentions': { user_ids: [alice.getUserId()!] },
    } as never);
    const room = await eventually('the room in the sdk', () => alice.getRoom(roomId));
    await eventually(
      'the sdk to show two notifications, one highlighted',
      () =>
        room.getUnreadNotificationCount(sdk.NotificationCountType.Total) === 2 &&
        room.getUnreadNotificationCount(sdk.NotificationCountType.Highlight) === 1,
    );
    expect((await serverCounts(server, alice, roomId)).room).toEqual({ notification_count: 2, highlight_count: 1 });
    // The sender is never notified of their own events.
    expect((await serverCounts(server, bob, roomId)).room).toEqual({ notification_count: 0, highlight_count: 0 });
  });

  it('removes the pushers a device set when it logs out, and keeps those of the device changing the password', async () => {
    const dave = await registerClient(server.url, 'push-dave', 'first password');
    const login = async () => {
      const session = await (
        await newClient({ baseUrl: server.url })
      ).loginRequest({
        type: 'm.login.password',
        identifier: { type: 'm.id.user', user: 'push-dave' },
        password: 'first password',
      });
      return newClient({
        baseUrl: server.url,
        userId: session.user_id,
        accessToken: session.access_token,
        deviceId: session.device_id,
      });
    };
    const phone = await login();
    await phone.setPusher(gateway.pusher('phone-key') as never);
    await dave.setPusher(gateway.pusher('own-key') as never);
    await phone.logout(true);
    expect((await dave.getPushers()).pushers.map((p) => p.pushkey)).toEqual(['own-key']);

    const tablet = await login();
    await tablet.setPusher(gateway.pusher('tablet-key') as never);
    // client-server-api POST /account/password: logout_devices (default true) logs out every other device.
    const auth = {
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user: 'push-dave' },
      password: 'first password',
    };
    expect(
      (await api(server, dave, 'POST', '/account/password', { new_password: 'second password', auth })).status,
    ).toBe(200);
    expect((await dave.getPushers()).pushers.map((p) => p.pushkey)).toEqual(['own-key']);
  });

  it('clears both counts with a read receipt', async () => {
    const roomId = await groupRoom();
    await bob.sendMessage(roomId, {
      msgtype: 'm.text',
      body: 'ping',
      'm.mentions': { user_ids: [alice.getUserId()!] },
    } as never);
    const { event_id: last } = await bob.sendTextMessage(roomId, 'and more');
    await eventually(
      'both to count',
      async () => (await serverCounts(server, alice, roomId)).room.notification_count === 2,
    );
    await alice.sendReceipt(
      new sdk.MatrixEvent({ event_id: last, room_id: roomId, type: 'm.room.message', sender: bob.getUserId()! }),
      sdk.ReceiptType.Read,
      undefined,
      true,
    );
    await eventually(
      'the receipt to clear them',
      async () => (await serverCounts(server, alice, roomId)).room.notification_count === 0,
    );
    expect((await serverCounts(server, alice, roomId)).room).toEqual({ notification_count: 0, highlight_count: 0 });
  });

  it('counts nothing in a room muted with a room rule (dont_notify)', async () => {
    const muted = await groupRoom();
    const other = await groupRoom();
    await alice.addPushRule('global', sdk.PushRuleKind.RoomSpecific, muted, { actions: ['dont_notify' as never] });
    // A plain message: a mention would still highlight, as override rules (.m.rule.is_user_mention) come before room rules.
    await bob.sendTextMessage(muted, 'you will not hear this');
    await bob.sendTextMessage(other, 'but this');
    // Events are evaluated in order: once the later one counts, the muted one has been evaluated too.
    await eventually(
      'the other room to count',
      async () => (await serverCounts(server, alice, other)).room.notification_count === 1,
    );
    expect((await serverCounts(server, alice, muted)).room).toEqual({ notification_count: 0, highlight_count: 0 });
  });

  it('counts a thread apart with unread_thread_notifications, and a threaded receipt clears only its thread', async () => {
    const roomId = await groupRoom();
    const { event_id: rootId } = await bob.sendTextMessage(roomId, 'thread root');
    const { event_id: replyId } = await bob.sendMessage(roomId, {
      msgtype: 'm.text',
      body: 'in the thread',
      'm.relates_to': { rel_type: 'm.thread', event_id: rootId },
    } as never);
    await eventually(
      'the thread to count',
      async () => (await serverCounts(server, alice, roomId, true)).threads?.[rootId]?.notification_count === 1,
    );
    expect((await serverCounts(server, alice, roomId, true)).room).toEqual({
      notification_count: 1,
      highlight_count: 0,
    });
    expect((await serverCounts(server, alice, roomId, false)).room).toEqual({
      notification_count: 2,
      highlight_count: 0,
    });
    expect(
      (
        await api(
          server,
          alice,
          'POST',
          `/rooms/${encodeURIComponent(roomId)}/receipt/m.read/${encodeURIComponent(replyId)}`,
          { thread_id: rootId },
        )
      ).status,
    ).toBe(200);
    await eventually(
      'the threaded receipt to clear the thread',
      async () => (await serverCounts(server, alice, roomId, true)).threads?.[rootId] === undefined,
    );
    expect((await serverCounts(server, alice, roomId, true)).room).toEqual({
      notification_count: 1,
      highlight_count: 0,
    });
  });

  it('counts an encrypted message as .m.rule.encrypted_room_one_to_one says: a notification without highlight', async () => {
    const dana = await startCryptoClient(server.url, 'push-dana');
    const erin = await startCryptoClient(server.url, 'push-erin');
    try {
      const roomId = await sharedEncryptedRoom(dana, erin);
      // The creator sends: its client knows the room is encrypted (the invitee's may not have synced that yet).
      await dana.sendTextMessage(roomId, 'a secret');
      await eventually(
        'the encrypted message to count',
        async () => (await serverCounts(server, erin, roomId)).room.notification_count === 1,
        20_000,
      );
      expect((await serverCounts(server, erin, roomId)).room).toEqual({ notification_count: 1, highlight_count: 0 });
    } finally {
      dana.stopClient();
      erin.stopClient();
    }
  }, 60_000);

  it('lists notifications with GET /notifications, highlights only on request, in pages', async () => {
    const roomId = await groupRoom();
    await bob.sendTextMessage(roomId, 'one');
    await bob.sendMessage(roomId, {
      msgtype: 'm.text',
      body: 'two',
      'm.mentions': { user_ids: [carol.getUserId()!] },
    } as never);
    await bob.sendTextMessage(roomId, 'three');
    await eventually(
      'three to count',
      async () => (await serverCounts(server, carol, roomId)).room.notification_count === 3,
    );
    type Page = { notifications: Array<{ event: { content: { body: string } }; read: boolean }>; next_token?: string };
    const page = (await api<Page>(server, carol, 'GET', '/notifications?limit=2')).body;
    expect(page.notifications.map((n) => n.event.content.body)).toEqual(['three', 'two']);
    const next = (await api<Page>(server, carol, 'GET', `/notifications?limit=2&from=${page.next_token}`)).body;
    expect(next.notifications[0]).toMatchObject({ event: { content: { body: 'one' } }, read: false });
    const highlights = (
      await api<{ notifications: Array<{ event: { content: { body: string } } }> }>(
        server,
        carol,
        'GET',
        '/notifications?only=highlight',
      )
    ).body;
    expect(highlights.notifications.map((n) => n.event.content.body)).toEqual(['two']);
  });

  it('edits push rules with the sdk: before/after, enabled, actions, delete; m.push_rules reaches /sync', async () => {
    await alice.addPushRule('global', sdk.PushRuleKind.ContentSpecific, 'cake', {
      pattern: 'cake',
      actions: [sdk.PushRuleActionName.Notify],
    });
    await alice.addPushRule('global', sdk.PushRuleKind.ContentSpecific, 'tea', {
      pattern: 'tea',
      actions: [sdk.PushRuleActionName.Notify],
    });
    const placed = await api(server, alice, 'PUT', '/pushrules/global/content/lie?after=cake', {
      pattern: 'cake*lie',
      actions: [],
    });
    expect(placed.status).toBe(200);
    let rules = await alice.getPushRules();
    expect(rules.global.content!.map((r) => r.rule_id)).toEqual(['tea', 'cake', 'lie']);
    await alice.setPushRuleEnabled('global', sdk.PushRuleKind.Override, '.m.rule.suppress_notices', false);
    await alice.setPushRuleActions('global', sdk.PushRuleKind.Underride, '.m.rule.message', [
      sdk.PushRuleActionName.Notify,
      { set_tweak: 'sound' as never, value: 'default' },
    ]);
    await alice.deletePushRule('global', sdk.PushRuleKind.ContentSpecific, 'tea');
    rules = await alice.getPushRules();
    expect(rules.global.content!.map((r) => r.rule_id)).toEqual(['cake', 'lie']);
    expect(rules.global.override!.find((r) => r.rule_id === '.m.rule.suppress_notices')?.enabled).toBe(false);
    await eventually(
      'the sdk to get the new rules as m.push_rules account data',
      () => alice.pushRules?.global.content?.map((r) => r.rule_id).join() === 'cake,lie',
    );
    expect(
      (await api(server, alice, 'PUT', '/pushrules/global/content/x?before=missing', { pattern: 'x', actions: [] }))
        .status,
    ).toBe(400);
    expect(
      (await api(server, alice, 'PUT', '/pushrules/global/override/.m.rule.mine', { actions: [] })).body,
    ).toMatchObject({ errcode: 'M_INVALID_PARAM' });
    expect((await api(server, alice, 'DELETE', '/pushrules/global/content/missing')).status).toBe(404);
    expect(
      (await api(server, alice, 'PUT', `/user/${encodeURIComponent(alice.getUserId()!)}/account_data/m.push_rules`, {}))
        .status,
    ).toBe(400);
  });

  it('pushes to the gateway (event_id_only, with the unread count), retries when it is down, and drops a rejected pushkey', async () => {
    const roomId = await groupRoom();
    await bob.setPusher(gateway.pusher('bob-key') as never);
    await carol.setPusher(gateway.pusher('carol-key') as never);
    expect((await bob.getPushers()).pushers.map((p) => p.pushkey)).toEqual(['bob-key']);
    gateway.reject.add('carol-key');
    gateway.failNext = 2;
    const { event_id: eventId } = await alice.sendTextMessage(roomId, 'ring ring');
    const push = await eventually(
      'the push to bob',
      () => gateway.received.find((p) => p.pushkey === 'bob-key' && p.notification.event_id === eventId),
      20_000,
    );
    expect(push.notification).toMatchObject({
      event_id: eventId,
      room_id: roomId,
      counts: { unread: expect.any(Number) },
      prio: 'low',
    });
    expect(push.notification).not.toHaveProperty('content');
    expect((push.notification.devices as Array<{ data: Record<string, unknown> }>)[0].data).toEqual({
      format: 'event_id_only',
    });
    await eventually(
      'the rejected pusher to be removed',
      async () => (await carol.getPushers()).pushers.length === 0,
      20_000,
    );
    expect(gateway.received.filter((p) => p.notification.event_id === eventId)).toHaveLength(1);
  }, 60_000);

  it('refuses a pusher without a gateway URL of the push gateway API', async () => {
    const bad = {
      kind: 'http',
      app_id: 'a',
      app_display_name: 'A',
      device_display_name: 'D',
      pushkey: 'k',
      lang: 'en',
      data: { url: 'https://gw.example/elsewhere' },
    };
    expect((await api(server, bob, 'POST', '/pushers/set', bad)).body).toMatchObject({ errcode: 'M_INVALID_PARAM' });
    expect((await api(server, bob, 'POST', '/pushers/set', { ...bad, data: {} })).body).toMatchObject({
      errcode: 'M_MISSING_PARAM',
    });
  });
}
