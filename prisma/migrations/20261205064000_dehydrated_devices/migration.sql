-- CreateTable
CREATE TABLE "dehydrated_devices" (
    "user_id" TEXT NOT NULL,
    "device_id" TEXT NOT NULL,
    "device_data" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "dehydrated_devices_pkey" PRIMARY KEY ("user_id")
);
