-- CreateTable
CREATE TABLE "media" (
    "origin" TEXT NOT NULL,
    "media_id" TEXT NOT NULL,
    "tenant" TEXT NOT NULL,
    "uploader_user_id" TEXT,
    "content_type" TEXT,
    "upload_name" TEXT,
    "size" BIGINT,
    "sha256" TEXT,
    "created_ts" BIGINT NOT NULL,
    "uploaded_ts" BIGINT,
    "unused_expires_at" BIGINT,
    "quarantined" BOOLEAN NOT NULL DEFAULT false,

    CONSTRAINT "media_pkey" PRIMARY KEY ("origin","media_id")
);

-- CreateIndex
CREATE INDEX "media_uploader_user_id_created_ts_idx" ON "media"("uploader_user_id", "created_ts");

-- CreateIndex
CREATE INDEX "media_sha256_idx" ON "media"("sha256");
