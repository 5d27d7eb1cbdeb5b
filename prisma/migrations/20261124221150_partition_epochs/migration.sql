-- CreateTable
CREATE TABLE "partition_epochs" (
    "partition" INTEGER NOT NULL,
    "epoch" BIGINT NOT NULL,
    "owner" TEXT NOT NULL,
    "acquired_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "partition_epochs_pkey" PRIMARY KEY ("partition")
);
