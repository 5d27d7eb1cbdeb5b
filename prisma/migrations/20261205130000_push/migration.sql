-- CreateTable
CREATE TABLE "event_push_actions" (
    "user_id" TEXT NOT NULL,
    "event_id" TEXT NOT NULL,
    "room_id" TEXT NOT NULL,
    "stream_pos" BIGINT NOT NULL,
    "thread_id" TEXT NOT NULL,
    "notify" BOOLEAN NOT NULL,
    "highlight" BOOLEAN NOT NULL,
    "actions" TEXT NOT NULL,
    "ts" BIGINT NOT NULL,
    "notif_pos" BIGINT NOT NULL,

    CONSTRAINT "event_push_actions_pkey" PRIMARY KEY ("user_id","event_id")
);

-- CreateTable
CREATE TABLE "pushers" (
    "pusher_id" BIGSERIAL NOT NULL,
    "user_id" TEXT NOT NULL,
    "app_id" TEXT NOT NULL,
    "pushkey" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "app_display_name" TEXT NOT NULL,
    "device_display_name" TEXT NOT NULL,
    "profile_tag" TEXT,
    "lang" TEXT NOT NULL,
    "data" TEXT NOT NULL,
    "pushkey_ts" BIGINT NOT NULL,
    "lease_owner" TEXT,
    "lease_until" BIGINT,

    CONSTRAINT "pushers_pkey" PRIMARY KEY ("pusher_id")
);

-- CreateTable
CREATE TABLE "push_outbox" (
    "id" BIGSERIAL NOT NULL,
    "pusher_id" BIGINT NOT NULL,
    "user_id" TEXT NOT NULL,
    "event_id" TEXT NOT NULL,
    "room_id" TEXT NOT NULL,
    "actions" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "next_attempt_ts" BIGINT NOT NULL,

    CONSTRAINT "push_outbox_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "event_push_actions_user_id_room_id_stream_pos_idx" ON "event_push_actions"("user_id", "room_id", "stream_pos");

-- CreateIndex
CREATE INDEX "event_push_actions_user_id_notif_pos_idx" ON "event_push_actions"("user_id", "notif_pos");

-- CreateIndex
CREATE INDEX "event_push_actions_user_id_stream_pos_idx" ON "event_push_actions"("user_id", "stream_pos");

-- CreateIndex
CREATE UNIQUE INDEX "pushers_user_id_app_id_pushkey_key" ON "pushers"("user_id", "app_id", "pushkey");

-- CreateIndex
CREATE INDEX "pushers_app_id_pushkey_idx" ON "pushers"("app_id", "pushkey");

-- CreateIndex
CREATE UNIQUE INDEX "push_outbox_pusher_id_event_id_key" ON "push_outbox"("pusher_id", "event_id");

-- CreateIndex
CREATE INDEX "push_outbox_next_attempt_ts_idx" ON "push_outbox"("next_attempt_ts");
