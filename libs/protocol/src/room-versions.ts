/**
 * The one registry of room versions. Every algorithm that differs between
 * versions (event IDs, redaction, auth rules, state resolution, format checks)
 * reads its switches from here, so adding a room version is one entry.
 *
 * Spec: rooms/_index.md and the per-version pages rooms/v1.md ... rooms/v12.md.
 */

/** How an event ID is obtained (rooms/v1.md, v3.md, v4.md "Event IDs"). */
export type EventIdFormat =
  /** Minted by the origin server as `$opaque:server` and carried in the event. */
  | 'origin'
  /** `$` + standard unpadded base64 of the reference hash. */
  | 'hash-base64'
  /** `$` + URL-safe unpadded base64 of the reference hash. */
  | 'hash-urlsafe';

/** Which set of keys survives redaction (rooms/v1, v6, v8/v9, v11 "Redactions"). */
export type RedactionAlgorithm = 'v1' | 'v6' | 'v8' | 'v9' | 'v11';

/** State resolution algorithm (rooms/v1.md, v2.md, v12.md "State resolution"). */
export type StateResolutionAlgorithm = 'v1' | 'v2' | 'v2.1';

export interface RoomVersion {
  readonly id: string;
  readonly stable: boolean;
  readonly eventIdFormat: EventIdFormat;
  readonly redaction: RedactionAlgorithm;
  readonly stateResolution: StateResolutionAlgorithm;
  /** v5+: a signature only counts if made while the key was valid (valid_until_ts). */
  readonly enforceKeyValidity: boolean;
  /** v1-v5: the m.room.aliases auth rule (rule 4 in v1) applies. */
  readonly specialCaseAliasesAuth: boolean;
  /** v6+: canonical JSON is enforced (integers only, in range), which also bounds depth. */
  readonly strictCanonicalJson: boolean;
  /**
   * v11+: type, state_key, sender, room_id and event_id are limited to 255 bytes. Earlier versions
   * were enforced by codepoints (as Synapse did): an event within 255 codepoints but over 255 bytes
   * is kept, as a rejected event, so that it does not leave a hole in the DAG.
   */
  readonly strictEventByteLimits: boolean;
  /** v6+: power levels' `notifications` is checked like `events` in rule 10.4/10.5. */
  readonly notificationsPowerLevels: boolean;
  /** v7+: the `knock` membership and join rule. */
  readonly knocking: boolean;
  /** v8+: the `restricted` join rule and `join_authorised_via_users_server`. */
  readonly restrictedJoins: boolean;
  /** v10+: the `knock_restricted` join rule. */
  readonly knockRestricted: boolean;
  /** v10+: power level values must be integers, not strings. */
  readonly integerPowerLevels: boolean;
  /** v11+: m.room.create has no `creator`; the sender is the creator. */
  readonly creatorIsSender: boolean;
  /** v11+: `redacts` lives in the content of m.room.redaction. */
  readonly redactsInContent: boolean;
  /** v3+: a redaction event's own auth does not check the redacted event's sender. */
  readonly redactionAuthDeferred: boolean;
  /**
   * v12: the room ID is `!` + URL-safe reference hash of the create event, the
   * create event has no room_id and is not listed in auth_events, and creators
   * (sender + additional_creators) have unlimited power.
   */
  readonly roomIdFromCreateEvent: boolean;
  readonly privilegedCreators: boolean;
}

const v1: RoomVersion = {
  id: '1',
  stable: true,
  eventIdFormat: 'origin',
  redaction: 'v1',
  stateResolution: 'v1',
  enforceKeyValidity: false,
  specialCaseAliasesAuth: true,
  strictCanonicalJson: false,
  strictEventByteLimits: false,
  notificationsPowerLevels: false,
  knocking: false,
  restrictedJoins: false,
  knockRestricted: false,
  integerPowerLevels: false,
  creatorIsSender: false,
  redactsInContent: false,
  redactionAuthDeferred: false,
  roomIdFromCreateEvent: false,
  privilegedCreators: false,
};

/** Each version is its predecessor plus the changes its spec page lists. */
const v2: RoomVersion = { ...v1, id: '2', stateResolution: 'v2' };
const v3: RoomVersion = { ...v2, id: '3', eventIdFormat: 'hash-base64', redactionAuthDeferred: true };
const v4: RoomVersion = { ...v3, id: '4', eventIdFormat: 'hash-urlsafe' };
const v5: RoomVersion = { ...v4, id: '5', enforceKeyValidity: true };
const v6: RoomVersion = {
  ...v5,
  id: '6',
  redaction: 'v6',
  specialCaseAliasesAuth: false,
  strictCanonicalJson: true,
  notificationsPowerLevels: true,
};
const v7: RoomVersion = { ...v6, id: '7', knocking: true };
const v8: RoomVersion = { ...v7, id: '8', redaction: 'v8', restrictedJoins: true };
const v9: RoomVersion = { ...v8, id: '9', redaction: 'v9' };
const v10: RoomVersion = { ...v9, id: '10', knockRestricted: true, integerPowerLevels: true };
const v11: RoomVersion = {
  ...v10,
  id: '11',
  redaction: 'v11',
  creatorIsSender: true,
  redactsInContent: true,
  strictEventByteLimits: true,
};
const v12: RoomVersion = {
  ...v11,
  id: '12',
  stateResolution: 'v2.1',
  roomIdFromCreateEvent: true,
  privilegedCreators: true,
};

const registry: ReadonlyMap<string, RoomVersion> = new Map(
  [v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, v12].map((v) => [v.id, v]),
);

/** The version new rooms get unless asked otherwise (rooms/_index.md: servers SHOULD use 12). */
export const DEFAULT_ROOM_VERSION = '12';

/** All versions this library implements, in spec order. */
export function knownRoomVersions(): RoomVersion[] {
  return [...registry.values()];
}

/** The rules of `id`, or undefined for a version this server does not support. */
export function findRoomVersion(id: string): RoomVersion | undefined {
  return registry.get(id);
}

/** The rules of `id`; throws UnsupportedRoomVersionError for unknown versions. */
export function getRoomVersion(id: string): RoomVersion {
  const version = registry.get(id);
  if (!version) throw new UnsupportedRoomVersionError(id);
  return version;
}

export class UnsupportedRoomVersionError extends Error {
  /** Spec errcode for both client (createRoom) and federation (make_join) uses. */
  readonly errcode = 'M_UNSUPPORTED_ROOM_VERSION';
  constructor(readonly roomVersion: string) {
    super(`Room version "${roomVersion}" is not supported by this server`);
  }
}
