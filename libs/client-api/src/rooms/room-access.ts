import { Errors } from '@lattice/http';
import type { RoomReader } from '@lattice/room-server';

/** Reads of a room's state and members need the requester to be in it (client-server-api GET /state: 403 otherwise). */
export async function requireJoined(reader: RoomReader, roomId: string, userId: string): Promise<void> {
  if (!(await reader.roomVersion(roomId))) throw Errors.notFound(`Room ${roomId} not found`);
  if ((await reader.membership(roomId, userId)) !== 'join') throw Errors.forbidden(`You are not joined to ${roomId}`);
}
