import {
  parsePowerLevels,
  powerLevelOf,
  requiredPowerLevelForEvent,
  type AuthStateLookup,
  type JsonObject,
  type Pdu,
  type RoomVersion,
} from '@lattice/protocol';

/**
 * State the spec recommends replicating to the new room (client-server-api
 * "Room Upgrades", server behaviour 3). Power levels go through
 * power_level_content_override; members do not move, except bans.
 */
const TRANSFERABLE = [
  'm.room.server_acl',
  'm.room.encryption',
  'm.room.name',
  'm.room.avatar',
  'm.room.topic',
  'm.room.guest_access',
  'm.room.history_visibility',
  'm.room.join_rules',
];

export interface UpgradeInput {
  oldRoomId: string;
  oldVersion: RoomVersion;
  newVersion: RoomVersion;
  upgrader: string;
  /** The old room's current state. */
  state: Pdu[];
  /** The latest event of the old room: the create event's predecessor.event_id. */
  lastEventId?: string;
  additionalCreators?: string[];
}

export interface UpgradePlan {
  /** The POST /createRoom request that makes the replacement room. */
  createRoom: JsonObject;
  /** The old room's power levels once the upgrader is no longer raised, sent to the new room after it is made (absent when the override already is them). */
  finalPowerLevels?: JsonObject;
  /** The old room's power levels restricted so nobody but moderators speaks or invites there any more (server behaviour 6); absent for a room without power levels, whose creator's level only the absence gives. */
  restrictedOldPowerLevels?: JsonObject;
}

export const lookupIn = (state: Pdu[]): AuthStateLookup => {
  const byKey = new Map(state.map((e) => [`${e.type}\u0000${e.state_key}`, e]));
  return (type, stateKey) => byKey.get(`${type}\u0000${stateKey}`);
};

/** Server behaviour 1: the upgrader must be allowed to send m.room.tombstone in the old room. */
export function mayUpgrade(version: RoomVersion, upgrader: string, state: Pdu[]): boolean {
  const lookup = lookupIn(state);
  if (lookup('m.room.member', upgrader)?.content.membership !== 'join') return false;
  const levels = parsePowerLevels(version, lookup('m.room.power_levels', '')?.content);
  return powerLevelOf(version, upgrader, lookup) >= requiredPowerLevelForEvent(levels, 'm.room.tombstone', true);
}

/**
 * The replacement room of an upgrade, as a createRoom request built from the
 * old room's state: the create event's predecessor and type (server
 * behaviour 2; additional creators only as asked), the transferable state
 * and the bans, and the old power levels. Until the new room's state is
 * written the upgrader holds the highest level those power levels name, so
 * every copied event passes the auth rules; the plain old levels follow. In
 * a version whose creators are privileged (v12), creators must not appear in
 * `users`.
 */
export function planUpgrade(input: UpgradeInput): UpgradePlan {
  const lookup = lookupIn(input.state);
  const create = lookup('m.room.create', '');
  const oldLevelsEvent = lookup('m.room.power_levels', '');
  const oldLevels = { ...(oldLevelsEvent?.content ?? {}) };
  const newCreators = input.newVersion.privilegedCreators ? [input.upgrader, ...(input.additionalCreators ?? [])] : [];
  const levels = withoutUsers(oldLevels, newCreators);
  const raised = input.newVersion.privilegedCreators
    ? levels
    : { ...levels, users: { ...(levels.users as JsonObject), [input.upgrader]: highestLevel(levels) } };
  const bans = input.state.filter(
    (e) => e.type === 'm.room.member' && e.content.membership === 'ban' && e.state_key !== input.upgrader,
  );
  const copied = input.state.filter((e) => TRANSFERABLE.includes(e.type) && e.state_key === '');
  const creationContent: JsonObject = {
    // predecessor.event_id is deprecated (m.room.create, v1.16); MSC4291 rooms (v12) leave it out, as Synapse does.
    predecessor: {
      room_id: input.oldRoomId,
      ...(input.lastEventId && !input.newVersion.roomIdFromCreateEvent ? { event_id: input.lastEventId } : {}),
    },
    ...(typeof create?.content.type === 'string' ? { type: create.content.type } : {}),
    ...(input.newVersion.privilegedCreators && input.additionalCreators?.length
      ? { additional_creators: input.additionalCreators }
      : {}),
  };
  const joinRule = lookup('m.room.join_rules', '')?.content.join_rule;
  return {
    createRoom: {
      room_version: input.newVersion.id,
      preset: joinRule === 'public' ? 'public_chat' : 'private_chat',
      creation_content: creationContent,
      power_level_content_override: raised,
      initial_state: [
        ...copied.map((e) => ({ type: e.type, state_key: '', content: e.content })),
        ...bans.map((e) => ({
          type: 'm.room.member',
          state_key: e.state_key!,
          content: { membership: 'ban', ...(typeof e.content.reason === 'string' ? { reason: e.content.reason } : {}) },
        })),
      ],
    },
    ...(raised !== levels && oldLevelsEvent ? { finalPowerLevels: levels } : {}),
    ...(oldLevelsEvent ? { restrictedOldPowerLevels: restricted(input.oldVersion, oldLevels) } : {}),
  };
}

function withoutUsers(levels: JsonObject, userIds: string[]): JsonObject {
  if (userIds.length === 0 || typeof levels.users !== 'object' || levels.users === null) return levels;
  const users = Object.fromEntries(
    Object.entries(levels.users as JsonObject).filter(([userId]) => !userIds.includes(userId)),
  );
  return { ...levels, users };
}

/** The highest level any action or user in these power levels names (100 at least, what a creator holds). */
function highestLevel(levels: JsonObject): number {
  const numbers = (value: unknown): number[] =>
    typeof value === 'number'
      ? [value]
      : typeof value === 'object' && value !== null
        ? Object.values(value).flatMap(numbers)
        : [];
  return Math.max(100, ...numbers(levels));
}

/** Server behaviour 6: events_default and invite at the greater of 50 and users_default + 1. */
function restricted(version: RoomVersion, content: JsonObject): JsonObject {
  const { usersDefault } = parsePowerLevels(version, content);
  const level = Math.max(50, usersDefault + 1);
  return { ...content, events_default: level, invite: level };
}
