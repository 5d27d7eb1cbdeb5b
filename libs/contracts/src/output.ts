import type { Pdu } from '@lattice/protocol';

/**
 * A persisted event, published after its transaction commits. Consumers
 * (sync, later federation sender, push) use it to wake up and to update
 * projections; the event store stays the source of truth, so a missed
 * message delays a consumer but never loses an event.
 */
export interface OutputRoomEvent {
  roomId: string;
  eventId: string;
  streamPos: string;
  pdu: Pdu;
  /** For m.room.member: whose membership changed. */
  membershipOf?: string;
}

/** A per-user stream changed (account data, receipts, typing): wake that user's or room's sync waiters. */
export interface OutputStreamChange {
  stream: 'accountData' | 'receipts' | 'typing';
  position: string;
  userIds?: string[];
  roomId?: string;
}
