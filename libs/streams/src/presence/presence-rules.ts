import type { PresenceState } from '@lattice/contracts';
import type { JsonObject } from '@lattice/protocol';

export const PRESENCE_STATES = ['online', 'unavailable', 'offline'] as const satisfies readonly PresenceState[];

export function isPresenceState(value: unknown): value is PresenceState {
  return (PRESENCE_STATES as readonly unknown[]).includes(value);
}

/** A user's presence as stored. Timestamps are milliseconds since the epoch. */
export interface PresenceRecord {
  state: PresenceState;
  statusMsg?: string;
  lastActiveTs: number;
  currentlyActive: boolean;
  /** Our users only: when a client last synced or set presence. */
  lastSeenTs?: number;
  /** When the presence last took a stream position (was last announced); set by the store. */
  updatedTs?: number;
}

/**
 * How stale last_active and last_seen may grow before a sync writes them
 * again: a syncing client costs at most one write a minute, not one per
 * request.
 */
export const REFRESH_AFTER_MS = 60_000;

/**
 * When one of our users who is not offline counts as gone: no sync and no
 * presence change for this long. A syncing client refreshes last_seen at the
 * first request after REFRESH_AFTER_MS and long-polls last up to a minute, so
 * a live client's last_seen is at most about two minutes old.
 */
export const OFFLINE_AFTER_MS = 3 * 60_000;

/**
 * Other servers take a user offline when they hear nothing of them for a
 * while (Synapse: 30 minutes), so a syncing user who stays in one state is
 * announced again after this long.
 */
export const REANNOUNCE_AFTER_MS = 20 * 60_000;

/**
 * Another server's user counts as gone when their server said nothing of
 * them for this long: a live server announces its users more often than
 * that, so only a server that went away leaves its users "online" here.
 */
export const REMOTE_OFFLINE_AFTER_MS = 30 * 60_000;

/** What a /sync with `set_presence` does to the syncing user's presence. */
export type SyncPresenceUpdate =
  | { kind: 'none' }
  /** Same state: only the timestamps move, with no new stream position (nothing for others to see). */
  | { kind: 'refresh'; lastActiveTs: number; lastSeenTs: number }
  /** A new state: a new stream position, seen by everyone sharing a room. */
  | { kind: 'change'; record: PresenceRecord };

/**
 * client-server-api /sync `set_presence`: omitted or "online" marks the user
 * online, "unavailable" marks them idle, "offline" leaves their presence
 * alone ("not marked as being online"). Being online is activity, so it
 * moves last_active; being idle is not.
 */
export function syncPresenceUpdate(
  current: PresenceRecord | undefined,
  requested: PresenceState,
  now: number,
): SyncPresenceUpdate {
  if (requested === 'offline') return { kind: 'none' };
  const online = requested === 'online';
  const lastActiveTs = online || !current ? now : current.lastActiveTs;
  if (!current || current.state !== requested || now - (current.updatedTs ?? 0) > REANNOUNCE_AFTER_MS) {
    return {
      kind: 'change',
      record: {
        state: requested,
        statusMsg: current?.statusMsg,
        lastActiveTs,
        currentlyActive: online,
        lastSeenTs: now,
      },
    };
  }
  const activeStale = online && now - current.lastActiveTs > REFRESH_AFTER_MS;
  const seenStale = now - (current.lastSeenTs ?? 0) > REFRESH_AFTER_MS;
  if (!activeStale && !seenStale) return { kind: 'none' };
  return { kind: 'refresh', lastActiveTs, lastSeenTs: now };
}

/** PUT /presence/{userId}/status: the state the user chose; setting it is activity (the spec: "the activity time is updated"). */
export function chosenPresence(state: PresenceState, statusMsg: string | undefined, now: number): PresenceRecord {
  return { state, statusMsg, lastActiveTs: now, currentlyActive: state === 'online', lastSeenTs: now };
}

/**
 * The content of an m.presence event as a client or a server sees it now:
 * last_active_ago is computed at the moment of the answer (client-server-api
 * "Last active ago": "must be up to date whenever the server gives a
 * presence event to the client"), never stored.
 */
export function presenceContent(record: PresenceRecord, now: number): JsonObject {
  return {
    presence: record.state,
    last_active_ago: Math.max(0, now - record.lastActiveTs),
    ...(record.statusMsg !== undefined ? { status_msg: record.statusMsg } : {}),
    // client-server-api: currently_active is only meaningful while online.
    ...(record.state === 'online' ? { currently_active: record.currentlyActive } : {}),
  };
}
