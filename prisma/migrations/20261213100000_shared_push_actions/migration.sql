-- An event's outcome for every member with the server-default rules whom it does not name: one row per event
-- instead of one per member (SharedPushAction in schema.prisma).
-- CreateTable
CREATE TABLE "shared_push_actions" (
    "event_id" TEXT NOT NULL,
    "room_id" TEXT NOT NULL,
    "sender" TEXT NOT NULL,
    "stream_pos" BIGINT NOT NULL,
    "thread_id" TEXT NOT NULL,
    "notify" BOOLEAN NOT NULL,
    "highlight" BOOLEAN NOT NULL,
    "actions" TEXT NOT NULL,
    "ts" BIGINT NOT NULL,
    "notif_pos" BIGINT NOT NULL,

    CONSTRAINT "shared_push_actions_pkey" PRIMARY KEY ("event_id")
);

-- CreateIndex
CREATE INDEX "shared_push_actions_room_id_stream_pos_idx" ON "shared_push_actions"("room_id", "stream_pos");

-- CreateIndex
CREATE INDEX "shared_push_actions_room_id_notif_pos_idx" ON "shared_push_actions"("room_id", "notif_pos");

-- CreateIndex
CREATE INDEX "shared_push_actions_notif_pos_idx" ON "shared_push_actions"("notif_pos");
