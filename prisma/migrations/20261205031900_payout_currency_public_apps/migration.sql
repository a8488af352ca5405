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

-- AlterTable
ALTER TABLE "oauth_apps" ADD COLUMN     "token_endpoint_auth_method" TEXT NOT NULL DEFAULT 'client_secret_basic',
ALTER COLUMN "secret_sealed" DROP NOT NULL,
ALTER COLUMN "secret_last4" DROP NOT NULL;

