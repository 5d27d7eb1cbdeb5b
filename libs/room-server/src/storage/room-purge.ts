import type { PrismaClient } from '@lattice/storage';

/**
 * Deletes a room's events, state and per-room data (admin purge), in one
 * transaction under the room's row lock, so no persist of the same room
 * interleaves. Per-user rows that name the room (receipts, account data,
 * aliases, directory entry, invites and knocks, forgotten marks) go too. Key
 * backups stay: they are the user's encrypted copies, not the room's.
 * False when the room is unknown.
 */
export async function purgeRoom(db: PrismaClient, roomId: string): Promise<boolean> {
  return db.$transaction(async (tx) => {
    const [room] = await tx.$queryRawUnsafe<Array<{ room_nid: number }>>(
      `SELECT room_nid FROM rooms WHERE room_id = $1 FOR UPDATE`,
      roomId,
    );
    if (!room) return false;
    const nid = room.room_nid;
    const byEvent = (table: string) =>
      `DELETE FROM ${table} WHERE event_nid IN (SELECT event_nid FROM events WHERE room_nid = $1)`;
    for (const statement of [byEvent('event_json'), byEvent('event_edges'), byEvent('event_auth_edges')])
      await tx.$executeRawUnsafe(statement, nid);
    for (const table of [
      'event_relations',
      'forward_extremities',
      'backward_extremities',
      'current_state',
      'state_snapshots',
      'partial_state_rooms',
      'events',
    ]) {
      await tx.$executeRawUnsafe(`DELETE FROM ${table} WHERE room_nid = $1`, nid);
    }
    for (const table of [
      'receipts',
      'account_data',
      'room_aliases',
      'published_rooms',
      'forgotten_rooms',
      'remote_invites',
      'remote_knocks',
    ]) {
      await tx.$executeRawUnsafe(`DELETE FROM ${table} WHERE room_id = $1`, roomId);
    }
    await tx.$executeRawUnsafe(`DELETE FROM rooms WHERE room_nid = $1`, nid);
    return true;
  });
}
