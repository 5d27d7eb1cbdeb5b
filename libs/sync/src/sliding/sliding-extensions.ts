import { Inject, Injectable } from '@nestjs/common';
import type { JsonObject } from '@lattice/protocol';
import { PRISMA, type PrismaClient } from '@lattice/storage';
import { type AccountDataEntry, type SyncPosition } from '@lattice/streams';
import { KeptKeyCounts } from '../streams/kept-key-counts';
import { SyncService } from '../sync-service';
import { UNSTABLE_THREADS, type ExtensionScope, type SlidingSyncBody } from './sliding-request';
import { ThreadUpdates } from './thread-updates';

/** Which rooms the answer covers, for the `lists`/`rooms` scoping of extensions. */
export interface ExtensionRooms {
  /** Each list's rooms (in its ranges). */
  lists: Map<string, string[]>;
  /** Subscribed rooms the user may see. */
  subscriptions: string[];
  /** Rooms the connection gets for the first time in this answer: their extension data comes whole, not as changes. */
  initial: Set<string>;
  /** The events this answer's room timelines carry, once they are read (the extensions are read meanwhile). */
  timelineEvents: () => Promise<ReadonlySet<string>>;
}

export interface BuiltExtensions {
  extensions: JsonObject;
  /** Whether anything in them is news (the one-time key counts always come, and are not). */
  news: boolean;
  toDeviceNext?: bigint;
}

/**
 * MSC4186 extensions, each asked for with `enabled`: to_device (MSC3885),
 * e2ee (MSC3884), account_data (MSC3959), receipts (MSC3960) and typing
 * (MSC3961), the last three scoped to `lists` and `rooms`; threads (MSC4360,
 * under its unstable name too), from the connection's second answer on.
 */
@Injectable()
export class SlidingExtensions {
  constructor(
    private readonly sync: SyncService,
    @Inject(PRISMA) private readonly db: PrismaClient,
    private readonly threads: ThreadUpdates,
    private readonly keyCounts: KeptKeyCounts,
  ) {}

