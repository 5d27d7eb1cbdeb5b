-- AlterTable
ALTER TABLE "one_time_keys" ADD COLUMN "used" BOOLEAN NOT NULL DEFAULT false;

-- CreateTable
CREATE TABLE "to_device_inbox" (
    "stream_pos" BIGINT NOT NULL,
    "user_id" TEXT NOT NULL,
    "device_id" TEXT NOT NULL,
    "sender" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "content" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "to_device_inbox_pkey" PRIMARY KEY ("stream_pos")
);

-- CreateTable
CREATE TABLE "to_device_txns" (
    "user_id" TEXT NOT NULL,
    "device_id" TEXT NOT NULL,
    "txn_id" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "to_device_txns_pkey" PRIMARY KEY ("user_id","device_id","txn_id")
);

-- CreateTable
CREATE TABLE "inbound_to_device" (
    "origin" TEXT NOT NULL,
    "message_id" TEXT NOT NULL,
    "received_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "inbound_to_device_pkey" PRIMARY KEY ("origin","message_id")
);

-- CreateTable
CREATE TABLE "device_list_changes" (
    "stream_pos" BIGINT NOT NULL,
    "user_id" TEXT NOT NULL,
    "device_id" TEXT NOT NULL,
    "pending_federation" BOOLEAN NOT NULL DEFAULT false,

    CONSTRAINT "device_list_changes_pkey" PRIMARY KEY ("stream_pos")
);

-- CreateIndex
CREATE INDEX "to_device_inbox_user_id_device_id_stream_pos_idx" ON "to_device_inbox"("user_id", "device_id", "stream_pos");

-- CreateIndex
CREATE INDEX "device_list_changes_user_id_stream_pos_idx" ON "device_list_changes"("user_id", "stream_pos");

-- CreateIndex
CREATE INDEX "device_list_changes_pending_federation_stream_pos_idx" ON "device_list_changes"("pending_federation", "stream_pos");
