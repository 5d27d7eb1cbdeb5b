-- CreateTable
CREATE TABLE "key_backup_versions" (
    "user_id" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "algorithm" TEXT NOT NULL,
    "auth_data" TEXT NOT NULL,
    "etag" INTEGER NOT NULL DEFAULT 0,
    "deleted" BOOLEAN NOT NULL DEFAULT false,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "key_backup_versions_pkey" PRIMARY KEY ("user_id","version")
);

-- CreateTable
CREATE TABLE "key_backup_sessions" (
    "user_id" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "room_id" TEXT NOT NULL,
    "session_id" TEXT NOT NULL,
    "first_message_index" INTEGER NOT NULL,
    "forwarded_count" INTEGER NOT NULL,
    "is_verified" BOOLEAN NOT NULL,
    "session_data" TEXT NOT NULL,

    CONSTRAINT "key_backup_sessions_pkey" PRIMARY KEY ("user_id","version","room_id","session_id")
);
