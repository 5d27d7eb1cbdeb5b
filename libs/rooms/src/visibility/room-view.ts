import { Errors } from '@lattice/http';
import type { StoredEvent } from '../room-reader';
import type { RoomViewReads } from '../room-reads';
import type { EventVisibility } from './event-visibility';

/**
 * How much of a room a user may read now (client-server-api "Room History
 * Visibility": "After a user has left a room, they may see any events which
 * they were allowed to see before they left the room, but no events received
 * after they left"):
 * - member: joined now; reads the current state.
 * - former: joined once and since left or was banned, and has not forgotten
 *   the room (POST /forget: "the user will no longer be able to retrieve
 *   history for that room"); reads the state as it was at `leftAt`, the
 *   position of the membership change.
 * - peek: not in the room, which is world_readable; reads the current state.
 * - none: none of these; unknown: no such room here.
 * Events are still filtered one by one with EventVisibility.
 */
export type RoomView =
  { kind: 'member' } | { kind: 'former'; leftAt: bigint } | { kind: 'peek' } | { kind: 'none' } | { kind: 'unknown' };

export async function roomViewOf(
  reader: RoomViewReads,
  visibility: EventVisibility,
  roomId: string,
  userId: string,
): Promise<RoomView> {
  // Read together: every read path starts here, and a request waits for each round trip in turn.
  const [version, entry] = await Promise.all([reader.roomVersion(roomId), reader.membershipEntry(roomId, userId)]);
  if (!version) return { kind: 'unknown' };
  if (entry?.membership === 'join') return { kind: 'member' };
  if (
    (entry?.membership === 'leave' || entry?.membership === 'ban') &&
    (await visibility.hasJoined(roomId, userId)) &&
    !(await reader.hasForgotten(roomId, userId))
  ) {
    return { kind: 'former', leftAt: entry.streamPos };
  }
  return (await visibility.isWorldReadable(roomId)) ? { kind: 'peek' } : { kind: 'none' };
}

/**
 * A view that reads something, else 403: for a room that does not exist as
 * for one the user may not read, so the answer does not tell which
 * (client-server-api GET /messages: 403 "You aren't a member of the room").
 */
export type ReadableRoomView = Exclude<RoomView, { kind: 'none' | 'unknown' }>;

export async function requireRoomView(
  reader: RoomViewReads,
  visibility: EventVisibility,
  roomId: string,
  userId: string,
): Promise<ReadableRoomView> {
  const view = await roomViewOf(reader, visibility, roomId, userId);
  if (view.kind === 'none' || view.kind === 'unknown') throw Errors.forbidden(`You are not allowed to read ${roomId}`);
  return view;
}

/** The position up to which a view reads the room's state and timeline (undefined: now). */
export function viewHorizon(view: RoomView): bigint | undefined {
  return view.kind === 'former' ? view.leftAt : undefined;
}

/** The room's state as the view shows it: now, or as it was when a former member left. */
export function stateInView(
  reader: RoomViewReads,
  roomId: string,
  view: RoomView,
  type?: string,
): Promise<StoredEvent[]> {
  const horizon = viewHorizon(view);
  return horizon === undefined ? reader.currentState(roomId, type) : reader.stateAt(roomId, horizon, type);
}
