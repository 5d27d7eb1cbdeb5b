-- CreateTable
CREATE TABLE "database_identity" (
    "id" TEXT NOT NULL DEFAULT gen_random_uuid()::text,

    CONSTRAINT "database_identity_pkey" PRIMARY KEY ("id")
);

-- One row, made once: a new database gets a new identity.
INSERT INTO "database_identity" DEFAULT VALUES;
