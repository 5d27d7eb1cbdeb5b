/**
 * A minimal simplified sliding sync (MSC4186) client, written from the MSC:
 * it keeps a connection's `pos`, sends the lists, subscriptions and
 * extensions it is given, and folds each answer into a local picture of the
 * rooms, as a client would (an `initial` room replaces what it knew, other
 * answers update it). Tests read that picture, or the raw answers.
 */

export interface ClientEvent {
  type: string;
  sender: string;
  event_id: string;
  state_key?: string;
  content: Record<string, unknown>;
}

export interface RoomResult {
  membership?: string;
  name?: string;
  avatar?: string | null;
  heroes?: Array<{ user_id: string; displayname?: string; avatar_url?: string }>;
  initial?: boolean;
  required_state?: ClientEvent[];
  timeline?: ClientEvent[];
  invite_state?: ClientEvent[];
  stripped_state?: ClientEvent[];
  prev_batch?: string;
  limited?: boolean;
  num_live?: number;
  joined_count?: number;
  invited_count?: number;
  notification_count?: number;
  highlight_count?: number;
  bump_stamp?: number;
  is_dm?: boolean;
  lists?: string[];
  expanded_timeline?: boolean;
}

export interface SlidingResponse {
  pos: string;
  lists?: Record<string, { count: number; ops?: Array<{ op: string; range: [number, number]; room_ids: string[] }> }>;
  rooms?: Record<string, RoomResult>;
  extensions?: {
    to_device?: {
      next_batch: string;
      events: Array<{ sender: string; type: string; content: Record<string, unknown> }>;
    };
    e2ee?: {
      device_lists?: { changed: string[]; left: string[] };
      device_one_time_keys_count: Record<string, number>;
      device_unused_fallback_key_types: string[];
    };
    account_data?: {
      global: Array<{ type: string; content: unknown }>;
      rooms: Record<string, Array<{ type: string; content: unknown }>>;
    };
    receipts?: { rooms: Record<string, { type: string; content: Record<string, unknown> }> };
    typing?: { rooms: Record<string, { type: string; content: { user_ids: string[] } }> };
    'io.element.msc4360.threads'?: {
      updates: Record<
        string,
        Record<string, { prev_batch?: string; thread_root?: ClientEvent & { unsigned?: Record<string, unknown> } }>
      >;
      prev_batch?: string;
    };
  };
}

/** What the client knows of a room: the latest fields, the state it was sent, its timeline. */
export interface RoomView extends RoomResult {
  state: Map<string, ClientEvent>;
  events: ClientEvent[];
}

export class SlidingSyncError extends Error {
  constructor(
    readonly status: number,
    readonly errcode: string,
  ) {
    super(`sliding sync answered ${status} ${errcode}`);
  }
}

export const SLIDING_SYNC_PATH = '/_matrix/client/unstable/org.matrix.simplified_msc3575/sync';

export class SlidingSyncClient {
  pos: string | undefined;
  readonly rooms = new Map<string, RoomView>();
  lists: NonNullable<SlidingResponse['lists']> = {};
  toDeviceSince: string | undefined;

  constructor(
    private readonly baseUrl: () => string,
    private readonly token: string,
    readonly connId = 'main',
  ) {}

  /** One request on the connection: `pos` as the last answer gave it; the answer is folded in. */
  async sync(body: Record<string, unknown>, timeoutMs = 0): Promise<SlidingResponse> {
    const extensions = body.extensions as Record<string, Record<string, unknown>> | undefined;
    const toDevice =
      extensions?.to_device && this.toDeviceSince !== undefined
        ? { ...extensions.to_device, since: this.toDeviceSince }
        : extensions?.to_device;
    const response = await this.send(
      {
        conn_id: this.connId,
        ...body,
        ...(extensions ? { extensions: { ...extensions, ...(toDevice ? { to_device: toDevice } : {}) } } : {}),
      },
      this.pos,
      timeoutMs,
    );
    this.apply(response);
    return response;
  }

  /** A raw request with an explicit pos (e.g. an old one); the answer is not folded in. */
  async send(body: Record<string, unknown>, pos: string | undefined, timeoutMs = 0): Promise<SlidingResponse> {
    const query = new URLSearchParams({ timeout: String(timeoutMs), ...(pos ? { pos } : {}) });
    const request = () =>
      fetch(`${this.baseUrl()}${SLIDING_SYNC_PATH}?${query}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${this.token}` },
        body: JSON.stringify(body),
      });
    // A kept-alive connection the server closed as idle just as it was reused resets before any answer (the server
    // in the test's own process can fire that close late, after the database blocked the event loop); clients send
    // the request again, as browsers do, and a request with the same pos may be repeated (MSC4186).
    const response = await request().catch((e: Error & { cause?: { code?: string } }) => {
      if (e.cause?.code !== 'ECONNRESET') throw e;
      return request();
    });
    const json = (await response.json()) as Record<string, unknown>;
    if (response.status !== 200) throw new SlidingSyncError(response.status, json.errcode as string);
    return json as unknown as SlidingResponse;
  }

  /** Forget the connection (as after M_UNKNOWN_POS): the next request starts a new one. */
  reset(): void {
    this.pos = undefined;
    this.rooms.clear();
    this.lists = {};
  }

  /** The room IDs of a list's window, in the server's order. */
  window(list: string): string[] {
    return (this.lists[list]?.ops ?? []).flatMap((op) => op.room_ids);
  }

  private apply(response: SlidingResponse): void {
    this.pos = response.pos;
    this.lists = { ...this.lists, ...(response.lists ?? {}) };
    if (response.extensions?.to_device) this.toDeviceSince = response.extensions.to_device.next_batch;
    for (const [roomId, result] of Object.entries(response.rooms ?? {})) {
      const known = result.initial ? undefined : this.rooms.get(roomId);
      const view: RoomView = {
        ...(known ?? {}),
        ...result,
        state: new Map(known?.state ?? []),
        events: [...(known?.events ?? [])],
      };
      for (const e of result.required_state ?? []) view.state.set(`${e.type}\u0000${e.state_key}`, e);
      // MSC4186 `limited`: a gap, so what came before is not continuous with the new events.
      view.events =
        result.limited || result.expanded_timeline
          ? [...(result.timeline ?? [])]
          : [...view.events, ...(result.timeline ?? [])];
      this.rooms.set(roomId, view);
    }
  }
}
