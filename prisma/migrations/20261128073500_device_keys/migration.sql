-- CreateTable
CREATE TABLE "device_keys" (
    "user_id" TEXT NOT NULL,
    "device_id" TEXT NOT NULL,
    "keys" TEXT NOT NULL,
    "updated_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "device_keys_pkey" PRIMARY KEY ("user_id","device_id")
);

-- CreateTable
CREATE TABLE "one_time_keys" (
    "user_id" TEXT NOT NULL,
    "device_id" TEXT NOT NULL,
    "key_id" TEXT NOT NULL,
    "algorithm" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "fallback" BOOLEAN NOT NULL DEFAULT false,

    CONSTRAINT "one_time_keys_pkey" PRIMARY KEY ("user_id","device_id","key_id")
);

-- CreateIndex
CREATE INDEX "one_time_keys_user_id_device_id_algorithm_idx" ON "one_time_keys"("user_id", "device_id", "algorithm");
