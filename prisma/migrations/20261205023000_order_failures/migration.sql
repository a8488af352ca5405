-- AlterEnum
-- This migration adds more than one value to an enum.
-- With PostgreSQL versions 11 and earlier, this is not possible
-- in a single migration. This can be worked around by creating
-- multiple migrations, each migration adding only one value to
-- the enum.


ALTER TYPE "OrderStatus" ADD VALUE 'capture_failed';
ALTER TYPE "OrderStatus" ADD VALUE 'refund_failed';

-- AlterTable
ALTER TABLE "sim_payment_intents" ADD COLUMN     "capture_method" TEXT NOT NULL DEFAULT 'automatic';

