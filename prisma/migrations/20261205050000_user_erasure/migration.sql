-- AlterTable
ALTER TABLE "users" ADD COLUMN     "erased" BOOLEAN NOT NULL DEFAULT false;
