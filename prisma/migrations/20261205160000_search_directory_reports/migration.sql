-- Full-text search (client-server-api "Server Side Search"): one row per
-- searchable event (a message's body, a room's name or topic), written by
-- triggers so every way an event is stored (sent here, received over
-- federation, backfilled) is indexed the same, in Postgres and in PGlite.
CREATE TABLE "event_search" (
    "event_nid" BIGINT NOT NULL,
    "room_nid" INTEGER NOT NULL,
    "stream_pos" BIGINT NOT NULL,
    "key" TEXT NOT NULL,
    "vector" tsvector NOT NULL,

    CONSTRAINT "event_search_pkey" PRIMARY KEY ("event_nid")
);
CREATE INDEX "event_search_vector_idx" ON "event_search" USING GIN ("vector");
CREATE INDEX "event_search_room_nid_stream_pos_idx" ON "event_search" ("room_nid", "stream_pos");

CREATE FUNCTION event_search_index() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  ev RECORD;
  doc jsonb;
  search_key text;
  search_text text;
BEGIN
  SELECT room_nid, stream_pos, is_rejected, redacted_by INTO ev FROM events WHERE event_nid = NEW.event_nid;
  -- Outliers are not in any timeline; rejected and already redacted events are shown to no one.
  IF ev.stream_pos IS NULL OR ev.is_rejected OR ev.redacted_by IS NOT NULL THEN RETURN NULL; END IF;
  doc := NEW.json::jsonb;
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

-- The WHEN clause keeps the trigger's cost off every event that cannot be searchable (the function checks the
-- type exactly); it allows whitespace around the colon, as JSON from other servers may have.
CREATE TRIGGER event_search_on_insert AFTER INSERT ON "event_json" FOR EACH ROW
  WHEN (NEW.json ~ '"type"\s*:\s*"m\.room\.(message|name|topic)"')
  EXECUTE FUNCTION event_search_index();

CREATE FUNCTION event_search_forget() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM event_search WHERE event_nid = NEW.event_nid;
  RETURN NULL;
END $$;

-- A redacted event's content is gone (client-server-api "Redactions"): it must not be found by its old words.
CREATE TRIGGER event_search_on_redaction AFTER UPDATE OF "redacted_by" ON "events" FOR EACH ROW
  WHEN (NEW.redacted_by IS NOT NULL)
  EXECUTE FUNCTION event_search_forget();

-- Reports of rooms, events and users to the tenant's administrators (client-server-api "Reporting content").
CREATE TABLE "reports" (
    "id" BIGSERIAL NOT NULL,
    "server_name" TEXT NOT NULL,
    "reporter" TEXT NOT NULL,
    "room_id" TEXT,
    "event_id" TEXT,
    "user_id" TEXT,
    "reason" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "reports_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "reports_server_name_id_idx" ON "reports" ("server_name", "id");

-- Extended profile fields (client-server-api "Profiles", v1.16): m.tz and custom keys, beside displayname and avatar_url.
ALTER TABLE "users" ADD COLUMN "profile_fields" JSONB NOT NULL DEFAULT '{}';
