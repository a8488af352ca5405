-- AlterTable
ALTER TABLE "events" ADD COLUMN     "seq" BIGSERIAL NOT NULL,
ADD COLUMN     "tx_id" BIGINT NOT NULL DEFAULT (pg_current_xact_id())::text::bigint;

-- Events recorded before this migration share its transaction id: they page in the order they were created.
UPDATE "events" e SET "seq" = o.n FROM (SELECT id, row_number() OVER (ORDER BY created, id) AS n FROM "events") o WHERE e.id = o.id;
SELECT setval(pg_get_serial_sequence('"events"', 'seq'), COALESCE((SELECT max("seq") FROM "events"), 0) + 1, false);

-- AlterTable
ALTER TABLE "webhook_endpoints" ADD COLUMN     "previous_secret" TEXT,
ADD COLUMN     "previous_secret_expires" TIMESTAMPTZ(3);

-- AlterTable
ALTER TABLE "webhook_deliveries" ADD COLUMN     "resent" TIMESTAMPTZ(3);

-- CreateIndex
CREATE INDEX "events_platform_id_mode_tx_id_seq_idx" ON "events"("platform_id", "mode", "tx_id", "seq");

-- CreateIndex
CREATE INDEX "events_created_idx" ON "events"("created");

