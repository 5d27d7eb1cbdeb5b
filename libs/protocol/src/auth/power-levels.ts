import type { JsonObject, Pdu } from '../events';
import type { RoomVersion } from '../room-versions';
import type { AuthStateLookup } from './types';

/**
 * m.room.power_levels as the auth rules read it, with the defaults of the
 * event schema (data/event-schemas/schema/m.room.power_levels.yaml): ban,
 * kick, redact, state_default 50; invite, events_default, users_default 0.
 */
export interface PowerLevels {
  ban: number;
  kick: number;
  redact: number;
  invite: number;
  stateDefault: number;
  eventsDefault: number;
  usersDefault: number;
  events: Record<string, number>;
  notifications: Record<string, number>;
  users: Record<string, number>;
}

const DEFAULTS = { ban: 50, kick: 50, redact: 50, invite: 0, state_default: 50, events_default: 0, users_default: 0 };

/**
 * Reads a power level value. v10+ accept only integers; older versions also
 * accept strings that are integers (rooms/v1.md "stringy power levels"),
 * parsed the way the spec describes: optional sign, digits, surrounding
 * whitespace allowed. Anything else reads as undefined.
 */
export function parsePowerLevelValue(version: RoomVersion, value: unknown): number | undefined {
  if (typeof value === 'number')
    return Number.isInteger(value) ? value : version.integerPowerLevels ? undefined : Math.trunc(value);
  if (typeof value === 'string' && !version.integerPowerLevels) {
    const match = /^\s*([+-]?\d+)\s*$/.exec(value);
    return match ? Number(match[1]) : undefined;
  }
  return undefined;
}

function readMap(version: RoomVersion, value: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return out;
  for (const [key, v] of Object.entries(value)) {
    const n = parsePowerLevelValue(version, v);
    if (n !== undefined) out[key] = n;
  }
  return out;
}

export function parsePowerLevels(version: RoomVersion, content: JsonObject | undefined): PowerLevels {
  const c = content ?? {};
  const level = (key: keyof typeof DEFAULTS) => parsePowerLevelValue(version, c[key]) ?? DEFAULTS[key];
  return {
    ban: level('ban'),
    kick: level('kick'),
    redact: level('redact'),
    invite: level('invite'),
    stateDefault: level('state_default'),
    eventsDefault: level('events_default'),
    usersDefault: level('users_default'),
    events: readMap(version, c.events),
    notifications: readMap(version, c.notifications),
    users: readMap(version, c.users),
  };
}

/**
 * The room's creators: v12 formalises them as the create event's sender plus
 * content.additional_creators (rooms/v12.md); earlier versions have one
 * creator, `content.creator` before v11 and the sender from v11.
 */
export function roomCreators(version: RoomVersion, create: Pdu | undefined): string[] {
  if (!create) return [];
  if (!version.creatorIsSender) return typeof create.content.creator === 'string' ? [create.content.creator] : [];
  const additional =
    version.privilegedCreators && Array.isArray(create.content.additional_creators)
      ? create.content.additional_creators
      : [];
  return [create.sender, ...additional.filter((u): u is string => typeof u === 'string')];
}

export function isRoomCreator(version: RoomVersion, userId: string, state: AuthStateLookup): boolean {
  return roomCreators(version, state('m.room.create', '')).includes(userId);
}

/**
 * A user's power level. v12 creators are infinitely powerful. Without a
 * power levels event, the creator has 100 and everyone else 0
 * (m.room.power_levels description).
 */
export function powerLevelOf(version: RoomVersion, userId: string, state: AuthStateLookup): number {
  if (version.privilegedCreators && isRoomCreator(version, userId, state)) return Infinity;
  const event = state('m.room.power_levels', '');
  if (!event) return isRoomCreator(version, userId, state) ? 100 : 0;
  const levels = parsePowerLevels(version, event.content);
  return levels.users[userId] ?? levels.usersDefault;
}

/** The level needed to send an event of this type (and state-ness). */
export function requiredPowerLevelForEvent(levels: PowerLevels, type: string, isState: boolean): number {
  return levels.events[type] ?? (isState ? levels.stateDefault : levels.eventsDefault);
}
