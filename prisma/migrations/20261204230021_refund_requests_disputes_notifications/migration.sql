-- CreateEnum
CREATE TYPE "DisputeFunds" AS ENUM ('hold', 'reverse');

-- CreateEnum
CREATE TYPE "RefundRequestStatus" AS ENUM ('requested', 'approved', 'declined', 'canceled');

-- AlterTable
ALTER TABLE "platforms" ADD COLUMN     "accent_color" TEXT,
ADD COLUMN     "brand_color" TEXT,
ADD COLUMN     "dispute_funds" "DisputeFunds" NOT NULL DEFAULT 'hold';

-- CreateTable
CREATE TABLE "refund_requests" (
    "id" TEXT NOT NULL,
    "platform_id" TEXT NOT NULL,
    "mode" "Mode" NOT NULL,
    "contract_id" TEXT NOT NULL,
    "buyer_user_id" TEXT NOT NULL,
    "transaction_id" TEXT NOT NULL,
    "amount" INTEGER NOT NULL,
    "items" JSONB,
    "seller_user_ids" TEXT[],
    "reason" TEXT,
    "status" "RefundRequestStatus" NOT NULL DEFAULT 'requested',
    "decided_by_user_id" TEXT,
    "decided" TIMESTAMPTZ(3),
    "decline_reason" TEXT,
    "refund_transaction_id" TEXT,
    "created" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "refund_requests_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "refund_requests_platform_id_mode_contract_id_idx" ON "refund_requests"("platform_id", "mode", "contract_id");

-- CreateIndex
CREATE INDEX "refund_requests_platform_id_mode_buyer_user_id_idx" ON "refund_requests"("platform_id", "mode", "buyer_user_id");


-- Row-level security (docs/tenancy.md).
ALTER TABLE "refund_requests" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "refund_requests" FORCE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "refund_requests" USING (platform_id = (SELECT current_setting('app.platform_id', true)) AND mode = (SELECT nullif(current_setting('app.mode', true), '')::"Mode"));
CREATE POLICY "system_scope" ON "refund_requests" TO candle_system USING (true) WITH CHECK (true);
