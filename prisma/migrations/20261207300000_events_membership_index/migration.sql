-- A user's membership events in a room, for the history visibility check of every read path: without it
-- that check scanned every event of the database. Partial (state events only), so messages do not pay for it;
-- Prisma's schema cannot express a partial index, so it lives here only (see the Event model's comment).
CREATE INDEX "events_membership_idx" ON "events" ("state_key_nid", "room_nid", "type_nid") WHERE "state_key_nid" IS NOT NULL;
