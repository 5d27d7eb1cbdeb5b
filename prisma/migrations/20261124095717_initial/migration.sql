-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateTable
CREATE TABLE "rooms" (
    "room_nid" SERIAL NOT NULL,
    "room_id" TEXT NOT NULL,
    "room_version" TEXT NOT NULL,
    "is_partial_state" BOOLEAN NOT NULL DEFAULT false,
    "state_snapshot_nid" BIGINT,
    "writer_epoch" BIGINT NOT NULL DEFAULT 0,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "rooms_pkey" PRIMARY KEY ("room_nid")
);

-- CreateTable
CREATE TABLE "event_types" (
    "type_nid" SERIAL NOT NULL,
    "type" TEXT NOT NULL,

    CONSTRAINT "event_types_pkey" PRIMARY KEY ("type_nid")
);

-- CreateTable
CREATE TABLE "event_state_keys" (
    "state_key_nid" SERIAL NOT NULL,
    "state_key" TEXT NOT NULL,

    CONSTRAINT "event_state_keys_pkey" PRIMARY KEY ("state_key_nid")
);

-- CreateTable
CREATE TABLE "events" (
    "event_nid" BIGSERIAL NOT NULL,
    "event_id" TEXT NOT NULL,
    "room_nid" INTEGER NOT NULL,
    "type_nid" INTEGER NOT NULL,
    "state_key_nid" INTEGER,
    "sender" TEXT NOT NULL,
    "depth" BIGINT NOT NULL,
    "origin_server_ts" BIGINT NOT NULL,
    "stream_pos" BIGINT,
    "state_snapshot_nid" BIGINT,
    "is_outlier" BOOLEAN NOT NULL DEFAULT false,
    "is_rejected" BOOLEAN NOT NULL DEFAULT false,
    "rejection_reason" TEXT,
    "is_soft_failed" BOOLEAN NOT NULL DEFAULT false,
    "redacted_by" TEXT,
    "redacts" TEXT,
    "txn_id" TEXT,
    "sender_device_id" TEXT,

    CONSTRAINT "events_pkey" PRIMARY KEY ("event_nid")
);

-- CreateTable
CREATE TABLE "event_json" (
    "event_nid" BIGINT NOT NULL,
    "json" TEXT NOT NULL,

    CONSTRAINT "event_json_pkey" PRIMARY KEY ("event_nid")
);

-- CreateTable
CREATE TABLE "event_edges" (
    "event_nid" BIGINT NOT NULL,
    "prev_event_id" TEXT NOT NULL,

    CONSTRAINT "event_edges_pkey" PRIMARY KEY ("event_nid","prev_event_id")
);

-- CreateTable
CREATE TABLE "event_auth_edges" (
    "event_nid" BIGINT NOT NULL,
    "auth_event_id" TEXT NOT NULL,

    CONSTRAINT "event_auth_edges_pkey" PRIMARY KEY ("event_nid","auth_event_id")
);

-- CreateTable
CREATE TABLE "forward_extremities" (
    "room_nid" INTEGER NOT NULL,
    "event_nid" BIGINT NOT NULL,

    CONSTRAINT "forward_extremities_pkey" PRIMARY KEY ("room_nid","event_nid")
);

-- CreateTable
CREATE TABLE "backward_extremities" (
    "room_nid" INTEGER NOT NULL,
    "event_id" TEXT NOT NULL,

    CONSTRAINT "backward_extremities_pkey" PRIMARY KEY ("room_nid","event_id")
);

-- CreateTable
CREATE TABLE "state_snapshots" (
    "snapshot_nid" BIGSERIAL NOT NULL,
    "room_nid" INTEGER NOT NULL,
    "parent_snapshot_nid" BIGINT,
    "layer_depth" INTEGER NOT NULL,
    "type_nids" INTEGER[],
    "state_key_nids" INTEGER[],
    "event_nids" BIGINT[],

    CONSTRAINT "state_snapshots_pkey" PRIMARY KEY ("snapshot_nid")
);

-- CreateTable
CREATE TABLE "current_state" (
    "room_nid" INTEGER NOT NULL,
    "type_nid" INTEGER NOT NULL,
    "state_key_nid" INTEGER NOT NULL,
    "event_nid" BIGINT NOT NULL,
    "user_id" TEXT,
    "membership" TEXT,
    "stream_pos" BIGINT NOT NULL,

    CONSTRAINT "current_state_pkey" PRIMARY KEY ("room_nid","type_nid","state_key_nid")
);

-- CreateTable
CREATE TABLE "users" (
    "user_id" TEXT NOT NULL,
    "server_name" TEXT NOT NULL,
    "localpart" TEXT NOT NULL,
    "password_hash" TEXT,
    "display_name" TEXT,
    "avatar_url" TEXT,
    "is_admin" BOOLEAN NOT NULL DEFAULT false,
    "deactivated" BOOLEAN NOT NULL DEFAULT false,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "users_pkey" PRIMARY KEY ("user_id")
);

-- CreateTable
CREATE TABLE "devices" (
    "user_id" TEXT NOT NULL,
    "device_id" TEXT NOT NULL,
    "display_name" TEXT,
    "last_seen_ts" BIGINT,
    "last_seen_ip" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "devices_pkey" PRIMARY KEY ("user_id","device_id")
);

-- CreateTable
CREATE TABLE "access_tokens" (
    "token_hash" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "device_id" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "access_tokens_pkey" PRIMARY KEY ("token_hash")
);

