-- AlterTable
ALTER TABLE "device_list_changes" ADD COLUMN     "signing_keys" BOOLEAN NOT NULL DEFAULT false;

-- CreateTable
CREATE TABLE "cross_signing_keys" (
    "user_id" TEXT NOT NULL,
    "key_type" TEXT NOT NULL,
    "public_key" TEXT NOT NULL,
    "key_json" TEXT NOT NULL,
    "updated_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "cross_signing_keys_pkey" PRIMARY KEY ("user_id","key_type")
);

-- CreateTable
CREATE TABLE "user_signing_signatures" (
    "signer_user_id" TEXT NOT NULL,
    "signer_key_id" TEXT NOT NULL,
    "target_user_id" TEXT NOT NULL,
    "target_public_key" TEXT NOT NULL,
    "signature" TEXT NOT NULL,

    CONSTRAINT "user_signing_signatures_pkey" PRIMARY KEY ("signer_user_id","target_user_id","target_public_key","signer_key_id")
);
