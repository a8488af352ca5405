-- AlterEnum
ALTER TYPE "ContractStatus" ADD VALUE 'disputed';

-- AlterEnum
-- This migration adds more than one value to an enum.
-- With PostgreSQL versions 11 and earlier, this is not possible
-- in a single migration. This can be worked around by creating
-- multiple migrations, each migration adding only one value to
-- the enum.


ALTER TYPE "TransactionType" ADD VALUE 'dispute';
ALTER TYPE "TransactionType" ADD VALUE 'fee:dispute';

-- AlterTable
ALTER TABLE "sim_payment_intents" ADD COLUMN     "dispute_id" TEXT,
ADD COLUMN     "dispute_status" TEXT;

-- CreateIndex
CREATE UNIQUE INDEX "sim_payment_intents_dispute_id_key" ON "sim_payment_intents"("dispute_id");

