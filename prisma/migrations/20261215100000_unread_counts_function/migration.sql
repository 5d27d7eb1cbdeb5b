-- The unread counts of (user, room) pairs (UnreadCounts.ofRooms in libs/storage/src/unread-counts.ts, which says why
-- the counts are exact), kept in the database so that its plan is made once per session: the generic one, but for
-- the largest calls (below).
-- As a prepared statement Postgres planned it again at most calls: it makes a custom plan for each call whose generic
-- plan it estimates dearer, and it estimates an array parameter at 10 elements, so calls of one or two pairs (most
-- /sync answers) got custom plans. Planning this statement costs more than running it: on PGlite, on the fan-out
-- bench's data, a call of one pair took 3.2-4.7 ms prepared and 0.7 ms here, of five pairs 3.8-5.8 against 1.0, of
-- twenty 4.7-8.0 against 2.0, of fifty 4.4-6.3 against 4.3; on Postgres 15, 2.2 against 0.7 ms for one pair. The
-- parameters reach only the asked pairs and the receipts' filter; the rest of the plan depends on the pairs' own
-- columns, the same in a custom plan. A call of more than 100 pairs (an initial sync) is planned for its own pairs:
-- the generic plan, made for 10, probes each pair's rows by index where a plan for thousands hashes them (10,000
-- pairs on Postgres 15: 0.66-1.10 s generic, 0.33-0.44 s prepared, 0.38-0.56 s this way). A SET clause makes the
-- function's setting its own: the caller's plan_cache_mode is back when it returns, even after set_config.
--
-- For each asked (user, room) and what is kept of it (the position it was read up to, -1 for nothing, its floors and
-- whether the user was joined): the floors now and, per thread, the unread rows after the kept position when the
-- floors and membership are the same (`added`), else every unread row. The receipts are read once for all pairs; the
-- room floor is the join or the unthreaded receipt, whichever is further, and each thread's receipt is compared with
-- its own rows. Each branch names one index: the added rows' `stream_pos + 0` keeps the planner from ranging over
-- (user, room, stream_pos) there, which would read every unread row again; shared rows are read by (room,
-- notif_pos) and (room, stream_pos) alike. A shared row is left out when the user has a row of their own for its
-- event, which has the same positions, so it is among the own rows read (`own`, however few notify): compared with
-- those, not probed for by the primary key once per shared row. Each pair's join is read by unique keys only (the
-- room, then current_state's (room, m.room.member, user) key), its receipts by hash joins, and only threaded
-- receipts (few) are looked through per pair: read by (user_id, membership), each pair walked all of its user's
-- memberships, so an initial sync of a user in 1,000 rooms made a million probes (1.7 of its 2.2 s).
-- STABLE: one statement, in the caller's snapshot. The statement names the parameters by number; the columns it
-- returns are named as the tables' are, which it means wherever a name could be either.
CREATE FUNCTION lattice_unread_counts(
  asked_users text[], asked_rooms text[], kept_up_to bigint[], kept_floors bigint[], kept_thread_floors text[],
  kept_joined boolean[]
) RETURNS TABLE (
  user_id text, room_id text, floor bigint, joined boolean, thread_floors text, added boolean, thread_id text,
  notifications integer, highlights integer, up_to bigint
)
LANGUAGE plpgsql STABLE SET plan_cache_mode = force_generic_plan AS $counts$
#variable_conflict use_column
BEGIN
  IF cardinality($1) > 100 THEN
    PERFORM set_config('plan_cache_mode', 'force_custom_plan', true);
  END IF;
  RETURN QUERY
  WITH asked AS (
      SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::text[], $6::boolean[])
        AS a(user_id, room_id, since, floor, thread_floors, joined)),
    reads AS MATERIALIZED (
      SELECT rc.user_id, rc.room_id, rc.thread_id, max(e.stream_pos) AS pos
        FROM receipts rc JOIN events e ON e.event_id = rc.event_id
       WHERE rc.user_id = ANY($1::text[]) AND rc.room_id = ANY($2::text[]) AND rc.receipt_type IN ('m.read', 'm.read.private')
       GROUP BY rc.user_id, rc.room_id, rc.thread_id),
    threaded AS MATERIALIZED (SELECT * FROM reads WHERE thread_id <> ''),
    thread_reads AS (
      SELECT rd.user_id, rd.room_id, string_agg(rd.thread_id || ' ' || rd.pos, ' ' ORDER BY rd.thread_id) AS thread_floors
        FROM threaded rd GROUP BY rd.user_id, rd.room_id),
    floors AS MATERIALIZED (
      SELECT a.user_id, a.room_id, a.since, f.floor, f.joined, COALESCE(t.thread_floors, '') AS thread_floors,
             a.since >= 0 AND a.floor = f.floor AND a.joined = f.joined
               AND a.thread_floors = COALESCE(t.thread_floors, '') AS added
        FROM asked a
        LEFT JOIN reads m ON m.user_id = a.user_id AND m.room_id = a.room_id AND m.thread_id = ''
        LEFT JOIN thread_reads t ON t.user_id = a.user_id AND t.room_id = a.room_id
        LEFT JOIN LATERAL (SELECT cs.stream_pos AS pos FROM rooms r JOIN current_state cs ON cs.room_nid = r.room_nid
                     AND cs.type_nid = (SELECT type_nid FROM event_types WHERE type = 'm.room.member')
                     AND cs.state_key_nid = (SELECT state_key_nid FROM event_state_keys WHERE state_key = a.user_id)
                     WHERE r.room_id = a.room_id AND cs.membership = 'join') j ON true
        CROSS JOIN LATERAL (SELECT GREATEST(COALESCE(j.pos, 0), COALESCE(m.pos, 0)) AS floor, j.pos IS NOT NULL AS joined) f)
    SELECT fl.user_id, fl.room_id, fl.floor, fl.joined, fl.thread_floors, fl.added, c.thread_id, c.notifications,
           c.highlights, (SELECT sp.position FROM stream_positions sp WHERE sp.stream = 'notifications') AS up_to
      FROM floors fl
      LEFT JOIN LATERAL (
        WITH own AS (
          SELECT n.event_id, n.thread_id, n.notify, n.highlight, n.stream_pos FROM event_push_actions n
           WHERE fl.added AND n.user_id = fl.user_id AND n.room_id = fl.room_id AND n.notif_pos > fl.since
             AND n.stream_pos + 0 > fl.floor
          UNION ALL
          SELECT n.event_id, n.thread_id, n.notify, n.highlight, n.stream_pos FROM event_push_actions n
           WHERE NOT fl.added AND n.user_id = fl.user_id AND n.room_id = fl.room_id AND n.stream_pos > fl.floor)
        SELECT n.thread_id, count(*) FILTER (WHERE n.notify)::int AS notifications,
               count(*) FILTER (WHERE n.highlight)::int AS highlights
          FROM (SELECT n.thread_id, n.notify, n.highlight, n.stream_pos FROM own n WHERE n.notify OR n.highlight
                UNION ALL
                SELECT n.thread_id, n.notify, n.highlight, n.stream_pos FROM shared_push_actions n
                 WHERE fl.added AND fl.joined AND n.room_id = fl.room_id AND n.notif_pos > fl.since
                   AND n.stream_pos + 0 > fl.floor AND n.sender <> fl.user_id
                   AND n.event_id <> ALL (ARRAY(SELECT event_id FROM own))
                UNION ALL
                SELECT n.thread_id, n.notify, n.highlight, n.stream_pos FROM shared_push_actions n
                 WHERE NOT fl.added AND fl.joined AND n.room_id = fl.room_id AND n.stream_pos > fl.floor
                   AND n.sender <> fl.user_id AND n.event_id <> ALL (ARRAY(SELECT event_id FROM own))) n
          LEFT JOIN threaded t ON t.user_id = fl.user_id AND t.room_id = fl.room_id AND t.thread_id = n.thread_id
         WHERE n.stream_pos > COALESCE(t.pos, 0)
         GROUP BY n.thread_id) c ON true;
END
$counts$;
