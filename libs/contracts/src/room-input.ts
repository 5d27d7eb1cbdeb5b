import type { JsonObject, Pdu } from '@lattice/protocol';
import type { Refusal } from './refusal';

/** A PDU as it crosses the bus: the event format of its room version (libs/protocol). */
export type { Pdu };

/**
 * Requests to the room-server, the single writer of each room. Every
 * variant names its room (or, for createRoom, the creator) so the bus can
 * route it to the partition that owns it. `inputId` makes redelivery safe:
 * the room-server answers a repeated input with the first reply.
 */
interface RoomInputBase {
  inputId: string;
  /** The tenant (server name) the requester belongs to; it signs the event. */
  serverName: string;
  sender: string;
}

export interface CreateRoomInput extends RoomInputBase {
  kind: 'createRoom';
  request: JsonObject;
}

export interface SendInput extends RoomInputBase {
  kind: 'send';
  roomId: string;
  type: string;
  stateKey?: string;
  content: JsonObject;
  /** Client transaction ID, idempotent per device (client-server-api "Transaction identifiers"). */
  txn?: { deviceId: string; txnId: string };
  /** origin_server_ts an application service asked for (`ts`, application-service-api "Timestamp massaging"); else now. */
  originServerTs?: number;
}

export type MembershipAction = 'join' | 'invite' | 'leave' | 'kick' | 'ban' | 'unban' | 'knock';

export interface MembershipInput extends RoomInputBase {
  kind: 'membership';
  roomId: string;
  action: MembershipAction;
  /** The user acted on; the sender for join, leave and knock. */
  target: string;
  reason?: string;
  /** Extra member content (displayname, avatar_url, is_direct). */
  content?: JsonObject;
}

export interface RedactInput extends RoomInputBase {
  kind: 'redact';
  roomId: string;
  redacts: string;
  reason?: string;
  txn?: { deviceId: string; txnId: string };
}

/**
 * An event another server made (a join through send_join, a PDU of a
 * federation transaction), already checked for format, hashes and
 * signatures by the federation-api; the room-server authorises and persists it.
 */
export interface FederatedEventInput extends RoomInputBase {
  kind: 'federatedEvent';
  roomId: string;
  eventId: string;
  pdu: Pdu;
  /** Events fetched from other servers that this one needs and may not have (auth events, state at a gap), checked like the PDU; kept as outliers. */
  outliers?: Array<{ eventId: string; pdu: Pdu }>;
  /**
   * For prev events this server could not fetch: the state after each (the
   * origin's /state_ids at it, plus the prev event itself), as event IDs of
   * stored events or of `outliers`.
   */
  prevStates?: Record<string, string[]>;
  /**
   * A PDU of a federation transaction: its rejection is an outcome, not a
   * failure (the event is stored as rejected), so it is answered as done
   * with `rejected`. Without it a rejection is refused (a send_join, an invite).
   */
  rejectionIsDone?: true;
}

/** A federated event taken in; `rejected` says why it was stored as rejected (only with rejectionIsDone). */
export interface FederatedEventDone extends RoomEventDone {
  rejected?: string;
}

/**
 * History fetched from another server (/backfill) for a client paginating
 * back past the earliest event this server has: checked for format,
 * signatures and hashes by the caller; the room-server authorises each
 * event against its auth events and stores the good ones before everything
 * it has, without touching the current state or the extremities.
 */
export interface BackfillInput extends RoomInputBase {
  kind: 'backfill';
  roomId: string;
  events: Array<{ eventId: string; pdu: Pdu }>;
}

/**
 * Our user joined a room of another server: make_join and send_join are
 * done and the answer checked; the room-server takes in the room's state
 * and auth chain and persists the join event.
 */
export interface RemoteJoinInput extends RoomInputBase {
  kind: 'remoteJoin';
  roomId: string;
  roomVersion: string;
  eventId: string;
  pdu: Pdu;
  state: Array<{ eventId: string; pdu: Pdu }>;
  authChain: Array<{ eventId: string; pdu: Pdu }>;
  /**
   * A partial-state join (the resident omitted members): the room is marked
   * partial and these are remembered to fetch its full state from.
   */
  partial?: { joinedThrough: string; serversInRoom: string[] };
  /**
   * A rejoin of a room this server has: the events it missed since it left,
   * up to the join's prev events, oldest first (checked like any PDU). They
   * go in before the join, so the timeline has no gap.
   */
  missed?: Array<{ eventId: string; pdu: Pdu }>;
}

/**
 * Events of a partial-state room fetched to complete its state (members the
 * resident omitted, their auth events), already checked for format,
 * signatures and auth: stored as outliers. Sent in slices, so each fits a
 * bus message; `completeState` follows.
 */
export interface StoreOutliersInput extends RoomInputBase {
  kind: 'storeOutliers';
  roomId: string;
  events: Array<{ eventId: string; pdu: Pdu }>;
}

/**
 * The full state before our join to a partial-state room is known and every
 * event of it is stored: fill in what the room lacks and clear the flag.
 */
export interface CompleteStateInput extends RoomInputBase {
  kind: 'completeState';
  roomId: string;
  joinEventId: string;
  /** The state before the join (/state_ids at the join event). */
  stateIds: string[];
}

/**
 * An admin deleted the room and asked for its history to go (admin API DELETE
 * /_synapse/admin/v2/rooms/{roomId} with purge): the room's single writer
 * removes its events, state and per-room data, and forgets what it cached.
 */
export interface PurgeRoomInput extends RoomInputBase {
  kind: 'purgeRoom';
  roomId: string;
}

export type RoomInput =
  | CreateRoomInput
  | SendInput
  | MembershipInput
  | RedactInput
  | FederatedEventInput
  | RemoteJoinInput
  | BackfillInput
  | StoreOutliersInput
  | CompleteStateInput
  | PurgeRoomInput;

/** A Matrix error carried back over the bus: the room-server's refusal. */
export type BusError = Refusal;

/** Input done, no event made (a room created, events stored as outliers or history, state completed). */
export interface RoomInputDone {
  ok: true;
  roomId: string;
}

/** Input done, and the event it made (or, for a repeat, the event it made the first time). */
export interface RoomEventDone extends RoomInputDone {
  eventId: string;
}

/** A leave of a room one was never in has no event to answer with; every other membership has one. */
export interface MembershipDone extends RoomInputDone {
  eventId?: string;
}

export interface RoomInputRefused {
  ok: false;
  error: Refusal;
}

/** What each kind of room input answers when it succeeds: an event ID exactly for the kinds that make an event. */
export interface RoomInputDoneByKind {
  createRoom: RoomInputDone;
  send: RoomEventDone;
  membership: MembershipDone;
  redact: RoomEventDone;
  federatedEvent: FederatedEventDone;
  remoteJoin: RoomEventDone;
  backfill: RoomInputDone;
  storeOutliers: RoomInputDone;
  completeState: RoomInputDone;
  purgeRoom: RoomInputDone;
}

export type RoomInputKind = RoomInput['kind'];

/** The reply to one kind of room input. */
export type RoomInputReplyOf<K extends RoomInputKind> = RoomInputDoneByKind[K] | RoomInputRefused;

export type RoomInputReply = RoomInputReplyOf<RoomInputKind>;
