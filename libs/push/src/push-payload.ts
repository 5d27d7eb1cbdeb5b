import type { PushAction } from '@lattice/push-rules';

/** The pusher fields a notification names (push-gateway-api "Device"). */
export interface PusherTarget {
  appId: string;
  pushkey: string;
  pushkeyTs: bigint;
  /** The pusher's `data` as set, `url` and `format` among it. */
  data: Record<string, unknown>;
}

/** What is known of the event being pushed. */
export interface PushedEvent {
  eventId: string;
  roomId: string;
  /** Absent for format event_id_only, which sends none of it. */
  event?: { type: string; sender: string; content?: Record<string, unknown>; state_key?: string };
  senderDisplayName?: string;
  roomName?: string;
  userIsTarget?: boolean;
}

/** set_tweak actions as the gateway's `tweaks` (a highlight tweak without value is true). */
export function tweaksOf(actions: PushAction[]): Record<string, unknown> {
  const tweaks: Record<string, unknown> = {};
  for (const action of actions)
    if (typeof action === 'object')
      tweaks[action.set_tweak] = action.value ?? (action.set_tweak === 'highlight' ? true : undefined);
  return tweaks;
}

/**
 * The body of POST /_matrix/push/v1/notify (push-gateway-api). The device's
 * `data` is the pusher's minus `url` (client-server-api "POST
 * /pushers/set"); with format event_id_only only the IDs, counts and
 * devices go, so no content passes through the push provider.
 */
export function notificationBody(
  pusher: PusherTarget,
  pushed: PushedEvent,
  actions: PushAction[],
  unread: number,
): Record<string, unknown> {
  const { url: _url, ...data } = pusher.data;
  const tweaks = tweaksOf(actions);
  const device = {
    app_id: pusher.appId,
    pushkey: pusher.pushkey,
    pushkey_ts: Math.floor(Number(pusher.pushkeyTs) / 1000),
    data,
    tweaks,
  };
  const prio = tweaks.sound !== undefined || tweaks.highlight === true ? 'high' : 'low';
  const base = { event_id: pushed.eventId, room_id: pushed.roomId, counts: { unread }, devices: [device], prio };
  if (pusher.data.format === 'event_id_only' || !pushed.event) return { notification: base };
  return {
    notification: {
      ...base,
      type: pushed.event.type,
      sender: pushed.event.sender,
      ...(pushed.senderDisplayName ? { sender_display_name: pushed.senderDisplayName } : {}),
      ...(pushed.roomName ? { room_name: pushed.roomName } : {}),
      ...(pushed.event.content ? { content: pushed.event.content } : {}),
      ...(pushed.userIsTarget !== undefined ? { user_is_target: pushed.userIsTarget } : {}),
    },
  };
}
