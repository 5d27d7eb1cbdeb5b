import type { Pdu } from '@lattice/protocol';
import { roomEventMatches, type RoomEventFilter } from '@lattice/streams';
import { hiddenByIgnore } from './ignored-users';

/**
 * Whether a timeline event the viewer may see is shown to them: not sent by
 * a user they ignore, and matched by their timeline filter (/sync's
 * `room.timeline`, /messages' `filter`).
 */
export function shownInTimeline(
  pdu: Pdu,
  roomId: string,
  ignored: ReadonlySet<string>,
  filter: RoomEventFilter | undefined,
): boolean {
  return (
    !hiddenByIgnore(ignored, pdu) &&
    roomEventMatches(filter, { type: pdu.type, sender: pdu.sender, room_id: roomId, content: pdu.content })
  );
}
