import { canonicalJson, CanonicalJsonError } from './canonical-json';
import type { Pdu } from './events';
import { isValidEventId, isValidHistoricalUserId, isValidRoomId } from './identifiers';
import type { RoomVersion } from './room-versions';

/** Why an event's format is invalid: which field, and which rule it broke. */
export interface FormatViolation {
  field: string;
  rule: string;
}

/** client-server-api "Size limits": the whole PDU, as canonical JSON with signatures. */
export const MAX_PDU_BYTES = 65_536;
const MAX_FIELD_BYTES = 255;
const MAX_DEPTH = Number.MAX_SAFE_INTEGER;

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');
const codepoints = (s: string) => [...s].length;
/** The length a field's limit counts in this room version (see RoomVersion.strictEventByteLimits). */
const limitedLength = (version: RoomVersion) => (version.strictEventByteLimits ? bytes : codepoints);

/**
 * A field within its limit in codepoints but over 255 bytes, in a room version before strict byte
 * limits: such an event is well-formed enough to keep, and is rejected (see strictEventByteLimits).
 */
export function oversizedInBytes(version: RoomVersion, event: Pdu): string | undefined {
  if (version.strictEventByteLimits) return undefined;
  const fields = {
    type: event.type,
    state_key: event.state_key,
    sender: event.sender,
    room_id: event.room_id,
    event_id: event.event_id,
  };
  return Object.entries(fields).find(([, value]) => typeof value === 'string' && bytes(value) > MAX_FIELD_BYTES)?.[0];
}

/**
 * Checks a PDU's shape for its room version (server-server-api PDU schemas
 * pdu_v1 ... pdu_v12, rooms/vN "Event format"). Returns the first violation,
 * or undefined when the event is well-formed. Authorization is separate.
 */
export function validateEventFormat(version: RoomVersion, event: Pdu): FormatViolation | undefined {
  return (
    checkSize(version, event) ??
    checkFields(version, event) ??
    checkReferences(version, event) ??
    checkVersionSpecific(version, event)
  );
}

function checkSize(version: RoomVersion, event: Pdu): FormatViolation | undefined {
  let encoded: string;
  try {
    encoded = canonicalJson(event, { strict: version.strictCanonicalJson });
  } catch (e) {
    if (e instanceof CanonicalJsonError) return { field: e.path, rule: `canonical JSON: ${e.rule}` };
    throw e;
  }
  if (bytes(encoded) > MAX_PDU_BYTES)
    return { field: '(event)', rule: `larger than ${MAX_PDU_BYTES} bytes as canonical JSON` };
  return undefined;
}

function checkFields(version: RoomVersion, event: Pdu): FormatViolation | undefined {
  if (typeof event.type !== 'string' || event.type === '') return { field: 'type', rule: 'must be a non-empty string' };
  if (limitedLength(version)(event.type) > MAX_FIELD_BYTES)
    return { field: 'type', rule: `must not exceed ${MAX_FIELD_BYTES} bytes` };
  if (typeof event.sender !== 'string' || !isValidHistoricalUserId(event.sender))
    return { field: 'sender', rule: 'must be a user ID' };
  if (event.state_key !== undefined) {
    if (typeof event.state_key !== 'string') return { field: 'state_key', rule: 'must be a string' };
    if (limitedLength(version)(event.state_key) > MAX_FIELD_BYTES)
      return { field: 'state_key', rule: `must not exceed ${MAX_FIELD_BYTES} bytes` };
  }
  if (!isPlainObject(event.content)) return { field: 'content', rule: 'must be an object' };
  if (!Number.isInteger(event.origin_server_ts)) return { field: 'origin_server_ts', rule: 'must be an integer' };
  if (!Number.isInteger(event.depth) || event.depth < 0 || event.depth > MAX_DEPTH) {
    return { field: 'depth', rule: 'must be an integer in [0, 2**53-1]' };
  }
  if (!isPlainObject(event.hashes) || typeof event.hashes.sha256 !== 'string')
    return { field: 'hashes.sha256', rule: 'must be a string' };
  if (!isPlainObject(event.signatures)) return { field: 'signatures', rule: 'must be an object' };

  const isCreate = event.type === 'm.room.create' && event.state_key === '';
  const roomIdOmitted = version.roomIdFromCreateEvent && isCreate;
  if (roomIdOmitted) {
    if (event.room_id !== undefined)
      return { field: 'room_id', rule: 'must be omitted from m.room.create in this room version' };
  } else if (typeof event.room_id !== 'string' || !isValidRoomId(event.room_id, version.roomIdFromCreateEvent)) {
    return { field: 'room_id', rule: 'must be a room ID of this room version' };
  }
  if (version.eventIdFormat === 'origin') {
    if (typeof event.event_id !== 'string' || !isValidEventId(event.event_id, 'origin'))
      return { field: 'event_id', rule: 'must be an event ID' };
  }
  return undefined;
}

function checkReferences(version: RoomVersion, event: Pdu): FormatViolation | undefined {
  for (const field of ['prev_events', 'auth_events'] as const) {
    const refs = event[field];
    if (!Array.isArray(refs)) return { field, rule: 'must be an array' };
    for (const ref of refs) {
      const id =
        version.eventIdFormat === 'origin' ? (Array.isArray(ref) && isPlainObject(ref[1]) ? ref[0] : undefined) : ref;
      if (typeof id !== 'string' || !isValidEventId(id, version.eventIdFormat)) {
        return {
          field,
          rule:
            version.eventIdFormat === 'origin'
              ? 'entries must be [event_id, {sha256}] pairs'
              : 'entries must be event IDs of this room version',
        };
      }
    }
  }
  return undefined;
}

function checkVersionSpecific(version: RoomVersion, event: Pdu): FormatViolation | undefined {
  // The PDU schemas do not require `redacts` (pdu_v1 ... pdu_v11): a redaction without one is well-formed and redacts
  // nothing, as other servers accept it (Complement's TestSync sends one from its own server and expects sync to carry on).
  if (event.type === 'm.room.redaction') {
    const redacts = version.redactsInContent ? event.content.redacts : event.redacts;
    if (redacts !== undefined && typeof redacts !== 'string')
      return { field: version.redactsInContent ? 'content.redacts' : 'redacts', rule: 'must be an event ID' };
  }
  if (version.integerPowerLevels && event.type === 'm.room.power_levels') {
    return integerPowerLevels(event.content);
  }
  return undefined;
}

/** rooms/v10.md: every power level value, including nested maps, must be an integer. */
function integerPowerLevels(content: Record<string, unknown>): FormatViolation | undefined {
  for (const key of ['ban', 'invite', 'kick', 'redact', 'state_default', 'events_default', 'users_default']) {
    if (content[key] !== undefined && !Number.isInteger(content[key]))
      return { field: `content.${key}`, rule: 'must be an integer' };
  }
  for (const map of ['events', 'users', 'notifications']) {
    const value = content[map];
    if (value === undefined) continue;
    if (!isPlainObject(value)) return { field: `content.${map}`, rule: 'must be an object' };
    for (const [k, v] of Object.entries(value)) {
      if (!Number.isInteger(v)) return { field: `content.${map}.${k}`, rule: 'must be an integer' };
    }
  }
  return undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
