-- Run-time tenants, registration tokens, blocked rooms, room deletions and server notice rooms (admin API).
CREATE SEQUENCE "tenant_versions";

CREATE TABLE "tenants" (
    "server_name" TEXT NOT NULL,
    "public_base_url" TEXT,
    "federation_host" TEXT,
    "hostnames" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "registration_mode" TEXT NOT NULL DEFAULT 'closed',
    "guests" BOOLEAN NOT NULL DEFAULT false,
    "disabled" BOOLEAN NOT NULL DEFAULT false,
    "version" BIGINT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "tenants_pkey" PRIMARY KEY ("server_name")
);

CREATE TABLE "registration_tokens" (
    "server_name" TEXT NOT NULL,
    "token" TEXT NOT NULL,
    "uses_allowed" INTEGER,
    "pending" INTEGER NOT NULL DEFAULT 0,
    "completed" INTEGER NOT NULL DEFAULT 0,
    "expiry_time" BIGINT,

    CONSTRAINT "registration_tokens_pkey" PRIMARY KEY ("server_name","token")
);

CREATE TABLE "blocked_rooms" (
    "room_id" TEXT NOT NULL,
    "blocked_by" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "blocked_rooms_pkey" PRIMARY KEY ("room_id")
);

CREATE TABLE "room_deletions" (
    "delete_id" TEXT NOT NULL,
    "room_id" TEXT NOT NULL,
    "server_name" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "result" JSONB NOT NULL DEFAULT '{}',
    "error" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "room_deletions_pkey" PRIMARY KEY ("delete_id")
);

CREATE INDEX "room_deletions_room_id_idx" ON "room_deletions"("room_id");

CREATE TABLE "server_notice_rooms" (
    "user_id" TEXT NOT NULL,
    "room_id" TEXT NOT NULL,

    CONSTRAINT "server_notice_rooms_pkey" PRIMARY KEY ("user_id")
);
