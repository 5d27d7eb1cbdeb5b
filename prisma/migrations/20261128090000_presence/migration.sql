-- CreateTable
CREATE TABLE "presence" (
    "user_id" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "status_msg" TEXT,
    "last_active_ts" BIGINT NOT NULL,
    "currently_active" BOOLEAN NOT NULL DEFAULT false,
    "last_seen_ts" BIGINT,
    "updated_ts" BIGINT NOT NULL,
    "stream_pos" BIGINT NOT NULL,

    CONSTRAINT "presence_pkey" PRIMARY KEY ("user_id")
);

-- CreateIndex
CREATE INDEX "presence_stream_pos_idx" ON "presence"("stream_pos");

-- CreateIndex
CREATE INDEX "presence_last_seen_ts_idx" ON "presence"("last_seen_ts");
