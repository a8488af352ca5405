-- CreateEnum
CREATE TYPE "OrderStatus" AS ENUM ('awaiting_acceptance', 'accepted', 'declined', 'expired', 'fulfilled', 'completed', 'canceled');

-- AlterEnum
ALTER TYPE "ContractStatus" ADD VALUE 'authorized';

-- AlterTable
ALTER TABLE "platforms" ADD COLUMN     "order_settings" JSONB NOT NULL DEFAULT '{}';

-- AlterTable
ALTER TABLE "contracts" ADD COLUMN     "accept_by" TIMESTAMPTZ(3),
ADD COLUMN     "capture_manual" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "completed" TIMESTAMPTZ(3),
ADD COLUMN     "fulfilled" TIMESTAMPTZ(3),
ADD COLUMN     "funds_released" TIMESTAMPTZ(3),
ADD COLUMN     "hold_funds" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "order_accepted" TIMESTAMPTZ(3),
ADD COLUMN     "order_status" "OrderStatus",
ADD COLUMN     "release_at" TIMESTAMPTZ(3),
ADD COLUMN     "tracking_carrier" TEXT,
ADD COLUMN     "tracking_number" TEXT,
ADD COLUMN     "tracking_url" TEXT;

-- AlterTable
ALTER TABLE "contract_buyers" ADD COLUMN     "amount_authorized" INTEGER NOT NULL DEFAULT 0;

