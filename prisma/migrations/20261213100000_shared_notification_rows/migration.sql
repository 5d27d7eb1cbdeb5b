-- An event's shared notification row (user_id '') stands for every joined member with the default outcome but its
-- sender, so the sender is kept with the row. Rows written before have a user of their own: '' is never read there.
-- AlterTable
ALTER TABLE "event_push_actions" ADD COLUMN     "sender" TEXT NOT NULL DEFAULT '';
