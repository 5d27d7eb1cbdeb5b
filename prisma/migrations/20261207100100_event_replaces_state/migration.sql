-- The state event a state event replaced (unsigned.prev_content); set for events stored from now on.
ALTER TABLE "events" ADD COLUMN "replaces_state" TEXT;
