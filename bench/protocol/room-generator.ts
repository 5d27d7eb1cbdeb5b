import {
  computeContentHash,
  roomIdFromCreateEvent,
  stateKey,
  type JsonObject,
  type Pdu,
  type ResolvableEvent,
  type RoomVersion,
  type StateMap,
} from '@lattice/protocol';

const CREATOR = '@alice:example.org';

/**
 * A big room for benchmarks: create, creator join, power levels, join rules,
 * then `members` joins. Event IDs are synthetic (state resolution and the
 * auth rules take IDs as given), except the create event's where v12 needs
 * the real one.
 */
export class BenchRoom {
  readonly events = new Map<string, ResolvableEvent>();
  readonly state: StateMap = new Map();
  readonly roomId: string;
  private ts = 1_700_000_000_000;
  private counter = 0;

  constructor(
    readonly version: RoomVersion,
    members: number,
  ) {
    const create = this.pdu(
      CREATOR,
      'm.room.create',
      '',
      { room_version: version.id, ...(version.creatorIsSender ? {} : { creator: CREATOR }) },
      [],
    );
    if (version.roomIdFromCreateEvent) {
      delete create.room_id;
      create.hashes = { sha256: computeContentHash(version, create) };
      this.roomId = roomIdFromCreateEvent(version, create);
    } else {
      this.roomId = '!bench:example.org';
      create.room_id = this.roomId;
    }
    this.store(version.roomIdFromCreateEvent ? `$${this.roomId.slice(1)}` : '$create', create);
    this.add(CREATOR, 'm.room.member', CREATOR, { membership: 'join' });
    this.add(CREATOR, 'm.room.power_levels', '', {
      users: version.privilegedCreators ? {} : { [CREATOR]: 100 },
      state_default: 50,
    });
    this.add(CREATOR, 'm.room.join_rules', '', { join_rule: 'public' });
    for (let i = 0; i < members; i++)
      this.add(`@user${i}:example.org`, 'm.room.member', `@user${i}:example.org`, { membership: 'join' });
  }

  get creator(): string {
    return CREATOR;
  }

  /** Adds a state event sent on `on` (default: the room's main state), returning its ID; the main state moves only when `on` is omitted. */
  add(sender: string, type: string, key: string, content: JsonObject, on: StateMap = this.state): string {
    const auth = ['m.room.power_levels', 'm.room.join_rules']
      .map((t) => on.get(stateKey(t, '')))
      .filter((x): x is string => !!x);
    const senderMember = on.get(stateKey('m.room.member', sender));
    if (senderMember) auth.push(senderMember);
    if (!this.version.roomIdFromCreateEvent) auth.push('$create');
    const id = `$e${this.counter++}`;
    this.store(id, this.pdu(sender, type, key, content, auth));
    if (on === this.state) this.state.set(stateKey(type, key), id);
    return id;
  }

  private pdu(sender: string, type: string, key: string, content: JsonObject, auth: string[]): Pdu {
    return {
      room_id: this.roomId,
      sender,
      type,
      state_key: key,
      content,
      origin_server_ts: this.ts++,
      depth: this.counter,
      prev_events: [],
      auth_events: auth,
      hashes: { sha256: 'x' },
      signatures: {},
    };
  }

  private store(id: string, pdu: Pdu): void {
    this.events.set(id, { eventId: id, pdu });
  }
}