-- CreateTable
CREATE TABLE "account_data" (
    "user_id" TEXT NOT NULL,
    "room_id" TEXT NOT NULL DEFAULT '',
    "type" TEXT NOT NULL,
    "content" TEXT NOT NULL,
    "stream_pos" BIGINT NOT NULL,

    CONSTRAINT "account_data_pkey" PRIMARY KEY ("user_id","room_id","type")
);

-- CreateTable
CREATE TABLE "filters" (
    "user_id" TEXT NOT NULL,
    "filter_id" INTEGER NOT NULL,
    "json" TEXT NOT NULL,

    CONSTRAINT "filters_pkey" PRIMARY KEY ("user_id","filter_id")
);

-- CreateTable
CREATE TABLE "txn_ids" (
    "user_id" TEXT NOT NULL,
    "device_id" TEXT NOT NULL,
    "txn_id" TEXT NOT NULL,
    "event_id" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "txn_ids_pkey" PRIMARY KEY ("user_id","device_id","txn_id")
);

-- CreateTable
CREATE TABLE "receipts" (
    "room_id" TEXT NOT NULL,
    "receipt_type" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "thread_id" TEXT NOT NULL DEFAULT '',
    "event_id" TEXT NOT NULL,
    "ts" BIGINT NOT NULL,
    "stream_pos" BIGINT NOT NULL,

    CONSTRAINT "receipts_pkey" PRIMARY KEY ("room_id","receipt_type","user_id","thread_id")
);

-- CreateTable
CREATE TABLE "room_aliases" (
    "alias" TEXT NOT NULL,
    "room_id" TEXT NOT NULL,
    "server_name" TEXT NOT NULL,
    "creator" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "room_aliases_pkey" PRIMARY KEY ("alias")
);

-- CreateTable
CREATE TABLE "published_rooms" (
    "server_name" TEXT NOT NULL,
    "room_id" TEXT NOT NULL,

    CONSTRAINT "published_rooms_pkey" PRIMARY KEY ("server_name","room_id")
);

-- CreateTable
CREATE TABLE "forgotten_rooms" (
    "user_id" TEXT NOT NULL,
    "room_id" TEXT NOT NULL,

    CONSTRAINT "forgotten_rooms_pkey" PRIMARY KEY ("user_id","room_id")
);

-- CreateTable
CREATE TABLE "stream_positions" (
    "stream" TEXT NOT NULL,
    "position" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "stream_positions_pkey" PRIMARY KEY ("stream")
);

-- CreateTable
CREATE TABLE "signing_keys" (
    "server_name" TEXT NOT NULL,
    "key_id" TEXT NOT NULL,
    "seed" TEXT,
    "public_key" TEXT NOT NULL,
    "valid_until_ts" BIGINT NOT NULL,
    "expired_ts" BIGINT,

    CONSTRAINT "signing_keys_pkey" PRIMARY KEY ("server_name","key_id")
);

-- CreateTable
CREATE TABLE "processed_inputs" (
    "input_id" TEXT NOT NULL,
    "reply" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "processed_inputs_pkey" PRIMARY KEY ("input_id")
);

-- CreateIndex
CREATE UNIQUE INDEX "rooms_room_id_key" ON "rooms"("room_id");

-- CreateIndex
CREATE UNIQUE INDEX "event_types_type_key" ON "event_types"("type");

-- CreateIndex
CREATE UNIQUE INDEX "event_state_keys_state_key_key" ON "event_state_keys"("state_key");

-- CreateIndex
CREATE UNIQUE INDEX "events_event_id_key" ON "events"("event_id");

-- CreateIndex
CREATE UNIQUE INDEX "events_stream_pos_key" ON "events"("stream_pos");

-- CreateIndex
CREATE INDEX "events_room_nid_stream_pos_idx" ON "events"("room_nid", "stream_pos");

-- CreateIndex
CREATE INDEX "events_room_nid_depth_idx" ON "events"("room_nid", "depth");

-- CreateIndex
CREATE INDEX "events_redacts_idx" ON "events"("redacts");

-- CreateIndex
CREATE INDEX "event_edges_prev_event_id_idx" ON "event_edges"("prev_event_id");

-- CreateIndex
CREATE INDEX "state_snapshots_room_nid_idx" ON "state_snapshots"("room_nid");

-- CreateIndex
CREATE INDEX "current_state_user_id_membership_idx" ON "current_state"("user_id", "membership");

-- CreateIndex
CREATE INDEX "current_state_room_nid_membership_idx" ON "current_state"("room_nid", "membership");

-- CreateIndex
CREATE UNIQUE INDEX "users_server_name_localpart_key" ON "users"("server_name", "localpart");

-- CreateIndex
CREATE INDEX "access_tokens_user_id_device_id_idx" ON "access_tokens"("user_id", "device_id");

-- CreateIndex
CREATE INDEX "account_data_user_id_stream_pos_idx" ON "account_data"("user_id", "stream_pos");

-- CreateIndex
CREATE INDEX "receipts_room_id_stream_pos_idx" ON "receipts"("room_id", "stream_pos");

-- CreateIndex
CREATE INDEX "room_aliases_room_id_idx" ON "room_aliases"("room_id");

-- CreateIndex
CREATE INDEX "processed_inputs_created_at_idx" ON "processed_inputs"("created_at");
