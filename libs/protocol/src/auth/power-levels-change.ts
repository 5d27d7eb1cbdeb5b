import type { JsonObject, Pdu } from '../events';
import { isValidHistoricalUserId } from '../identifiers';
import type { RoomVersion } from '../room-versions';
import { ALLOW, malformed, reject } from './decision';
import { parsePowerLevelValue, roomCreators } from './power-levels';
import type { AuthDecision, AuthStateLookup } from './types';

const LEVEL_KEYS = ['users_default', 'events_default', 'state_default', 'ban', 'redact', 'kick', 'invite'] as const;

/**
 * Rule 10: what an m.room.power_levels event may contain and change. Nobody
 * may grant or revoke more power than they hold, or touch the level of a
 * user at or above their own.
 */
export function checkPowerLevelsChange(
  version: RoomVersion,
  event: Pdu,
  state: AuthStateLookup,
  senderLevel: number,
): AuthDecision {
  const content = event.content;
  const shape = checkShape(version, content);
  if (shape) return shape;
  if (version.privilegedCreators) {
    const users = Object.keys((content.users as JsonObject | undefined) ?? {});
    if (roomCreators(version, state('m.room.create', '')).some((c) => users.includes(c))) {
      return malformed('10.4 power_levels', 'room creators cannot be listed in users');
    }
  }
  const previous = state('m.room.power_levels', '');
  if (!previous) return ALLOW;
  const old = previous.content;
  const level = (c: JsonObject, key: string) => parsePowerLevelValue(version, c[key]);

  for (const key of LEVEL_KEYS) {
    const before = level(old, key);
    const after = level(content, key);
    if (before === after) continue;
    if (before !== undefined && before > senderLevel)
      return reject('10.6.1 power_levels', `the sender cannot change ${key} from above their level`);
    if (after !== undefined && after > senderLevel)
      return reject('10.6.2 power_levels', `the sender cannot set ${key} above their level`);
  }
  const maps = version.notificationsPowerLevels ? ['events', 'notifications'] : ['events'];
  for (const map of maps) {
    const decision = checkMapChange(
      version,
      map,
      old[map],
      content[map],
      senderLevel,
      (before) => before > senderLevel,
    );
    if (decision) return decision;
  }
  return (
    checkMapChange(
      version,
      'users',
      old.users,
      content.users,
      senderLevel,
      (before, user) => user !== event.sender && before >= senderLevel,
    ) ?? ALLOW
  );
}

/** Rules 10.1-10.3: integers (v10+), objects of integers, user IDs as keys. */
function checkShape(version: RoomVersion, content: JsonObject): AuthDecision | undefined {
  if (version.integerPowerLevels) {
    for (const key of LEVEL_KEYS) {
      if (content[key] !== undefined && !Number.isInteger(content[key]))
        return malformed('10.1 power_levels', `${key} must be an integer`);
    }
    for (const map of ['events', 'notifications']) {
      const value = content[map];
      if (value === undefined) continue;
      if (!isObject(value) || !Object.values(value).every((v) => Number.isInteger(v))) {
        return malformed('10.2 power_levels', `${map} must be an object of integers`);
      }
    }
  }
  const users = content.users;
  if (users === undefined) return undefined;
  if (!isObject(users)) return malformed('10.3 power_levels', 'users must be an object');
  for (const [user, value] of Object.entries(users)) {
    if (!isValidHistoricalUserId(user) || parsePowerLevelValue(version, value) === undefined) {
      return malformed('10.3 power_levels', 'users must map user IDs to integers');
    }
  }
  return undefined;
}

/**
 * Rules 10.7-10.10 for one map: a removed or changed entry must pass
 * `protectedBefore` (its old value), an added or changed entry must not
 * exceed the sender's level.
 */
function checkMapChange(
  version: RoomVersion,
  name: string,
  oldMap: unknown,
  newMap: unknown,
  senderLevel: number,
  protectedBefore: (before: number, key: string) => boolean,
): AuthDecision | undefined {
  const before = isObject(oldMap) ? oldMap : {};
  const after = isObject(newMap) ? newMap : {};
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const was = parsePowerLevelValue(version, before[key]);
    const now = parsePowerLevelValue(version, after[key]);
    if (was === now) continue;
    if (was !== undefined && protectedBefore(was, key))
      return reject(`10 power_levels ${name}`, `the sender cannot change ${name}.${key} from its current level`);
    if (now !== undefined && now > senderLevel)
      return reject(`10 power_levels ${name}`, `the sender cannot set ${name}.${key} above their level`);
  }
  return undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
