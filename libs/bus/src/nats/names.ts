import type { StreamSubject } from '@lattice/contracts';

/**
 * Every JetStream stream, consumer, subject and KV bucket the bus uses:
 * the names operators see in `nats stream ls` and in traces.
 */
export const ROOM_INPUT_STREAM = 'LATTICE_ROOM_INPUT';
export const OUTPUT_STREAM = 'LATTICE_OUTPUT';
/** Room input of partition p: one subject (and one durable consumer) per partition. */
export const roomInputSubject = (partition: number): string => `lattice.room.input.${partition}`;
export const roomInputConsumer = (partition: number): string => `room-input-p${partition}`;
/** 'output.room' -> 'lattice.output.room'. */
export const outputSubject = (subject: StreamSubject): string => `lattice.${subject}`;
/** Which room-server replica holds which partition: one key per partition, expiring unless renewed. */
export const LEASE_BUCKET = 'lattice_partition_leases';
/** Live room-server replicas, by heartbeat: how many share the partitions. */
export const MEMBER_BUCKET = 'lattice_room_servers';
export const leaseKey = (partition: number): string => `p${partition}`;
/** Header naming the core NATS subject a request's reply goes to. */
export const REPLY_TO_HEADER = 'Lattice-Reply-To';
