import { jsonRequest } from './json-http';

/**
 * The load a bench puts on a homeserver, over plain HTTP as clients send it:
 * users registered, rooms created and joined, messages sent, /sync long-polls.
 */
export class BenchClient {
  private constructor(
    readonly baseUrl: string,
    readonly userId: string,
    private readonly token: string,
  ) {}

  static async register(baseUrl: string, username: string): Promise<BenchClient> {
    const { status, body } = await jsonRequest<{ user_id: string; access_token: string }>(
      `${baseUrl}/_matrix/client/v3/register`,
      'POST',
      {},
      {
        username,
        password: 'bench password',
        auth: { type: 'm.login.dummy' },
      },
    );
    if (status !== 200) throw new Error(`register ${username}: ${JSON.stringify(body)}`);
    return new BenchClient(baseUrl, body.user_id, body.access_token);
  }

  /** A client of a user an earlier run registered (bench users share one password). */
  static async login(baseUrl: string, username: string): Promise<BenchClient> {
    const { status, body } = await jsonRequest<{ user_id: string; access_token: string }>(
      `${baseUrl}/_matrix/client/v3/login`,
      'POST',
      {},
      { type: 'm.login.password', identifier: { type: 'm.id.user', user: username }, password: 'bench password' },
    );
    if (status !== 200) throw new Error(`login ${username}: ${JSON.stringify(body)}`);
    return new BenchClient(baseUrl, body.user_id, body.access_token);
  }

  /** The access token, for requests outside the client API's version prefix. */
  get accessToken(): string {
    return this.token;
  }

  async call<T = Record<string, unknown>>(method: string, path: string, body?: object, version = 'v3'): Promise<T> {
    const response = await jsonRequest<T>(
      `${this.baseUrl}/_matrix/client/${version}${path}`,
      method,
      { authorization: `Bearer ${this.token}` },
      body,
    );
    if (response.status !== 200)
      throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(response.body)}`);
    return response.body;
  }

  async createRoom(invite: string[]): Promise<string> {
    return (await this.call<{ room_id: string }>('POST', '/createRoom', { preset: 'private_chat', invite })).room_id;
  }

  async join(roomId: string): Promise<void> {
    await this.call('POST', `/join/${encodeURIComponent(roomId)}`, {});
  }

  async send(roomId: string, txnId: string, body: string): Promise<string> {
    return (
      await this.call<{ event_id: string }>(
        'PUT',
        `/rooms/${encodeURIComponent(roomId)}/send/m.room.message/${txnId}`,
        { msgtype: 'm.text', body },
      )
    ).event_id;
  }

  async syncToken(): Promise<string> {
    return (await this.call<{ next_batch: string }>('GET', '/sync?timeout=0')).next_batch;
  }

  /**
   * Long-polls /sync from `since` until stopped, reporting each message body
   * when it arrives. A limited timeline means the server fell so far behind
   * that a gap opened: the run is then not a latency measurement, so it fails.
   * `timeoutMs` is each long-poll's (1 s unless given); `onAnswer` is told of every answer.
   */
  async follow(
    since: string,
    onMessage: (body: string) => void,
    stopped: () => boolean,
    options: { timeoutMs?: number; onAnswer?: () => void } = {},
  ): Promise<void> {
    const limit = 10_000;
    let token = since;
    while (!stopped()) {
      const response = await this.call<{
        next_batch: string;
        rooms?: {
          join?: Record<
            string,
            { timeline: { limited: boolean; events: Array<{ type: string; content: { body?: string } }> } }
          >;
        };
      }>(
        'GET',
        `/sync?since=${encodeURIComponent(token)}&timeout=${options.timeoutMs ?? 1000}&filter=${encodeURIComponent(JSON.stringify({ room: { timeline: { limit } } }))}`,
      );
      options.onAnswer?.();
      for (const room of Object.values(response.rooms?.join ?? {})) {
        if (room.timeline.limited)
          throw new Error(`more than ${limit} events arrived between two /sync answers: the server is not keeping up`);
        for (const event of room.timeline.events)
          if (event.type === 'm.room.message' && event.content.body) onMessage(event.content.body);
      }
      token = response.next_batch;
    }
  }
}

/** N users in M rooms: each room has the same number of members, the first its creator. */
export async function populate(
  baseUrl: string,
  users: number,
  rooms: number,
  prefix: string,
): Promise<{ clients: BenchClient[]; rooms: Array<{ roomId: string; members: BenchClient[] }> }> {
  const clients: BenchClient[] = [];
  for (let i = 0; i < users; i++) clients.push(await BenchClient.register(baseUrl, `${prefix}${i}`));
  const perRoom = Math.min(users, Math.max(2, Math.floor(users / rooms) + 1));
  const created: Array<{ roomId: string; members: BenchClient[] }> = [];
  for (let r = 0; r < rooms; r++) {
    const members = Array.from({ length: perRoom }, (_, k) => clients[(r + k) % users]);
    const roomId = await members[0].createRoom(members.slice(1).map((m) => m.userId));
    for (const member of members.slice(1)) await member.join(roomId);
    created.push({ roomId, members });
  }
  return { clients, rooms: created };
}

/** Every member of every room sends `perSender` messages, one after another, all members at once: events/s. */
export async function sendThroughput(
  rooms: Array<{ roomId: string; members: BenchClient[] }>,
  perSender: number,
  tag: string,
): Promise<number> {
  const senders = rooms.flatMap(({ roomId, members }) => members.map((member, m) => ({ roomId, member, m })));
  const start = performance.now();
  await Promise.all(
    senders.map(async ({ roomId, member, m }) => {
      for (let i = 0; i < perSender; i++) await member.send(roomId, `${tag}-${m}-${i}`, `${tag} ${m} ${i}`);
    }),
  );
  return Math.round((senders.length * perSender) / ((performance.now() - start) / 1000));
}

/**
 * Sends at a steady `rate` for `seconds` into one room while another member
 * long-polls /sync; returns the send-to-delivery latencies in milliseconds.
 */
export async function deliveryLatencies(
  room: { roomId: string; members: BenchClient[] },
  rate: number,
  seconds: number,
  tag: string,
): Promise<number[]> {
  const [sender, receiver] = room.members;
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  let stop = false;
  let failure: Error | undefined;
  const following = receiver
    .follow(
      await receiver.syncToken(),
      (body) => {
        const at = sentAt.get(body);
        if (at !== undefined) latencies.push(performance.now() - at);
      },
      () => stop || failure !== undefined,
    )
    .catch((e: Error) => {
      failure = e;
    });
  await new Promise((r) => setTimeout(r, 300));
  const total = rate * seconds;
  const start = performance.now();
  const sends: Array<Promise<string>> = [];
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const body = `${tag} ${i}`;
    sentAt.set(body, performance.now());
    sends.push(sender.send(room.roomId, `${tag}-${i}`, body));
  }
  await Promise.all(sends);
  const deadline = performance.now() + 10_000;
  while (latencies.length < total && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  stop = true;
  await following;
  if (failure) throw failure;
  if (latencies.length < total) throw new Error(`only ${latencies.length} of ${total} messages reached /sync`);
  return latencies;
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] * 10) / 10;
}
