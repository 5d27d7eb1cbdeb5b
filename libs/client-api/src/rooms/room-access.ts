import { Errors } from '@lattice/http';
import { requireRoomView, type ReadableRoomView, type ClientRoomReads } from '@lattice/rooms';
import type { StorageAccess } from '../storage-access';

/** Reads of a room's state and members need the requester to be in it (client-server-api GET /state: 403 otherwise). */
export async function requireJoined(reader: ClientRoomReads, roomId: string, userId: string): Promise<void> {
  if (!(await reader.roomVersion(roomId))) throw Errors.notFound(`Room ${roomId} not found`);
  if ((await reader.membership(roomId, userId)) !== 'join') throw Errors.forbidden(`You are not joined to ${roomId}`);
}

export function requireView(storage: StorageAccess, roomId: string, userId: string): Promise<ReadableRoomView> {
  return requireRoomView(storage.reader, storage.visibility, roomId, userId);
}

/** How long a member list waits for a partial-state room to be completed. */
const FULL_STATE_WAIT_MS = 60_000;
const FULL_STATE_POLL_MS = 50;

/**
 * A member list of a room joined with partial state would miss most
 * members: like Synapse, /members and /joined_members wait until the full
 * state is in (usually seconds). Past FULL_STATE_WAIT_MS they answer with
 * the members known so far rather than keep the client hanging.
 */
export async function awaitFullState(reader: ClientRoomReads, roomId: string): Promise<void> {
  const deadline = Date.now() + FULL_STATE_WAIT_MS;
  while ((await reader.isPartialState(roomId)) && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, FULL_STATE_POLL_MS));
}
