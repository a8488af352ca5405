-- AlterTable
ALTER TABLE "transactions" ADD COLUMN     "converted_amount" INTEGER,
ADD COLUMN     "converted_currency" TEXT,
ADD COLUMN     "exchange_rate" TEXT;

-- AlterTable
ALTER TABLE "sim_accounts" ADD COLUMN     "country" TEXT NOT NULL DEFAULT 'US',
ADD COLUMN     "default_currency" TEXT NOT NULL DEFAULT 'usd';

-- AlterTable
ALTER TABLE "sim_transfers" ADD COLUMN     "destination_amount" INTEGER,
ADD COLUMN     "destination_currency" TEXT,
ADD COLUMN     "exchange_rate" TEXT;

-- AlterTable
ALTER TABLE "payout_settings" ADD COLUMN     "currency" TEXT;

