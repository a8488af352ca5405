-- DropIndex
DROP INDEX "transactions_platform_id_mode_type_status_created_idx";

-- AlterTable
ALTER TABLE "transactions" ADD COLUMN     "stripe_payment_intent_id" TEXT,
ADD COLUMN     "transfer_group" TEXT;

-- CreateIndex
CREATE INDEX "contracts_paid_totals_idx" ON "contracts"("platform_id", "mode", "status", "currency", "total", "paid");

-- CreateIndex
CREATE INDEX "transactions_flows_idx" ON "transactions"("platform_id", "mode", "type", "status", "currency", "created", "amount", "buyer_user_id", "seller_user_id");

-- CreateIndex
CREATE INDEX "transactions_transfer_group_idx" ON "transactions"("transfer_group");

