import { Inject, Injectable } from '@nestjs/common';
import { PRISMA, type PrismaClient } from '@lattice/storage';

/** mxc://server/media-id inside event JSON (client-server-api "Matrix Content (mxc://) URIs"). */
const MXC_URI = /mxc:\/\/([A-Za-z0-9.:[\]-]+)\/([A-Za-z0-9_-]+)/g;

/**
 * The media a room's events name, for Synapse's room media admin API: the
 * mxc:// URIs anywhere in the JSON of the room's events (messages, avatars,
 * thumbnails in `info`, encrypted files' `file.url`).
 */
@Injectable()
export class RoomMedia {
  constructor(@Inject(PRISMA) private readonly db: PrismaClient) {}

  /** Whether a user of the tenant has or had a membership in the room: the rooms its admin may act on. */
  async isTenantRoom(tenant: string, roomId: string): Promise<boolean> {
    const rows = await this.db.$queryRawUnsafe<unknown[]>(
      `SELECT 1 FROM current_state c JOIN rooms r ON r.room_nid = c.room_nid WHERE r.room_id = $1 AND c.user_id LIKE '%:' || $2 LIMIT 1`,
      roomId,
      tenant,
    );
    return rows.length > 0;
  }

  async mediaOf(roomId: string): Promise<Array<{ origin: string; mediaId: string }>> {
    const rows = await this.db.$queryRawUnsafe<Array<{ json: string }>>(
      `SELECT j.json FROM events e JOIN event_json j ON j.event_nid = e.event_nid JOIN rooms r ON r.room_nid = e.room_nid
       WHERE r.room_id = $1 AND j.json LIKE '%mxc://%'`,
      roomId,
    );
    const found = new Map<string, { origin: string; mediaId: string }>();
    for (const { json } of rows)
      for (const [uri, origin, mediaId] of json.matchAll(MXC_URI)) found.set(uri, { origin, mediaId });
    return [...found.values()];
  }
}
