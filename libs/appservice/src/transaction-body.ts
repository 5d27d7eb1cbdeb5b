import type { Prisma } from '@lattice/storage';
import type { QueueItemKind } from './appservice-queue';

/**
 * The body of PUT /_matrix/app/v1/transactions/{txnId}: `events` always;
 * ephemeral data under its stable name (v1.13) and MSC2409's (libraries such
 * as matrix-appservice read only that); device-list changes and one-time-key
 * counts (the latest of each device) under MSC3202's.
 */
export function transactionBody(
  items: ReadonlyArray<{ kind: QueueItemKind; payload: Prisma.JsonValue }>,
): Record<string, unknown> {
  const of = (kind: QueueItemKind) => items.filter((i) => i.kind === kind).map((i) => i.payload);
  const body: Record<string, unknown> = { events: of('event') };
  const ephemeral = of('ephemeral');
  if (ephemeral.length > 0) {
    body.ephemeral = ephemeral;
    body['de.sorunome.msc2409.ephemeral'] = ephemeral;
  }
  const toDevice = of('to_device');
  if (toDevice.length > 0) body['de.sorunome.msc2409.to_device'] = toDevice;
  const deviceLists = settledDeviceLists(of('device_lists') as DeviceListItem[]);
  if (deviceLists.changed.length + deviceLists.left.length > 0) body['org.matrix.msc3202.device_lists'] = deviceLists;
  const counts: Record<string, Record<string, unknown>> = {};
  for (const payload of of('otk_counts') as Array<{ user_id: string; device_id: string; counts: unknown }>)
    (counts[payload.user_id] ??= {})[payload.device_id] = payload.counts;
  if (Object.keys(counts).length > 0) body['org.matrix.msc3202.device_one_time_keys_count'] = counts;
  return body;
}

/** A device-list item: a user whose devices changed, or who no longer shares a room with the service. */
type DeviceListItem = { changed: string } | { left: string };

/** Each user named once, in the list of its latest item: one who left and came back is `changed`, not `left`. */
function settledDeviceLists(items: readonly DeviceListItem[]): { changed: string[]; left: string[] } {
  const latest = new Map<string, 'changed' | 'left'>();
  for (const entry of items) {
    const [user, list] = 'changed' in entry ? [entry.changed, 'changed' as const] : [entry.left, 'left' as const];
    latest.delete(user);
    latest.set(user, list);
  }
  const named = (list: 'changed' | 'left') => [...latest].filter(([, l]) => l === list).map(([user]) => user);
  return { changed: named('changed'), left: named('left') };
}
