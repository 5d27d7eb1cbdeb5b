import { startServicesDeployment } from '../support/services-deployment';

type Deployment = Awaited<ReturnType<typeof startServicesDeployment>>;

/**
 * Services mode under failure: a message reaches a long-poll on either sync
 * worker, a request body nginx buffers to disk gets through, and kill -9 of
 * a sync worker or of the room-server mid-conversation loses no
 * acknowledged event and duplicates none.
 */
describe('services mode', () => {
  let deployment: Deployment;
  let alice: Session;
  let bob: Session;
  let roomId: string;

  beforeAll(async () => {
    deployment = await startServicesDeployment();
    alice = await Session.register(deployment.url, 'alice');
    bob = await Session.register(deployment.url, 'bob');
    roomId = (await alice.call('POST', '/createRoom', { preset: 'public_chat' })).room_id as string;
    await bob.call('POST', `/join/${encodeURIComponent(roomId)}`, {});
  }, 120_000);

  afterAll(async () => deployment?.close());

  it.each(['sync-1', 'sync-2'])(
    'wakes a /sync long-poll on %s when a message is sent through the client-api',
    async (worker) => {
      const direct = `http://127.0.0.1:${deployment.process(worker).port}`;
      const since = await bob.syncToken(direct);
      const poll = bob.sync(direct, since, 30_000);
      await new Promise((r) => setTimeout(r, 200));
      const { event_id: eventId } = await alice.send(roomId, `to ${worker}`, `wake-${worker}`);
      const response = await poll;
      expect(timelineIds(response, roomId)).toContain(eventId);
    },
  );

  it('passes a request body too large for nginx to hold in memory on to the client-api', async () => {
    // nginx keeps 16k of a body in memory and writes larger ones to its temp directory first (Rust crypto's /keys/upload is one).
    const { event_id: eventId } = await alice.send(roomId, 'x'.repeat(40_000), 'large-body');
    expect(eventId).toMatch(/^\$/);
  });

  it('loses and duplicates nothing acknowledged across kill -9 of a sync worker and of the room-server', async () => {
    let since = await bob.syncToken(deployment.url);
    const acknowledged: string[] = [];
    const sendSome = async (n: number, tag: string) => {
      for (let i = 0; i < n; i++)
        acknowledged.push(await alice.sendUntilAcknowledged(roomId, `${tag} ${i}`, `${tag}-${i}`));
    };
    const received: string[] = [];
    const receiveAll = async () => {
      while (!acknowledged.every((id) => received.includes(id))) {
        const response = await bob.sync(deployment.url, since, 5_000).catch(() => undefined);
        if (!response) continue;
        received.push(...timelineIds(response, roomId));
        since = response.next_batch as string;
      }
    };

    await sendSome(5, 'before');
    await deployment.kill('sync-1');
    await sendSome(5, 'sync-down');
    await receiveAll();
    await deployment.restart('sync-1');

    const sending = sendSome(10, 'room-server-down');
    await new Promise((r) => setTimeout(r, 150));
    await deployment.kill('room-server');
    await deployment.restart('room-server');
    await sending;
    await receiveAll();

    expect(received).toEqual(acknowledged);
  });
});

function timelineIds(response: Record<string, unknown>, roomId: string): string[] {
  const rooms = response.rooms as
    { join?: Record<string, { timeline: { events: Array<{ event_id: string; type: string }> } }> } | undefined;
  return (rooms?.join?.[roomId]?.timeline.events ?? [])
    .filter((e) => e.type === 'm.room.message')
    .map((e) => e.event_id);
}

/** A client over plain HTTP, so the test controls which worker each request reaches and sees every error. */
class Session {
  private constructor(
    private readonly baseUrl: string,
    private readonly token: string,
  ) {}

  static async register(baseUrl: string, username: string): Promise<Session> {
    const response = await fetch(`${baseUrl}/_matrix/client/v3/register`, {
      method: 'POST',
      body: JSON.stringify({ username, password: 'correct horse', auth: { type: 'm.login.dummy' } }),
    });
    return new Session(baseUrl, ((await response.json()) as { access_token: string }).access_token);
  }

  async call(method: string, path: string, body?: object, baseUrl = this.baseUrl): Promise<Record<string, unknown>> {
    const response = await fetch(`${baseUrl}/_matrix/client/v3${path}`, {
      method,
      headers: { authorization: `Bearer ${this.token}` },
      body: body && JSON.stringify(body),
    });
    const json = (await response.json()) as Record<string, unknown>;
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
    return json;
  }

  send(roomId: string, body: string, txnId: string) {
    return this.call('PUT', `/rooms/${encodeURIComponent(roomId)}/send/m.room.message/${txnId}`, {
      msgtype: 'm.text',
      body,
    });
  }

  /** What a client does when a send fails: retry with the same transaction ID until the server acknowledges. */
  async sendUntilAcknowledged(roomId: string, body: string, txnId: string): Promise<string> {
    for (;;) {
      const reply = await this.send(roomId, body, txnId).catch(() => undefined);
      if (reply) return reply.event_id as string;
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  async syncToken(baseUrl: string): Promise<string> {
    return (await this.call('GET', '/sync?timeout=0', undefined, baseUrl)).next_batch as string;
  }

  sync(baseUrl: string, since: string, timeoutMs: number) {
    return this.call('GET', `/sync?since=${encodeURIComponent(since)}&timeout=${timeoutMs}`, undefined, baseUrl);
  }
}
