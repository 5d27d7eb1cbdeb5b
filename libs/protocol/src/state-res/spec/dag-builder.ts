import { selectAuthEvents } from '../../auth/auth-events-selection';
import { computeEventId, roomIdFromCreateEvent } from '../../event-ids';
import { computeContentHash } from '../../hashes';
import { parseStateKey, stateKey, type JsonObject, type Pdu, type StateMap } from '../../events';
import { getRoomVersion, type RoomVersion } from '../../room-versions';
import { eventSourceOf, type EventSource, type ResolvableEvent } from '../event-source';

export const ALICE = '@alice:a.example';
export const BOB = '@bob:b.example';
export const CHARLIE = '@charlie:c.example';

interface AddOptions {
  /** Names of the prev events (default: the last added event). */
  prev?: string[];
  /** Names of the state the event is sent on (its auth events are selected from it). */
  on: string[];
  ts?: number;
}

/**
 * Builds room DAGs for state resolution tests: events are named, their IDs
 * computed as the room version computes them, their auth events selected
 * from the state the test says they were sent on.
 */
export class DagBuilder {
  readonly version: RoomVersion;
  private readonly events = new Map<string, ResolvableEvent>();
  private roomId = '!room:a.example';
  private clock = 1000;
  private last: string | undefined;

  constructor(versionId: string) {
    this.version = getRoomVersion(versionId);
  }

  add(
    name: string,
    sender: string,
    type: string,
    key: string | undefined,
    content: JsonObject,
    options: AddOptions,
  ): this {
    const onState = this.stateOf(options.on);
    const pdu: Pdu = {
      room_id: this.roomId,
      sender,
      type,
      ...(key === undefined ? {} : { state_key: key }),
      content,
      origin_server_ts: options.ts ?? this.clock++,
      depth: 0,
      prev_events: [],
      auth_events: [],
      hashes: { sha256: 'x' },
      signatures: {},
    };
    const prevNames = options.prev ?? (this.last ? [this.last] : []);
    pdu.depth = Math.max(0, ...prevNames.map((n) => this.pdu(n).depth)) + 1;
    pdu.prev_events = prevNames.map((n) => this.ref(n));
    pdu.auth_events = selectAuthEvents(this.version, pdu, (t, k) => {
      const id = onState.get(stateKey(t, k));
      return id === undefined ? undefined : this.byId(id)?.pdu;
    }).map((e) => this.ref(this.nameOf(e)));

    const isCreate = type === 'm.room.create';
    if (this.version.eventIdFormat === 'origin') pdu.event_id = `$${name}:a.example`;
    if (isCreate && this.version.roomIdFromCreateEvent) {
      delete pdu.room_id;
      pdu.hashes = { sha256: computeContentHash(this.version, pdu) };
      this.roomId = roomIdFromCreateEvent(this.version, pdu);
    }
    pdu.hashes = { sha256: computeContentHash(this.version, pdu) };
    this.events.set(name, { eventId: computeEventId(this.version, pdu), pdu });
    this.last = name;
    return this;
  }

  /** The usual beginning: create, Alice joins, power levels (Bob 100 where given), public join rule, Bob joins. */
  start(users: Record<string, number> = {}): this {
    const v = this.version;
    const creatorLevels: Record<string, number> = v.privilegedCreators ? {} : { [ALICE]: 100 };
    return this.add(
      'create',
      ALICE,
      'm.room.create',
      '',
      v.creatorIsSender ? { room_version: v.id } : { creator: ALICE, room_version: v.id },
      { prev: [], on: [] },
    )
      .add('ima', ALICE, 'm.room.member', ALICE, { membership: 'join' }, { on: ['create'] })
      .add(
        'ipower',
        ALICE,
        'm.room.power_levels',
        '',
        { users: { ...creatorLevels, ...users } },
        { on: ['create', 'ima'] },
      )
      .add('ijr', ALICE, 'm.room.join_rules', '', { join_rule: 'public' }, { on: ['create', 'ima', 'ipower'] })
      .add('imb', BOB, 'm.room.member', BOB, { membership: 'join' }, { on: ['create', 'ima', 'ipower', 'ijr'] });
  }

  id(name: string): string {
    return this.events.get(name)!.eventId;
  }

  pdu(name: string): Pdu {
    return this.events.get(name)!.pdu;
  }

  /** A state map holding the named events (later names replace earlier ones with the same key). */
  stateOf(names: string[]): StateMap {
    const state: StateMap = new Map();
    for (const name of names) {
      const pdu = this.pdu(name);
      state.set(stateKey(pdu.type, pdu.state_key!), this.id(name));
    }
    return state;
  }

  /** A resolved state map rendered as type|state_key -> event name, for readable assertions. */
  names(state: StateMap): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [key, id] of state) {
      const [type, sk] = parseStateKey(key);
      out[`${type}|${sk}`] = this.nameOf(this.byId(id)!.pdu);
    }
    return out;
  }

  source(): EventSource {
    return eventSourceOf(this.events.values());
  }

  private byId(id: string): ResolvableEvent | undefined {
    for (const e of this.events.values()) if (e.eventId === id) return e;
    return undefined;
  }

  private nameOf(pdu: Pdu): string {
    for (const [name, e] of this.events) if (e.pdu === pdu) return name;
    throw new Error('unknown event');
  }

  private ref(name: string): string | [string, JsonObject] {
    return this.version.eventIdFormat === 'origin' ? [this.id(name), { sha256: 'x' }] : this.id(name);
  }
}
