-- CreateTable
CREATE TABLE "federation_routing" (
    "stream" TEXT NOT NULL,
    "routed_pos" BIGINT NOT NULL,
    "owner" TEXT,
    "lease_until" TIMESTAMP(3),

    CONSTRAINT "federation_routing_pkey" PRIMARY KEY ("stream")
);

-- An existing deployment starts routing from where its stream is now: what
-- came before was routed by the sender it had.
INSERT INTO "federation_routing" ("stream", "routed_pos")
SELECT 'events', COALESCE((SELECT "position" FROM "stream_positions" WHERE "stream" = 'events'), 0);
