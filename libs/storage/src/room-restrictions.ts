import type { PrismaClient } from './generated/prisma/client';

/** Whether an admin blocked the room (admin API PUT /_synapse/admin/v1/rooms/{roomId}/block): nobody here may join it. */
export async function isRoomBlocked(db: PrismaClient, roomId: string): Promise<boolean> {
  return (await db.blockedRoom.count({ where: { roomId } })) > 0;
}

/** Whether the room is the user's server notices room (admin API send_server_notice made it for them). */
export async function isServerNoticeRoom(db: PrismaClient, userId: string, roomId: string): Promise<boolean> {
  return (await db.serverNoticeRoom.count({ where: { userId, roomId } })) > 0;
}
