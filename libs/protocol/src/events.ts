/**
 * The shapes of Matrix events as this library sees them.
 *
 * A PDU is kept as plain JSON (exactly what was signed), so hashing and signing
 * never depend on a class's field order or on fields added by this server.
 * Spec: server-server-api.md "PDUs", rooms/v1.md and rooms/v3.md "Event format".
 */

/** Any JSON value, as parsed from the wire. */
export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
/** Any object, for functions that take events or other JSON objects without reading their types. */
export type AnyObject = Record<string, unknown>;

export interface JsonObject {
  [key: string]: JsonValue;
}

/** `signatures`: server name -> key ID -> unpadded base64 signature. */
export type Signatures = Record<string, Record<string, string>>;

/** `hashes`: algorithm -> unpadded base64 digest. Only sha256 is defined. */
export interface EventHashes {
  sha256: string;
  [algorithm: string]: string;
}

/**
 * A persistent data unit in any room version. Fields that only some versions
 * have are optional here; `validateEventFormat` enforces each version's shape.
 * In room v1/v2, `prev_events` and `auth_events` are [event_id, {sha256}] pairs
 * and `event_id` is a top-level field; in v3+ they are plain event IDs and
 * the event ID is derived from the reference hash.
 */
export interface Pdu {
  event_id?: string;
  room_id?: string;
  sender: string;
  origin?: string;
  origin_server_ts: number;
  type: string;
  state_key?: string;
  content: JsonObject;
  prev_events: EventReference[];
  auth_events: EventReference[];
  depth: number;
  hashes: EventHashes;
  signatures: Signatures;
  redacts?: string;
  unsigned?: JsonObject;
  [key: string]: JsonValue | undefined;
}

/** v1/v2 `[event_id, {sha256: ...}]` or v3+ `event_id`. */
export type EventReference = string | [string, JsonObject];

/** An event together with the ID this server computed or was given for it. */
export interface RoomEvent {
  eventId: string;
  roomId: string;
  pdu: Pdu;
}

/** The (type, state_key) pair that identifies a piece of room state. */
export type StateKeyTuple = readonly [type: string, stateKey: string];

/** A map key for a state tuple; `\u0000` cannot occur in either part after JSON parsing of valid events. */
export function stateKey(type: string, key: string): string {
  return `${type}\u0000${key}`;
}

/** Splits what `stateKey` joined. */
export function parseStateKey(joined: string): StateKeyTuple {
  const at = joined.indexOf('\u0000');
  return [joined.slice(0, at), joined.slice(at + 1)];
}

/** The IDs an event's `prev_events`/`auth_events` point at, in either format. */
export function referencedIds(refs: readonly EventReference[]): string[] {
  return refs.map((r) => (typeof r === 'string' ? r : r[0]));
}

/** Room state: stateKey(type, state_key) -> event ID. */
export type StateMap = Map<string, string>;
