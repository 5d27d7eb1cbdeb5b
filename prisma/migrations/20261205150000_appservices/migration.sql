-- CreateTable
CREATE TABLE "appservice_registrations" (
    "server_name" TEXT NOT NULL,
    "id" TEXT NOT NULL,
    "registration" JSONB NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "appservice_registrations_pkey" PRIMARY KEY ("server_name","id")
);

-- CreateTable
CREATE TABLE "appservice_queue" (
    "seq" BIGSERIAL NOT NULL,
    "server_name" TEXT NOT NULL,
    "service_id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "dedup_key" TEXT,
    "payload" JSONB NOT NULL,
    "txn_id" BIGINT,

    CONSTRAINT "appservice_queue_pkey" PRIMARY KEY ("seq")
);

-- CreateTable
CREATE TABLE "appservice_sender_state" (
    "server_name" TEXT NOT NULL,
    "service_id" TEXT NOT NULL,
    "last_txn_id" BIGINT NOT NULL DEFAULT 0,
    "owner" TEXT,
    "lease_until" TIMESTAMP(3),

    CONSTRAINT "appservice_sender_state_pkey" PRIMARY KEY ("server_name","service_id")
);

-- CreateTable
CREATE TABLE "appservice_room_directory" (
    "server_name" TEXT NOT NULL,
    "service_id" TEXT NOT NULL,
    "network_id" TEXT NOT NULL,
    "room_id" TEXT NOT NULL,

    CONSTRAINT "appservice_room_directory_pkey" PRIMARY KEY ("server_name","service_id","network_id","room_id")
);

-- CreateIndex
CREATE UNIQUE INDEX "appservice_queue_server_name_service_id_dedup_key_key" ON "appservice_queue"("server_name", "service_id", "dedup_key");

-- CreateIndex
CREATE INDEX "appservice_queue_server_name_service_id_txn_id_seq_idx" ON "appservice_queue"("server_name", "service_id", "txn_id", "seq");
