-- The pushes of an event's shared row, queued a few members at a time (PushFanout in schema.prisma).
-- CreateTable
CREATE TABLE "push_fanouts" (
    "event_id" TEXT NOT NULL,
    "room_id" TEXT NOT NULL,
    "sender" TEXT NOT NULL,
    "stream_pos" BIGINT NOT NULL,
    "actions" TEXT NOT NULL,
    "after_member" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "push_fanouts_pkey" PRIMARY KEY ("event_id")
);
