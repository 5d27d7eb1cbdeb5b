import type { Database } from '../../libs/storage/src';

/**
 * History written straight into the event store, as the room-server would
 * have written it but without building, signing and persisting a million
 * events one by one: each generated event copies a real event of its room
 * (its state snapshot, type and sender) and takes fresh event IDs, stream
 * positions and depths past everything there. event_json rows go in after
 * their events, so the database's search triggers index them as they index
 * events from any other path.
 */
export async function generateMessages(
  db: Database,
  template: TemplateEvent,
  count: number,
  words: string[],
  tag: string,
): Promise<void> {
  const first = await copyTemplate(db, template, count, tag);
  // The skew gives a long-tailed vocabulary: the first words are in a sizeable share of messages, most are rare.
  await db.prisma.$executeRawUnsafe(
    `INSERT INTO event_json (event_nid, json)
     SELECT e.event_nid, jsonb_set(jsonb_set(t.json::jsonb, '{content,body}', to_jsonb(
         (SELECT string_agg(($3::text[])[1 + floor(power(random(), 2.5) * array_length($3::text[], 1))::int], ' ') FROM generate_series(1, 6 + (e.stream_pos % 7)::int)))),
       '{origin_server_ts}', to_jsonb(e.origin_server_ts))::text
     FROM events e, event_json t WHERE t.event_nid = (SELECT event_nid FROM events WHERE event_id = $4) AND e.stream_pos >= $1 AND e.stream_pos < $2`,
    first,
    first + BigInt(count),
    words,
    template.eventId,
  );
}

/** Replies to `root` in its thread (m.thread relations), with their event_relations rows as the persist transaction writes them. */
export async function generateThreadReplies(
  db: Database,
  template: TemplateEvent,
  root: string,
  count: number,
  tag: string,
): Promise<void> {
  const first = await copyTemplate(db, template, count, tag);
  await db.prisma.$executeRawUnsafe(
    `INSERT INTO event_json (event_nid, json)
     SELECT e.event_nid, jsonb_set(t.json::jsonb, '{content}', jsonb_build_object('msgtype', 'm.text', 'body', 'reply ' || e.stream_pos, 'm.relates_to', jsonb_build_object('rel_type', 'm.thread', 'event_id', $3::text)))::text
     FROM events e, event_json t WHERE t.event_nid = (SELECT event_nid FROM events WHERE event_id = $4) AND e.stream_pos >= $1 AND e.stream_pos < $2`,
    first,
    first + BigInt(count),
    root,
    template.eventId,
  );
  await db.prisma.$executeRawUnsafe(
    `INSERT INTO event_relations (event_nid, room_nid, parent_event_id, rel_type, type_nid, sender, stream_pos)
     SELECT e.event_nid, e.room_nid, $3, 'm.thread', e.type_nid, e.sender, e.stream_pos FROM events e WHERE e.stream_pos >= $1 AND e.stream_pos < $2`,
    first,
    first + BigInt(count),
    root,
  );
}

export interface TemplateEvent {
  eventId: string;
}

/**
 * `count` events shaped like the template, at fresh positions; returns the
 * first position. They never went through the room-server's output, so the
 * push service is told they are evaluated (push_room_progress): otherwise a
 * server started on this data later would evaluate all of them at start.
 */
async function copyTemplate(db: Database, template: TemplateEvent, count: number, tag: string): Promise<bigint> {
  const first = await reservePositions(db, count);
  await db.prisma.$executeRawUnsafe(
    `INSERT INTO push_room_progress (room_id, stream_pos)
     SELECT r.room_id, $1::bigint FROM events e JOIN rooms r ON r.room_nid = e.room_nid WHERE e.event_id = $2
     ON CONFLICT (room_id) DO UPDATE SET stream_pos = GREATEST(push_room_progress.stream_pos, EXCLUDED.stream_pos)`,
    first + BigInt(count) - 1n,
    template.eventId,
  );
  await db.prisma.$executeRawUnsafe(
    `INSERT INTO events (event_id, room_nid, type_nid, sender, depth, origin_server_ts, stream_pos, state_snapshot_nid)
     SELECT '$' || $1 || g, e.room_nid, e.type_nid, e.sender, e.depth + g, e.origin_server_ts + g, $2::bigint + g, e.state_snapshot_nid
     FROM events e, generate_series(0, $3 - 1) AS g WHERE e.event_id = $4`,
    tag,
    first,
    count,
    template.eventId,
  );
  return first;
}

/** Takes `count` positions of the events stream, as the persist transaction does, so the server's own later events come after them. */
async function reservePositions(db: Database, count: number): Promise<bigint> {
  const [row] = await db.prisma.$queryRawUnsafe<Array<{ position: bigint }>>(
    `UPDATE stream_positions SET position = position + $1 WHERE stream = 'events' RETURNING position`,
    count,
  );
  return BigInt(row.position) - BigInt(count) + 1n;
}
