import { Errors } from '@lattice/http';
import type { JsonObject } from '@lattice/protocol';

/** One backed-up session key (client-server-api KeyBackupData). */
export interface BackupKey {
  first_message_index: number;
  forwarded_count: number;
  is_verified: boolean;
  session_data: JsonObject;
}

/** room ID -> session ID -> key, as PUT /room_keys/keys brings them. */
export type BackupKeys = Record<string, Record<string, BackupKey>>;

/**
 * Whether an uploaded key replaces the stored copy of its session
 * (client-server-api "Server-side key backups"): the verified one wins;
 * between equals the lower first_message_index (it decrypts more), then the
 * lower forwarded_count. A key no better than the stored one leaves it.
 */
export function replacesBackupKey(candidate: BackupKey, stored: BackupKey): boolean {
  if (candidate.is_verified !== stored.is_verified) return candidate.is_verified;
  if (candidate.first_message_index !== stored.first_message_index)
    return candidate.first_message_index < stored.first_message_index;
  return candidate.forwarded_count < stored.forwarded_count;
}

/** A KeyBackupData from a request body, or M_BAD_JSON naming what is wrong. */
export function parseBackupKey(value: unknown, where: string): BackupKey {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw Errors.badJson(`${where} must be an object`);
  const key = value as Record<string, unknown>;
  for (const field of ['first_message_index', 'forwarded_count'] as const) {
    if (!Number.isSafeInteger(key[field]) || (key[field] as number) < 0)
      throw Errors.badJson(`${where}.${field} must be a non-negative integer`);
  }
  if (typeof key.is_verified !== 'boolean') throw Errors.badJson(`${where}.is_verified must be a boolean`);
  if (typeof key.session_data !== 'object' || key.session_data === null || Array.isArray(key.session_data))
    throw Errors.badJson(`${where}.session_data must be an object`);
  return {
    first_message_index: key.first_message_index as number,
    forwarded_count: key.forwarded_count as number,
    is_verified: key.is_verified,
    session_data: key.session_data as JsonObject,
  };
}

/** The keys of a `{"sessions": {...}}` body of one room. */
export function parseRoomSessions(value: unknown, where: string): Record<string, BackupKey> {
  const sessions = (value as { sessions?: unknown } | null)?.sessions;
  if (typeof sessions !== 'object' || sessions === null || Array.isArray(sessions))
    throw Errors.badJson(`${where}.sessions must be an object`);
  return Object.fromEntries(
    Object.entries(sessions).map(([sessionId, key]) => [
      sessionId,
      parseBackupKey(key, `${where}.sessions.${sessionId}`),
    ]),
  );
}

/** The keys of a `{"rooms": {...}}` body. */
export function parseBackupRooms(value: unknown): BackupKeys {
  const rooms = (value as { rooms?: unknown } | null)?.rooms;
  if (typeof rooms !== 'object' || rooms === null || Array.isArray(rooms))
    throw Errors.badJson('rooms must be an object');
  return Object.fromEntries(
    Object.entries(rooms).map(([roomId, room]) => [roomId, parseRoomSessions(room, `rooms.${roomId}`)]),
  );
}
