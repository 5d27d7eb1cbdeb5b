import type { Pdu } from '@lattice/protocol';

/**
 * A persisted event, published after its transaction commits. Consumers
 * (sync, later federation sender, push) use it to wake up and to update
 * projections; the event store stays the source of truth, so a missed
 * message delays a consumer but never loses an event.
 */
export interface OutputRoomEvent {
  roomId: string;
  /** The room's version (its ID), when this server has the room: how the event is redacted. */
  roomVersion?: string;
  eventId: string;
  streamPos: string;
  pdu: Pdu;
  /** Sent by a client of ours with a transaction ID: that device's /sync gives it back (unsigned.transaction_id). */
  txn?: { deviceId: string; txnId: string };
  /** For m.room.member: whose membership changed. */
  membershipOf?: string;
  /** The room was joined with partial state and is not complete yet (its resync is to run). */
  partialState?: true;
  /** Users whose membership state resolution changed when this event came in (a fork merged): their syncs must look again. */
  resolvedMembershipsOf?: string[];
  /**
   * State resolution changed the room's state beyond this write's own events when this event (the write's
   * last) came in: a fork merged. Without it, only a state event of its own changes the room's current state
   * at its position, so a sync worker that heard every event of a range knows which rooms' state changed.
   */
  stateResolved?: true;
  /** A timeline gap lies before this event (model TimelineGap): its prev events were missing and not fetched. */
  gapBefore?: true;
  /**
   * The room's current state snapshot once the write this event came in committed (rooms.state_snapshot_nid).
   * Every change of the room's current state moves it, so what was read of the current state at this snapshot
   * still holds for the event (the push service's room context).
   */
  stateSnapshot?: string;
}

/** A per-user stream changed (account data, receipts, to-device inboxes, device lists): wake that user's or room's sync waiters. */
export interface OutputStreamChange {
  stream: 'accountData' | 'receipts' | 'toDevice' | 'deviceLists' | 'notifications';
  position: string;
  /** For to-device: the first position of the messages stored (they hold firstPosition..position), so the app-service sender reads just them. */
  firstPosition?: string;
  userIds?: string[];
  roomId?: string;
  /**
   * For device lists: whose devices changed. Sync wakes everyone sharing a
   * room with them; for a local user the federation sender passes the
   * change on as m.device_list_update EDUs.
   */
  deviceListOf?: string;
  /**
   * For receipts: the receipt written, local or received over federation. The federation sender passes
   * a local user's on to the room's other servers; the app-service sender gives each to the services of its room.
   */
  receipt?: { userId: string; receiptType: string; eventId: string; threadId?: string; ts: number };
}

/**
 * The push service has evaluated these rooms' events up to these positions (committed with their
 * notification rows): a sync response waiting for the unread counts of the events it carries can go.
 */
export interface OutputPushProgress {
  rooms: Array<{ roomId: string; streamPos: string }>;
}

/**
 * A device's count of unclaimed one-time keys or its unused fallback keys changed (an upload, a claim):
 * the app-service sender tells services with MSC3202 about their users' devices; sync workers read the
 * device's counts again (KeptKeyCounts).
 */
export interface OutputOneTimeKeysChanged {
  userId: string;
  deviceId: string;
}

/** A user started or stopped typing; every sync worker keeps typing state from these. */
export interface OutputTyping {
  roomId: string;
  userId: string;
  typing: boolean;
  timeoutMs: number;
}

/**
 * A user's access tokens were revoked (logout, device deletion, a login
 * reusing a device ID, deactivation), or the account was locked, suspended
 * or freed by an admin: every process drops what it cached of that user's tokens.
 */
export interface OutputSessionsEnded {
  userId: string;
}

/**
 * A tenant was created, changed or disabled through the admin API: every
 * process re-reads the tenants table (a poll repairs a lost message).
 */
export interface OutputTenantsChanged {
  serverName: string;
  /** The tenants table's version after the change. */
  version: string;
}

/**
 * A partial-state room got its full state: its member list is complete.
 * Sync wakes the room's members (the room is sent to them again, whole);
 * the federation sender drops its server list of the room.
 */
export interface OutputRoomStateCompleted {
  roomId: string;
  /** The events-stream position the completion took. */
  streamPos: string;
}

/**
 * Items were queued in the federation outbox (by a process other than the
 * sender, e.g. send-to-device in the client-api): the sender sends to these
 * destinations now rather than at its next sweep.
 */
export interface OutputOutboxQueued {
  destinations: string[];
}

/** The presence states of client-server-api "Presence". */
export type PresenceState = 'online' | 'unavailable' | 'offline';

/**
 * A user's presence changed (ours or another server's) and took a new
 * position of the presence stream: sync workers wake the long-polls of
 * users sharing a room with them; for our users, the federation sender
 * tells the other servers in those rooms.
 */
export interface OutputPresence {
  userId: string;
  position: string;
  state: PresenceState;
  statusMsg?: string;
  lastActiveTs: number;
  currentlyActive: boolean;
}
