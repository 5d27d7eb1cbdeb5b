import { Injectable } from '@nestjs/common';
import type { OutputTyping } from '@lattice/contracts';

/**
 * Who is typing in each room, from output.typing: an m.typing event names
 * everyone typing in the room (client-server-api "Typing Notifications"),
 * while each output message is one user's change. A user whose timeout ran
 * out without a renewal counts as stopped.
 */
@Injectable()
export class TypingRooms {
  private readonly rooms = new Map<string, Map<string, number>>();

  /** Applies a change; answers who types in the room now. */
  update(change: OutputTyping, now = Date.now()): string[] {
    const room = this.rooms.get(change.roomId) ?? new Map<string, number>();
    if (change.typing) room.set(change.userId, now + change.timeoutMs);
    else room.delete(change.userId);
    for (const [userId, until] of room) if (until <= now) room.delete(userId);
    if (room.size === 0) this.rooms.delete(change.roomId);
    else this.rooms.set(change.roomId, room);
    return [...room.keys()];
  }
}
