-- DropIndex
DROP INDEX "webhook_deliveries_endpoint_id_status_created_idx";

-- AlterTable
ALTER TABLE "events" ALTER COLUMN "data" SET DATA TYPE JSON;

-- AlterTable
ALTER TABLE "webhook_endpoints" ADD COLUMN     "delivery_lease_token" TEXT,
ADD COLUMN     "delivery_lease_until" TIMESTAMPTZ(3),
ADD COLUMN     "name" TEXT;

-- AlterTable
ALTER TABLE "webhook_deliveries" ADD COLUMN     "delivered" TIMESTAMPTZ(3),
ADD COLUMN     "error" TEXT,
ADD COLUMN     "seq" BIGSERIAL NOT NULL;

-- CreateIndex
CREATE INDEX "webhook_deliveries_endpoint_id_status_seq_idx" ON "webhook_deliveries"("endpoint_id", "status", "seq");

-- CreateIndex
CREATE INDEX "webhook_deliveries_endpoint_id_seq_idx" ON "webhook_deliveries"("endpoint_id", "seq");

-- CreateIndex
CREATE INDEX "webhook_deliveries_status_next_attempt_idx" ON "webhook_deliveries"("status", "next_attempt");

-- AddForeignKey
ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "webhook_deliveries_event_id_fkey" FOREIGN KEY ("event_id") REFERENCES "events"("id") ON DELETE CASCADE ON UPDATE CASCADE;

