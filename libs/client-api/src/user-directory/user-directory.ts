import { Inject, Injectable } from '@nestjs/common';
import { PRISMA, type PrismaClient } from '@lattice/storage';

export interface DirectoryEntry {
  user_id: string;
  display_name?: string;
  avatar_url?: string;
}

/** `%`, `_` and the escape character itself match literally in the patterns built from a search term. */
const likeEscaped = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * The user directory (client-server-api "User Directory"), read live from
 * the rooms' current state, so it is current as soon as a membership or a
 * profile (a new member event in every joined room) changes. A searcher of
 * tenant T sees the users joined to a room the searcher is joined to, or to
 * a room with a public join rule or world_readable history in which a user
 * of T is joined (rooms only other tenants are in are theirs to show).
 * Every word of the term must occur, case-insensitively, in the user ID or
 * the display name; users whose name or localpart starts with the term come
 * first, then those who share a room with the searcher, then local users.
 * Deactivated local users are left out.
 */
@Injectable()
export class UserDirectory {
  constructor(@Inject(PRISMA) private readonly db: PrismaClient) {}

  async search(
    searcher: string,
    serverName: string,
    term: string,
    limit: number,
  ): Promise<{ results: DirectoryEntry[]; limited: boolean }> {
    const words = term
      .trim()
      .toLowerCase()
      .split(/\s+/)
      .filter((w) => w !== '');
    if (words.length === 0) return { results: [], limited: false };
    const rows = await this.db.$queryRawUnsafe<
      Array<{ user_id: string; display_name: string | null; avatar_url: string | null }>
    >(
      `WITH member_type AS (SELECT type_nid FROM event_types WHERE type = 'm.room.member'),
       shared AS (
         SELECT cs.room_nid FROM current_state cs WHERE cs.user_id = $1 AND cs.membership = 'join' AND cs.type_nid = (SELECT type_nid FROM member_type)
       ),
       open_rooms AS (
         SELECT cs.room_nid FROM current_state cs JOIN event_types t ON t.type_nid = cs.type_nid JOIN event_json j ON j.event_nid = cs.event_nid
         WHERE ((t.type = 'm.room.join_rules' AND j.json::jsonb->'content'->>'join_rule' = 'public')
             OR (t.type = 'm.room.history_visibility' AND j.json::jsonb->'content'->>'history_visibility' = 'world_readable'))
           AND EXISTS (SELECT 1 FROM current_state m WHERE m.room_nid = cs.room_nid AND m.membership = 'join' AND right(m.user_id, $3) = $2)
       ),
       members AS (
         SELECT DISTINCT ON (cs.user_id) cs.user_id, j.json::jsonb->'content' AS content, cs.room_nid IN (SELECT room_nid FROM shared) AS is_shared
         FROM current_state cs JOIN event_json j ON j.event_nid = cs.event_nid
         WHERE cs.membership = 'join' AND cs.type_nid = (SELECT type_nid FROM member_type)
           AND cs.room_nid IN (SELECT room_nid FROM shared UNION SELECT room_nid FROM open_rooms)
         ORDER BY cs.user_id, (cs.room_nid IN (SELECT room_nid FROM shared)) DESC, cs.stream_pos DESC
       ),
       profiles AS (
         SELECT m.user_id, coalesce(u.display_name, m.content->>'displayname') AS display_name, coalesce(u.avatar_url, m.content->>'avatar_url') AS avatar_url, m.is_shared, u.user_id IS NOT NULL AS is_local
         FROM members m LEFT JOIN users u ON u.user_id = m.user_id
         WHERE u.deactivated IS NOT TRUE
       )
       SELECT user_id, display_name, avatar_url FROM profiles p
       WHERE (SELECT bool_and(lower(p.user_id) LIKE '%' || w || '%' OR lower(coalesce(p.display_name, '')) LIKE '%' || w || '%') FROM unnest($4::text[]) AS w)
       ORDER BY (lower(coalesce(display_name, '')) LIKE $5 || '%' OR lower(user_id) LIKE '@' || $5 || '%') DESC, is_shared DESC, is_local DESC, lower(coalesce(display_name, user_id)), user_id
       LIMIT $6`,
      searcher,
      `:${serverName}`,
      serverName.length + 1,
      words.map(likeEscaped),
      likeEscaped(words.join(' ')),
      limit + 1,
    );
    const results = rows.slice(0, limit).map((r) => ({
      user_id: r.user_id,
      ...(r.display_name !== null ? { display_name: r.display_name } : {}),
      ...(r.avatar_url !== null ? { avatar_url: r.avatar_url } : {}),
    }));
    return { results, limited: rows.length > limit };
  }
}
