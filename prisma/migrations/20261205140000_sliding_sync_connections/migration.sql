-- CreateTable
CREATE TABLE "sliding_sync_connections" (
    "user_id" TEXT NOT NULL,
    "device_id" TEXT NOT NULL,
    "conn_id" TEXT NOT NULL,
    "generation" TEXT NOT NULL,
    "pos" INTEGER NOT NULL,
    "state" TEXT NOT NULL,
    "prev_pos" INTEGER,
    "prev_state" TEXT,
    "updated_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "sliding_sync_connections_pkey" PRIMARY KEY ("user_id","device_id","conn_id")
);

-- CreateIndex
CREATE INDEX "sliding_sync_connections_updated_at_idx" ON "sliding_sync_connections"("updated_at");
