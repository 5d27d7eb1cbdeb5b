import { Inject, Injectable } from '@nestjs/common';
import { BUS, type Bus } from '@lattice/bus';
import type { PresenceState } from '@lattice/contracts';
import {
  POSITION_CACHE,
  PRISMA,
  allocateStreamPositions,
  type PositionCache,
  type Prisma,
  type PrismaClient,
} from '@lattice/storage';
import { OFFLINE_AFTER_MS, REMOTE_OFFLINE_AFTER_MS, type PresenceRecord } from './presence-rules';

/** Users timed out per sweep transaction; the rest wait for the next sweep. */
const SWEEP_BATCH = 500;

interface PresenceRow {
  user_id: string;
  state: string;
  status_msg: string | null;
  last_active_ts: bigint;
  currently_active: boolean;
  last_seen_ts: bigint | null;
  updated_ts: bigint;
}

/**
 * Presence rows (ours and other servers' users). A change takes a position
 * of the presence stream and is announced on output.presence after it
 * commits; a refresh only moves timestamps.
 */
@Injectable()
export class PresenceStore {
  constructor(
    @Inject(PRISMA) private readonly db: PrismaClient,
    @Inject(POSITION_CACHE) private readonly positions: PositionCache,
    @Inject(BUS) private readonly bus: Bus,
  ) {}

  async get(userId: string): Promise<PresenceRecord | undefined> {
    const rows = await this.db.$queryRawUnsafe<PresenceRow[]>(
      `SELECT ${COLUMNS} FROM presence p WHERE p.user_id = $1`,
      userId,
    );
    return rows[0] && toRecord(rows[0]);
  }

  /** Stores a user's new presence under a new stream position, then announces it. */
  async change(userId: string, record: PresenceRecord, now = Date.now()): Promise<void> {
    const position = await this.db.$transaction(async (tx) => {
      // Locks the stream's row before the user's, in the order the sweep takes them too.
      const streamPos = await allocateStreamPositions(tx, 'presence', 1);
      const data = { ...columns(record), updatedTs: BigInt(now), streamPos };
      await tx.presence.upsert({ where: { userId }, create: { userId, ...data }, update: data });
      return streamPos;
    });
    await this.announce(userId, record, position);
  }

  /** Moves a user's timestamps without a new position: nothing others see changed. */
  async refresh(userId: string, times: { lastActiveTs: number; lastSeenTs: number }): Promise<void> {
    await this.db.presence.updateMany({
      where: { userId },
      data: { lastActiveTs: BigInt(times.lastActiveTs), lastSeenTs: BigInt(times.lastSeenTs) },
    });
  }

  /**
   * Marks offline the users who are not offline but gone: ours not seen for
   * OFFLINE_AFTER_MS (they have a last_seen), other servers' not announced
   * for REMOTE_OFFLINE_AFTER_MS (they have none). Every sync worker runs
   * this: the presence stream's row is locked first, so sweeps (and
   * changes) take their turns, and each sweep reads the rows as the one
   * before it left them: a user is timed out once, however many sweep.
   */
  async timeOutGone(now: number): Promise<number> {
    const changed = await this.db.$transaction(async (tx) => {
      await tx.$queryRawUnsafe(`SELECT position FROM stream_positions WHERE stream = 'presence' FOR UPDATE`);
      const rows = await tx.$queryRawUnsafe<PresenceRow[]>(
        `SELECT ${COLUMNS} FROM presence p
         WHERE p.state <> 'offline' AND (p.last_seen_ts < $1 OR (p.last_seen_ts IS NULL AND p.updated_ts < $2))
         ORDER BY p.user_id LIMIT ${SWEEP_BATCH} FOR UPDATE`,
        BigInt(now - OFFLINE_AFTER_MS),
        BigInt(now - REMOTE_OFFLINE_AFTER_MS),
      );
      if (rows.length === 0) return [];
      const first = await allocateStreamPositions(tx, 'presence', rows.length);
      return Promise.all(rows.map((row, i) => this.timeOut(tx, row, first + BigInt(i), now)));
    });
    for (const { userId, record, position } of changed) await this.announce(userId, record, position);
    return changed.length;
  }

