import type { RoomInput, RoomInputReply } from './room-input';
import type {
  OutputOutboxQueued,
  OutputPresence,
  OutputPushProgress,
  OutputRoomEvent,
  OutputRoomStateCompleted,
  OutputSessionsEnded,
  OutputStreamChange,
  OutputTenantsChanged,
  OutputOneTimeKeysChanged,
  OutputTyping,
} from './output';

/**
 * Every bus subject, typed: the one place that says which message travels
 * where. Room input is request/reply and partitioned by room; outputs are
 * streams every interested service consumes.
 */
export interface BusContract {
  'room.input': { request: RoomInput; reply: RoomInputReply };
  'output.room': { event: OutputRoomEvent };
  'output.roomStateCompleted': { event: OutputRoomStateCompleted };
  'output.streams': { event: OutputStreamChange };
  'output.typing': { event: OutputTyping };
  'output.sessions': { event: OutputSessionsEnded };
  'output.outbox': { event: OutputOutboxQueued };
  'output.presence': { event: OutputPresence };
  'output.pushProgress': { event: OutputPushProgress };
  'output.tenants': { event: OutputTenantsChanged };
  'output.oneTimeKeys': { event: OutputOneTimeKeysChanged };
}

export type RequestSubject = {
  [K in keyof BusContract]: BusContract[K] extends { request: unknown } ? K : never;
}[keyof BusContract];
export type StreamSubject = {
  [K in keyof BusContract]: BusContract[K] extends { event: unknown } ? K : never;
}[keyof BusContract];

/** Partitions of room input: fixed, independent of how many room-server replicas run. */
export const ROOM_PARTITIONS = 64;

/** FNV-1a over the UTF-8 bytes: stable across processes and languages. */
export function partitionOf(key: string, partitions = ROOM_PARTITIONS): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(key, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % partitions;
}

/** The key a room input is partitioned by: its room, or for a new room its creator. */
export function partitionKeyOf(input: RoomInput): string {
  return input.kind === 'createRoom' ? input.sender : input.roomId;
}
