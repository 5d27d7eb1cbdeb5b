import { Injectable, Optional } from '@nestjs/common';

/**
 * Who is typing where. Ephemeral by nature (client-server-api "Typing
 * Notifications": the server times typing out), so it lives in memory with
 * its own position; a restart forgets typing, which a client cannot tell
 * from everyone having stopped.
 */
@Injectable()
export class TypingStore {
  private readonly rooms = new Map<string, { users: Map<string, number>; changedAt: bigint }>();
  private position = 0n;

  /** `now`: tests pass their own clock; Nest has none to give, so the process's is used. */
  constructor(@Optional() private readonly now: () => number = Date.now) {}

  /** Sets or clears a user's typing; returns the new position. */
  set(roomId: string, userId: string, typing: boolean, timeoutMs: number): bigint {
    const room = this.rooms.get(roomId) ?? { users: new Map<string, number>(), changedAt: 0n };
    if (typing) room.users.set(userId, this.now() + Math.min(timeoutMs, 120_000));
    else room.users.delete(userId);
    room.changedAt = ++this.position;
    this.rooms.set(roomId, room);
    return this.position;
  }

  get currentPosition(): bigint {
    return this.position;
  }

  /** The users typing in a room now, if it changed after `since`. */
  typingSince(roomId: string, since: bigint): string[] | undefined {
    const room = this.rooms.get(roomId);
    if (!room || room.changedAt <= since) return undefined;
    const now = this.now();
    return [...room.users].filter(([, until]) => until > now).map(([user]) => user);
  }

  /** Expires timed-out typing, moving the position for rooms that changed; returns those rooms. */
  expire(): string[] {
    const now = this.now();
    const changed: string[] = [];
    for (const [roomId, room] of this.rooms) {
      const before = room.users.size;
      for (const [user, until] of room.users) if (until <= now) room.users.delete(user);
      if (room.users.size !== before) {
        room.changedAt = ++this.position;
        changed.push(roomId);
      }
    }
    return changed;
  }
}