  /**
   * The presence section of a sync (client-server-api "Presence": "sent to
   * interested parties where users share a room membership"): presence
   * that changed in the presence range, of the viewer and of everyone
   * sharing a joined room with them; and, for users who came to share a
   * room with the viewer in the events range (either of them joined), their
   * current presence unless offline, which the viewer has not seen yet.
   */
  async forSync(
    viewer: string,
    range: { presenceAfter: bigint; presenceUpTo: bigint; eventsAfter: bigint; eventsUpTo: bigint },
  ): Promise<Array<{ userId: string; record: PresenceRecord }>> {
    const newlyShared =
      'AND GREATEST(mine.stream_pos, theirs.stream_pos) > $4 AND GREATEST(mine.stream_pos, theirs.stream_pos) <= $5';
    const rows = await this.db.$queryRawUnsafe<PresenceRow[]>(
      `SELECT ${COLUMNS} FROM presence p
       WHERE p.stream_pos <= $3 AND (
         (p.stream_pos > $2 AND (p.user_id = $1 OR ${sharesJoinedRoom('$1', 'p.user_id')}))
         OR (p.state <> 'offline' AND ${sharesJoinedRoom('$1', 'p.user_id', newlyShared)}))
       ORDER BY p.stream_pos`,
      viewer,
      range.presenceAfter,
      range.presenceUpTo,
      range.eventsAfter,
      range.eventsUpTo,
    );
    return rows.map((row) => ({ userId: row.user_id, record: toRecord(row) }));
  }

  /** Whether the viewer may see the user's presence: themself, or someone they share a joined room with. */
  async visibleTo(viewer: string, userId: string): Promise<boolean> {
    if (viewer === userId) return true;
    const rows = await this.db.$queryRawUnsafe<Array<{ shared: boolean }>>(
      `SELECT ${sharesJoinedRoom('$1', '$2')} AS shared`,
      viewer,
      userId,
    );
    return rows[0]?.shared === true;
  }

  private async timeOut(tx: Prisma.TransactionClient, row: PresenceRow, position: bigint, now: number) {
    const record: PresenceRecord = { ...toRecord(row), state: 'offline', currentlyActive: false };
    await tx.presence.update({
      where: { userId: row.user_id },
      data: { state: 'offline', currentlyActive: false, updatedTs: BigInt(now), streamPos: position },
    });
    return { userId: row.user_id, record, position };
  }

  private async announce(userId: string, record: PresenceRecord, position: bigint): Promise<void> {
    await this.positions.advance('presence', position);
    await this.bus.publish('output.presence', {
      userId,
      position: position.toString(),
      state: record.state,
      ...(record.statusMsg !== undefined ? { statusMsg: record.statusMsg } : {}),
      lastActiveTs: record.lastActiveTs,
      currentlyActive: record.currentlyActive,
    });
  }
}

/** The presence of a room's joined members who have any (of `onlyUser` alone, when given: one row read, not the room's every member). */
export async function roomMembersPresence(
  db: PrismaClient,
  roomId: string,
  onlyUser?: string,
): Promise<Array<{ userId: string; record: PresenceRecord }>> {
  const rows = await db.$queryRawUnsafe<PresenceRow[]>(
    `SELECT ${COLUMNS} FROM presence p JOIN current_state c ON c.user_id = p.user_id
     WHERE c.room_nid = (SELECT room_nid FROM rooms WHERE room_id = $1) AND c.membership = 'join'
       ${onlyUser === undefined ? '' : 'AND p.user_id = $2'}`,
    ...(onlyUser === undefined ? [roomId] : [roomId, onlyUser]),
  );
  return rows.map((row) => ({ userId: row.user_id, record: toRecord(row) }));
}

const COLUMNS = 'p.user_id, p.state, p.status_msg, p.last_active_ts, p.currently_active, p.last_seen_ts, p.updated_ts';

/** SQL: whether the users `viewer` and `user` (SQL expressions) are both joined to some room (`mine`, `theirs`: their memberships) meeting `condition`. */
const sharesJoinedRoom = (
  viewer: string,
  user: string,
  condition = '',
) => `EXISTS (SELECT 1 FROM current_state mine JOIN current_state theirs ON theirs.room_nid = mine.room_nid
  WHERE mine.user_id = ${viewer} AND mine.membership = 'join' AND theirs.user_id = ${user} AND theirs.membership = 'join' ${condition})`;

function columns(record: PresenceRecord) {
  return {
    state: record.state,
    statusMsg: record.statusMsg ?? null,
    lastActiveTs: BigInt(record.lastActiveTs),
    currentlyActive: record.currentlyActive,
    lastSeenTs: record.lastSeenTs === undefined ? null : BigInt(record.lastSeenTs),
  };
}

function toRecord(row: PresenceRow): PresenceRecord {
  return {
    state: row.state as PresenceState,
    ...(row.status_msg !== null ? { statusMsg: row.status_msg } : {}),
    lastActiveTs: Number(row.last_active_ts),
    currentlyActive: row.currently_active,
    ...(row.last_seen_ts !== null ? { lastSeenTs: Number(row.last_seen_ts) } : {}),
    updatedTs: Number(row.updated_ts),
  };
}
