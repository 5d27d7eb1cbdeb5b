-- Soft-failed events are never search results: leaving them out of the index (the persist transaction sets
-- is_soft_failed when it inserts the event, before its event_json row, and nothing changes it later) spares every
-- search a join to events to filter them.
CREATE OR REPLACE FUNCTION event_search_index() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  ev RECORD;
  doc jsonb;
  search_key text;
  search_text text;
BEGIN
  SELECT room_nid, stream_pos, is_rejected, is_soft_failed, redacted_by INTO ev FROM events WHERE event_nid = NEW.event_nid;
  -- Outliers are not in any timeline; rejected, soft-failed and already redacted events are shown to no one.
  IF ev.stream_pos IS NULL OR ev.is_rejected OR ev.is_soft_failed OR ev.redacted_by IS NOT NULL THEN RETURN NULL; END IF;
  -- jsonb refuses the escape \u0000, which canonical JSON allows in strings: drop it for the index only. Whatever
  -- else the cast refuses, the event is stored unindexed rather than failing the transaction that stores it.
  BEGIN
    doc := replace(NEW.json, '\u0000', '')::jsonb;
  EXCEPTION WHEN OTHERS THEN
    RETURN NULL;
  END;
  CASE doc->>'type'
    WHEN 'm.room.message' THEN search_key := 'content.body'; search_text := doc->'content'->>'body';
    WHEN 'm.room.name' THEN search_key := 'content.name'; search_text := doc->'content'->>'name';
    WHEN 'm.room.topic' THEN search_key := 'content.topic'; search_text := doc->'content'->>'topic';
    ELSE RETURN NULL;
  END CASE;
  IF search_text IS NULL OR search_text = '' THEN RETURN NULL; END IF;
  INSERT INTO event_search (event_nid, room_nid, stream_pos, key, vector)
    VALUES (NEW.event_nid, ev.room_nid, ev.stream_pos, search_key, to_tsvector('english', search_text))
    ON CONFLICT DO NOTHING;
  RETURN NULL;
END $$;

DELETE FROM event_search s USING events e WHERE e.event_nid = s.event_nid AND e.is_soft_failed;
