-- CreateEnum
CREATE TYPE "FeePayer" AS ENUM ('buyers', 'sellers');

-- AlterTable
ALTER TABLE "contracts" ADD COLUMN     "settlement_lease_id" TEXT,
ADD COLUMN     "settlement_locked_until" TIMESTAMPTZ(3);

-- AlterTable
ALTER TABLE "contract_items" ADD COLUMN     "reserved" INTEGER NOT NULL DEFAULT 0;

-- AlterTable
ALTER TABLE "contract_buyers" ADD COLUMN     "attempt_payment_method_id" TEXT,
ADD COLUMN     "attempts" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "stripe_charge_id" TEXT;

-- AlterTable
ALTER TABLE "contract_sellers" ADD COLUMN     "transfer_attempts" INTEGER NOT NULL DEFAULT 0;

-- AlterTable
ALTER TABLE "contract_fees" ADD COLUMN     "payer" "FeePayer" NOT NULL DEFAULT 'buyers';

