-- CreateTable
CREATE TABLE "federation_outbox" (
    "id" BIGSERIAL NOT NULL,
    "destination" TEXT NOT NULL,
    "origin" TEXT NOT NULL,
    "dedup_key" TEXT NOT NULL,
    "pdu" TEXT,
    "edu" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "federation_outbox_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "federation_destinations" (
    "destination" TEXT NOT NULL,
    "owner" TEXT,
    "lease_until" TIMESTAMP(3),

    CONSTRAINT "federation_destinations_pkey" PRIMARY KEY ("destination")
);

-- CreateIndex
CREATE UNIQUE INDEX "federation_outbox_destination_dedup_key_key" ON "federation_outbox"("destination", "dedup_key");

-- CreateIndex
CREATE INDEX "federation_outbox_destination_id_idx" ON "federation_outbox"("destination", "id");
