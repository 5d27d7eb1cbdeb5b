-- CreateTable
CREATE TABLE "remote_server_keys" (
    "server_name" TEXT NOT NULL,
    "key_id" TEXT NOT NULL,
    "public_key" TEXT NOT NULL,
    "valid_until_ts" BIGINT NOT NULL,
    "expired_ts" BIGINT,
    "response" TEXT NOT NULL,
    "fetched_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "remote_server_keys_pkey" PRIMARY KEY ("server_name","key_id")
);
