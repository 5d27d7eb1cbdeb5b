-- The room-server's fence check (fenceScript in libs/room-server/src/storage/room-store.ts), kept in the database so
-- that it is compiled once per session: sent as a DO block with every write, PL/pgSQL compiled it at every write
-- (about 0.6 ms of the embedded database's time per write, 0.05 on Postgres). It refuses, by raising, a writer whose
-- lease epoch is older than the room's last writer's (LA001), records a newer one, and refuses a head whose
-- extremities are not the stored ones (LA002); the message is the room's nid.
CREATE FUNCTION lattice_fence_room(room integer, epoch bigint, extremities bigint[]) RETURNS void
LANGUAGE plpgsql AS $fence$
DECLARE
  stored bigint;
BEGIN
  SELECT writer_epoch INTO stored FROM rooms WHERE room_nid = room;
  IF stored > epoch THEN
    RAISE EXCEPTION USING ERRCODE = 'LA001', MESSAGE = room::text;
  END IF;
  IF stored < epoch THEN
    UPDATE rooms SET writer_epoch = epoch WHERE room_nid = room;
  END IF;
  IF ARRAY(SELECT event_nid FROM forward_extremities WHERE room_nid = room ORDER BY event_nid) <> extremities THEN
    RAISE EXCEPTION USING ERRCODE = 'LA002', MESSAGE = room::text;
  END IF;
END
$fence$;
