-- AlterTable
ALTER TABLE "pushers" ADD COLUMN "device_id" TEXT;

-- CreateTable
CREATE TABLE "push_room_progress" (
    "room_id" TEXT NOT NULL,
    "stream_pos" BIGINT NOT NULL,

    CONSTRAINT "push_room_progress_pkey" PRIMARY KEY ("room_id")
);

-- CreateIndex
CREATE INDEX "push_room_progress_stream_pos_idx" ON "push_room_progress"("stream_pos");

-- Rooms existing before this migration count as evaluated up to now: /sync does not wait for their past events.
INSERT INTO "push_room_progress" ("room_id", "stream_pos")
SELECT r.room_id, max(e.stream_pos) FROM events e JOIN rooms r ON r.room_nid = e.room_nid WHERE e.stream_pos > 0 GROUP BY r.room_id;
