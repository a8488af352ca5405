-- CreateIndex
CREATE INDEX "transactions_stripe_charge_id_idx" ON "transactions"("stripe_charge_id");

-- CreateIndex
CREATE INDEX "transactions_stripe_refund_id_idx" ON "transactions"("stripe_refund_id");

