-- CreateTable
CREATE TABLE "remote_invites" (
    "room_id" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "event_id" TEXT NOT NULL,
    "event" TEXT NOT NULL,
    "invite_room_state" TEXT NOT NULL,
    "stream_pos" BIGINT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "remote_invites_pkey" PRIMARY KEY ("room_id","user_id")
);

-- CreateIndex
CREATE INDEX "remote_invites_user_id_idx" ON "remote_invites"("user_id");
