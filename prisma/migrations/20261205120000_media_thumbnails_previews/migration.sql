-- CreateTable
CREATE TABLE "media_thumbnails" (
    "origin" TEXT NOT NULL,
    "media_id" TEXT NOT NULL,
    "width" INTEGER NOT NULL,
    "height" INTEGER NOT NULL,
    "method" TEXT NOT NULL,
    "animated" BOOLEAN NOT NULL,
    "content_type" TEXT NOT NULL,
    "actual_width" INTEGER NOT NULL,
    "actual_height" INTEGER NOT NULL,
    "size" BIGINT NOT NULL,
    "sha256" TEXT NOT NULL,
    "created_ts" BIGINT NOT NULL,

    CONSTRAINT "media_thumbnails_pkey" PRIMARY KEY ("origin","media_id","width","height","method","animated")
);

-- CreateIndex
CREATE INDEX "media_thumbnails_sha256_idx" ON "media_thumbnails"("sha256");

-- CreateTable
CREATE TABLE "url_previews" (
    "tenant" TEXT NOT NULL,
    "url" TEXT NOT NULL,
    "fetched_ts" BIGINT NOT NULL,
    "expires_ts" BIGINT NOT NULL,
    "og" JSONB NOT NULL,

    CONSTRAINT "url_previews_pkey" PRIMARY KEY ("tenant","url","fetched_ts")
);
