-- CreateIndex
CREATE INDEX "contracts_paid_period_idx" ON "contracts"("platform_id", "mode", "status", "paid", "currency", "total");

