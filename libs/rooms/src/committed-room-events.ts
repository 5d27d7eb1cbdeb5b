import { Inject, Injectable } from '@nestjs/common';
import type { OutputRoomEvent } from '@lattice/contracts';
import type { Pdu } from '@lattice/protocol';
import { PRISMA, type PrismaClient } from '@lattice/storage';

/**
 * The room events committed to the timeline, read back from the store as the
 * output stream carried them: what a single process's app-service router and
 * push service take up at start when it died after committing events and
 * before handling them (its bus does not redeliver).
 */
@Injectable()
export class CommittedRoomEvents {
  constructor(@Inject(PRISMA) private readonly db: PrismaClient) {}

  /** The highest committed position of the room-events stream. */
  async lastPosition(): Promise<bigint> {
    return (await this.db.streamPosition.findUnique({ where: { stream: 'events' } }))?.position ?? 0n;
  }

  /** Up to `limit` accepted timeline events after `position`, in stream order. */
  async after(position: bigint, limit: number): Promise<OutputRoomEvent[]> {
    const rows = await this.db.$queryRaw<
      Array<{ event_id: string; stream_pos: bigint; room_id: string; room_version: string; json: string }>
    >`
      SELECT e.event_id, e.stream_pos, r.room_id, r.room_version, j.json
      FROM events e JOIN event_json j ON j.event_nid = e.event_nid JOIN rooms r ON r.room_nid = e.room_nid
      WHERE e.stream_pos > ${position} AND NOT e.is_rejected AND NOT e.is_soft_failed
      ORDER BY e.stream_pos LIMIT ${limit}`;
    return rows.map((row) => {
      const pdu = JSON.parse(row.json) as Pdu;
      return {
        roomId: row.room_id,
        roomVersion: row.room_version,
        eventId: row.event_id,
        streamPos: BigInt(row.stream_pos).toString(),
        pdu,
        ...(pdu.type === 'm.room.member' && typeof pdu.state_key === 'string' ? { membershipOf: pdu.state_key } : {}),
      };
    });
  }
}
