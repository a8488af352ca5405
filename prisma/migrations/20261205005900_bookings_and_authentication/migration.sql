-- CreateEnum
CREATE TYPE "BookingStatus" AS ENUM ('held', 'confirmed', 'cancelled');

-- AlterTable
ALTER TABLE "contract_buyers" ADD COLUMN     "action_payment_intent_id" TEXT,
ADD COLUMN     "attempt_on_session" BOOLEAN NOT NULL DEFAULT false;

-- AlterTable
ALTER TABLE "subscription_charges" ADD COLUMN     "action_payment_intent_id" TEXT,
ADD COLUMN     "attempt_on_session" BOOLEAN NOT NULL DEFAULT false;

-- AlterTable
ALTER TABLE "sim_payment_intents" ADD COLUMN     "client_secret" TEXT,
ADD COLUMN     "return_url" TEXT;

-- CreateTable
CREATE TABLE "bookings" (
    "id" TEXT NOT NULL,
    "platform_id" TEXT NOT NULL,
    "mode" "Mode" NOT NULL,
    "contract_id" TEXT NOT NULL,
    "contract_item_id" TEXT NOT NULL,
    "product_id" TEXT,
    "seller_id" TEXT NOT NULL,
    "buyer_id" TEXT NOT NULL,
    "booking_start" TIMESTAMPTZ(3) NOT NULL,
    "booking_end" TIMESTAMPTZ(3) NOT NULL,
    "status" "BookingStatus" NOT NULL DEFAULT 'held',
    "seller_event_id" TEXT,
    "buyer_event_id" TEXT,
    "created" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "bookings_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "bookings_contract_item_id_key" ON "bookings"("contract_item_id");

-- CreateIndex
CREATE INDEX "bookings_contract_id_idx" ON "bookings"("contract_id");

-- CreateIndex
CREATE INDEX "bookings_seller_id_booking_start_idx" ON "bookings"("seller_id", "booking_start");

-- CreateIndex
CREATE INDEX "bookings_buyer_id_idx" ON "bookings"("buyer_id");

-- CreateIndex
CREATE INDEX "bookings_platform_id_mode_idx" ON "bookings"("platform_id", "mode");


-- No two live bookings of one seller overlap, whoever commits first: the second insert finds the
-- conflict (ON CONFLICT DO NOTHING) or, racing, waits for the first and then fails the constraint.
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE "bookings" ADD CONSTRAINT "bookings_no_overlap"
  EXCLUDE USING gist ("seller_id" WITH =, tstzrange("booking_start", "booking_end") WITH &&) WHERE ("status" <> 'cancelled');

-- Tenant table: row-level security as every other (docs/tenancy.md).
ALTER TABLE "bookings" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "bookings" FORCE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "bookings" USING (platform_id = (SELECT current_setting('app.platform_id', true)) AND mode = (SELECT nullif(current_setting('app.mode', true), '')::"Mode"));
CREATE POLICY "system_scope" ON "bookings" TO candle_system USING (true) WITH CHECK (true);
