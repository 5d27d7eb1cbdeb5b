import { computeEventId, roomIdFromCreateEvent } from '../../event-ids';
import type { JsonObject, Pdu } from '../../events';
import { getRoomVersion, type RoomVersion } from '../../room-versions';
import { checkEventAuth } from '../check-event-auth';
import type { AuthDecision } from '../types';

export const ALICE = '@alice:a.example';
export const BOB = '@bob:b.example';
export const CAROL = '@carol:a.example';
export const MALLORY = '@mallory:m.example';

/**
 * A room for auth-rule tests: a state map the rules read, and helpers to
 * build events in it. Hashes and signatures are not part of the auth rules,
 * so events carry placeholders.
 */
export class RoomFixture {
  readonly version: RoomVersion;
  readonly roomId: string;
  readonly createId: string;
  private readonly state = new Map<string, Pdu>();

  constructor(versionId: string, createContent: JsonObject = {}, creator = ALICE) {
    this.version = getRoomVersion(versionId);
    const content: JsonObject = { room_version: versionId, ...createContent };
    if (!this.version.creatorIsSender) content.creator ??= creator;
    const create = this.base(creator, 'm.room.create', '', content, []);
    if (this.version.roomIdFromCreateEvent) {
      delete create.room_id;
      this.roomId = roomIdFromCreateEvent(this.version, create);
    } else {
      this.roomId = `!room:${creator.split(':')[1]}`;
      create.room_id = this.roomId;
    }
    if (this.version.eventIdFormat === 'origin') create.event_id = `$create:${creator.split(':')[1]}`;
    this.createId = computeEventId(this.version, create);
    this.set(create);
  }

  /** An event in this room (not yet in the state). */
  event(
    sender: string,
    type: string,
    stateKey: string | undefined,
    content: JsonObject,
    extra: Partial<Pdu> = {},
  ): Pdu {
    return { ...this.base(sender, type, stateKey, content, ['$prev']), ...extra };
  }

  member(userId: string, membership: string, sender = userId, content: JsonObject = {}): Pdu {
    return this.event(sender, 'm.room.member', userId, { membership, ...content });
  }

  /** Applies a state event without checking it (to set up a scenario). */
  set(event: Pdu): this {
    this.state.set(`${event.type}\u0000${event.state_key}`, event);
    return this;
  }

  /** The usual start of a room: creator joined, power levels, join rule. */
  withDefaults(joinRule = 'public', powerLevels: JsonObject = {}): this {
    const creator = this.get('m.room.create', '')!.sender;
    this.set(this.member(creator, 'join'));
    const users = this.version.privilegedCreators ? {} : { [creator]: 100 };
    this.set(this.event(creator, 'm.room.power_levels', '', { users, ...powerLevels }));
    return this.set(this.event(creator, 'm.room.join_rules', '', { join_rule: joinRule }));
  }

  joined(...users: string[]): this {
    for (const u of users) this.set(this.member(u, 'join'));
    return this;
  }

  get(type: string, stateKey: string): Pdu | undefined {
    return this.state.get(`${type}\u0000${stateKey}`);
  }

  check(event: Pdu): AuthDecision {
    return checkEventAuth(this.version, event, (t, k) => this.get(t, k));
  }

  private base(sender: string, type: string, stateKey: string | undefined, content: JsonObject, prev: string[]): Pdu {
    const ref = (id: string) =>
      this.version.eventIdFormat === 'origin' ? ([id, { sha256: 'x' }] as [string, JsonObject]) : id;
    return {
      room_id: this.roomId,
      sender,
      type,
      ...(stateKey === undefined ? {} : { state_key: stateKey }),
      content,
      origin_server_ts: 1,
      depth: 1,
      prev_events: prev.map(ref),
      auth_events: [],
      hashes: { sha256: 'x' },
      signatures: {},
      ...(this.version.eventIdFormat === 'origin'
        ? { event_id: `$e${Math.random().toString(36).slice(2)}:${sender.split(':')[1]}` }
        : {}),
    };
  }
}