  async build(
    viewer: { userId: string; deviceId: string; ignored: ReadonlySet<string> },
    config: SlidingSyncBody['extensions'],
    rooms: ExtensionRooms,
    since: SyncPosition | undefined,
    current: SyncPosition,
    toDeviceSince: bigint | undefined,
    accountData: AccountDataEntry[],
  ): Promise<BuiltExtensions> {
    const extensions: JsonObject = {};
    let news = false;
    let toDeviceNext: bigint | undefined;
    // The extensions read side by side: each is a round trip or two the answer would otherwise wait for in turn.
    const parts: Array<Promise<void>> = [];
    const toDevice = config?.to_device;
    if (toDevice?.enabled)
      parts.push(
        (async () => {
          const from =
            toDevice.since !== undefined && /^\d{1,19}$/.test(toDevice.since) ? BigInt(toDevice.since) : toDeviceSince;
          const page = await this.sync.toDevice.collect(viewer.userId, viewer.deviceId, from, current.toDevice);
          extensions.to_device = { next_batch: page.next.toString(), events: page.events };
          toDeviceNext = page.next;
          news ||= page.events.length > 0;
        })(),
      );
    if (config?.e2ee?.enabled)
      parts.push(
        (async () => {
          const [keys] = await this.keyCounts.countsOf([viewer]);
          const e2ee: JsonObject = {
            device_one_time_keys_count: keys.oneTimeKeyCounts,
            device_unused_fallback_key_types: keys.unusedFallbackKeyTypes,
          };
          // As in /sync, device list changes only come on an incremental answer.
          if (since) {
            const moves = await this.sync.membershipChanges(
              viewer.userId,
              since.events,
              current.events,
              this.sync.recent.between(since.events, current.events),
            );
            const lists = await this.sync.deviceLists.changes(
              viewer.userId,
              {
                events: { after: since.events, upTo: current.events },
                deviceLists: { after: since.deviceLists, upTo: current.deviceLists },
              },
              moves,
            );
            e2ee.device_lists = lists;
            news ||= lists.changed.length > 0 || lists.left.length > 0;
          }
          extensions.e2ee = e2ee;
        })(),
      );
    const accountDataScope = config?.account_data;
    if (accountDataScope?.enabled)
      parts.push(
        (async () => {
          const scope = scopedRooms(accountDataScope, rooms);
          const initialRooms = [...scope].filter((r) => rooms.initial.has(r));
          const whole = initialRooms.length
            ? await this.db.accountData.findMany({ where: { userId: viewer.userId, roomId: { in: initialRooms } } })
            : [];
          const byRoom: Record<string, JsonObject[]> = {};
          for (const a of accountData)
            if (a.roomId !== '' && scope.has(a.roomId) && !rooms.initial.has(a.roomId))
              (byRoom[a.roomId] ??= []).push({ type: a.type, content: a.content });
          for (const a of whole)
            (byRoom[a.roomId] ??= []).push({ type: a.type, content: JSON.parse(a.content) as JsonObject });
          const global = accountData.filter((a) => a.roomId === '').map((a) => ({ type: a.type, content: a.content }));
          extensions.account_data = { global, rooms: byRoom };
          news ||= global.length > 0 || Object.keys(byRoom).length > 0;
        })(),
      );
    const receiptsScope = config?.receipts;
    if (receiptsScope?.enabled)
      parts.push(
        (async () => {
          const scope = [...scopedRooms(receiptsScope, rooms)];
          const fresh = scope.filter((r) => rooms.initial.has(r) || !since);
          const known = scope.filter((r) => !fresh.includes(r));
          const contents = [
            ...(await this.sync.receipts.ephemeralOfRooms(fresh, viewer.userId, 0n, current.receipts)),
            ...(await this.sync.receipts.ephemeralOfRooms(
              known,
              viewer.userId,
              since?.receipts ?? 0n,
              current.receipts,
            )),
          ];
          const receipts = Object.fromEntries(
            contents.map(([roomId, content]) => [roomId, { type: 'm.receipt', content: content as JsonObject }]),
          );
          extensions.receipts = { rooms: receipts };
          news ||= Object.keys(receipts).length > 0;
        })(),
      );
    if (config?.typing?.enabled) {
      const typing: Record<string, JsonObject> = {};
      for (const roomId of scopedRooms(config.typing, rooms)) {
        const fresh = rooms.initial.has(roomId) || !since;
        const users = this.sync.typing.typingSince(roomId, fresh ? 0n : since.typing);
        if (users !== undefined && (!fresh || users.length > 0))
          typing[roomId] = { type: 'm.typing', content: { user_ids: users } };
      }
      extensions.typing = { rooms: typing };
      news ||= Object.keys(typing).length > 0;
    }
    for (const name of ['threads', UNSTABLE_THREADS] as const) {
      const threads = config?.[name];
      if (!threads?.enabled || !since) continue;
      parts.push(
        (async () => {
          const updates = await this.threads.build(
            viewer,
            threads,
            since.events,
            current.events,
            await rooms.timelineEvents(),
          );
          if (!updates) return;
          extensions[name] = updates;
          news = true;
        })(),
      );
    }
    await Promise.all(parts);
    return { extensions, news, toDeviceNext };
  }
}

/** MSC4186 extension scoping: the rooms of the named lists and of the named subscriptions, "*" for all (the default). */
function scopedRooms(scope: ExtensionScope, rooms: ExtensionRooms): Set<string> {
  const lists = scope.lists ?? ['*'];
  const subscribed = scope.rooms ?? ['*'];
  const result = new Set<string>();
  for (const [name, ids] of rooms.lists)
    if (lists.includes('*') || lists.includes(name)) for (const id of ids) result.add(id);
  for (const id of rooms.subscriptions) if (subscribed.includes('*') || subscribed.includes(id)) result.add(id);
  return result;
}
