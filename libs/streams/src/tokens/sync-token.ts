import { Errors } from '@lattice/http';

/**
 * A /sync `since` token: one position per stream the sync response covers.
 * Opaque to clients; stable across restarts because every position is
 * allocated in Postgres (stream_positions), never in a process's memory.
 */
export interface SyncPosition {
  /** Room events (the room-server output stream's persisted position). */
  events: bigint;
  accountData: bigint;
  receipts: bigint;
  typing: bigint;
  /** Send-to-device messages: the device has been sent every message of its inbox up to here. */
  toDevice: bigint;
  deviceLists: bigint;
  presence: bigint;
  /** Notification rows the push service wrote (unread counts changed). */
  notifications: bigint;
}

/** In token order: a stream added later goes at the end, so tokens issued before it still parse. */
const STREAMS = [
  'events',
  'accountData',
  'receipts',
  'typing',
  'toDevice',
  'deviceLists',
  'presence',
  'notifications',
] as const;
/** The streams of the first token format; every token has at least these. */
const FIRST_FORMAT_STREAMS = 4;

export const ZERO_POSITION: SyncPosition = {
  events: 0n,
  accountData: 0n,
  receipts: 0n,
  typing: 0n,
  toDevice: 0n,
  deviceLists: 0n,
  presence: 0n,
  notifications: 0n,
};

export function formatSyncToken(position: SyncPosition): string {
  return `s${STREAMS.map((s) => position[s].toString()).join('_')}`;
}

/**
 * Parses a `since` token; M_INVALID_PARAM names the token if it is not one
 * of ours. A token issued before a stream existed lacks that stream's
 * position and reads it as 0, from the beginning: its device gets its whole
 * to-device inbox again (at-least-once), its client re-queries device lists,
 * and it gets the current presence of everyone it shares a room with.
 */
export function parseSyncToken(token: string): SyncPosition {
  const parts = /^s(\d+(?:_\d+)*)$/.exec(token)?.[1].split('_');
  if (!parts || parts.length < FIRST_FORMAT_STREAMS || parts.length > STREAMS.length)
    throw Errors.invalidParam(`Invalid sync token: ${token}`);
  return Object.fromEntries(STREAMS.map((s, i) => [s, BigInt(parts[i] ?? 0)])) as unknown as SyncPosition;
}

/**
 * A token from the future (e.g. issued before a restore from backup) is
 * clamped to the current positions, so a client never waits for positions
 * that will not come and never moves backwards past what it has seen.
 */
export function clampPosition(since: SyncPosition, current: SyncPosition): SyncPosition {
  return Object.fromEntries(
    STREAMS.map((s) => [s, since[s] > current[s] ? current[s] : since[s]]),
  ) as unknown as SyncPosition;
}

/** True when any stream has moved past `since`. */
export function hasAdvanced(since: SyncPosition, current: SyncPosition): boolean {
  return STREAMS.some((s) => current[s] > since[s]);
}
