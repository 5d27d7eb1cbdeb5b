import type { JsonObject } from '@lattice/protocol';

/*
 * The body of GET /sync (client-server-api "Syncing"), as this server
 * answers it: the spec's field names, the sections it fills. Events are
 * client-format events (or stripped state) already shaped for the client.
 */

export interface EventList<E = JsonObject> {
  events: E[];
}

/** An account data event: global (account_data) or a room's (rooms.join.*.account_data). */
export interface AccountDataEvent {
  type: string;
  content: JsonObject;
}

export interface Timeline extends EventList {
  limited: boolean;
  prev_batch: string;
}

export interface JoinedRoom {
  timeline: Timeline;
  state: EventList;
  ephemeral: EventList;
  account_data: EventList<AccountDataEvent>;
  /** Added to every joined room of the response at once, from one read (SyncService.addUnreadCounts). */
  unread_notifications?: { notification_count: number; highlight_count: number };
  unread_thread_notifications?: Record<string, { notification_count: number; highlight_count: number }>;
  summary: JsonObject;
}

export interface InvitedRoom {
  invite_state: EventList;
}

export interface KnockedRoom {
  knock_state: EventList;
}

/** A room left (or banned from): its timeline and state end at the leave. */
export interface LeftRoom {
  timeline: Timeline;
  state: EventList;
  account_data: EventList<AccountDataEvent>;
}

export interface SyncRooms {
  join: Record<string, JoinedRoom>;
  invite: Record<string, InvitedRoom>;
  leave: Record<string, LeftRoom>;
  knock: Record<string, KnockedRoom>;
}

export interface SyncResponse {
  next_batch: string;
  rooms: SyncRooms;
  account_data: EventList<AccountDataEvent>;
  presence: EventList;
  to_device: EventList;
  /** Given for incremental syncs; empty lists on an initial one. */
  device_lists: { changed: string[]; left: string[] };
  device_one_time_keys_count: Record<string, number>;
  device_unused_fallback_key_types: string[];
}
