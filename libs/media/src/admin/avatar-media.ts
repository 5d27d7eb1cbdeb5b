import { Inject, Injectable } from '@nestjs/common';
import { PRISMA, type PrismaClient } from '@lattice/storage';

/**
 * The tenant's media in use as an avatar, which deletion by date keeps
 * (Synapse's keep_profiles): users' profile avatars, and the current
 * m.room.avatar and per-room member avatars of every room.
 */
@Injectable()
export class AvatarMedia {
  constructor(@Inject(PRISMA) private readonly db: PrismaClient) {}

  /** The mxc:// URIs of the tenant's media that are an avatar now. */
  async inUse(tenant: string): Promise<Set<string>> {
    const prefix = `mxc://${tenant}/`;
    const [profiles, state] = await Promise.all([
      this.db.user.findMany({
        where: { serverName: tenant, avatarUrl: { startsWith: prefix } },
        select: { avatarUrl: true },
      }),
      this.db.$queryRawUnsafe<Array<{ json: string }>>(
        `SELECT j.json FROM current_state c
           JOIN event_types t ON t.type_nid = c.type_nid
           JOIN event_json j ON j.event_nid = c.event_nid
          WHERE t.type IN ('m.room.avatar', 'm.room.member') AND strpos(j.json, $1) > 0`,
        prefix,
      ),
    ]);
    const uris = new Set(profiles.map((p) => p.avatarUrl!));
    for (const { json } of state) {
      const content = (JSON.parse(json) as { content?: { url?: unknown; avatar_url?: unknown } }).content;
      for (const uri of [content?.url, content?.avatar_url])
        if (typeof uri === 'string' && uri.startsWith(prefix)) uris.add(uri);
    }
    return uris;
  }
}
