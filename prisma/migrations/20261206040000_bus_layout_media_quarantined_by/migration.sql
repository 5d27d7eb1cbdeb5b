-- CreateTable
CREATE TABLE "bus_layout" (
    "id" INTEGER NOT NULL DEFAULT 1,
    "partitions" INTEGER NOT NULL,

    CONSTRAINT "bus_layout_pkey" PRIMARY KEY ("id")
);

-- AlterTable
ALTER TABLE "media" ADD COLUMN "quarantined_by" TEXT;
