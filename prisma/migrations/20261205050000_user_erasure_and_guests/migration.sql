-- AlterTable
ALTER TABLE "users" ADD COLUMN     "erased" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "is_guest" BOOLEAN NOT NULL DEFAULT false;
