-- AlterTable
ALTER TABLE "contracts" ADD COLUMN     "hold_expires" TIMESTAMPTZ(3);

-- CreateIndex
CREATE INDEX "contracts_status_hold_expires_idx" ON "contracts"("status", "hold_expires");


-- Hand-written: the unpaid contracts that hold stock today get the default hold (30 minutes) from
-- now, so nothing already held is kept for ever.
UPDATE "contracts" SET "hold_expires" = now() + interval '30 minutes'
WHERE "status" IN ('draft', 'open')
  AND EXISTS (SELECT 1 FROM "contract_items" i WHERE i."contract_id" = "contracts"."id" AND i."reserved" > 0)
  AND NOT EXISTS (SELECT 1 FROM "contract_buyers" b WHERE b."contract_id" = "contracts"."id" AND b."amount_paid" > 0);
