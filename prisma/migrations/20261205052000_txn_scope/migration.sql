-- AlterTable: a client transaction is scoped by its request path (client-server-api "Transaction identifiers").
ALTER TABLE "txn_ids" DROP CONSTRAINT "txn_ids_pkey",
ADD COLUMN     "scope" TEXT NOT NULL DEFAULT '',
ADD CONSTRAINT "txn_ids_pkey" PRIMARY KEY ("user_id", "device_id", "scope", "txn_id");
