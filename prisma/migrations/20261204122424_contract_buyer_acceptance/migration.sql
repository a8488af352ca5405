-- AlterTable
ALTER TABLE "contract_buyers" ADD COLUMN     "accepted" TIMESTAMPTZ(3),
ADD COLUMN     "accepted_amount" INTEGER,
ADD COLUMN     "accepted_currency" TEXT;

