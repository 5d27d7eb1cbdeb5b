-- CreateTable
CREATE TABLE "remote_knocks" (
    "room_id" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "event_id" TEXT NOT NULL,
    "membership" TEXT NOT NULL,
    "server" TEXT NOT NULL,
    "room_version" TEXT NOT NULL,
    "knock_state" TEXT NOT NULL,
    "stream_pos" BIGINT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "remote_knocks_pkey" PRIMARY KEY ("room_id","user_id")
);

-- CreateIndex
CREATE INDEX "remote_knocks_user_id_idx" ON "remote_knocks"("user_id");
