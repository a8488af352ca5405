-- AlterTable
ALTER TABLE "users" ADD COLUMN     "bank_last4" TEXT;

-- AlterTable
ALTER TABLE "sim_setup_intents" ADD COLUMN     "payment_method_id" TEXT;

-- CreateTable
CREATE TABLE "stripe_events" (
    "id" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "object_id" TEXT,
    "livemode" BOOLEAN NOT NULL,
    "outcome" TEXT NOT NULL,
    "received" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "stripe_events_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "payment_intent_outcomes" (
    "id" TEXT NOT NULL,
    "platform_id" TEXT,
    "mode" "Mode",
    "user_id" TEXT,
    "customer_id" TEXT,
    "payment_method_id" TEXT,
    "charge_id" TEXT,
    "status" TEXT NOT NULL,
    "amount" INTEGER NOT NULL,
    "currency" TEXT NOT NULL,
    "error_code" TEXT,
    "decline_code" TEXT,
    "error_message" TEXT,
    "metadata" JSONB NOT NULL DEFAULT '{}',
    "livemode" BOOLEAN NOT NULL,
    "created" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "payment_intent_outcomes_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "stripe_events_received_idx" ON "stripe_events"("received");

-- CreateIndex
CREATE INDEX "payment_intent_outcomes_platform_id_mode_created_idx" ON "payment_intent_outcomes"("platform_id", "mode", "created");

-- CreateIndex
CREATE INDEX "payment_intent_outcomes_user_id_idx" ON "payment_intent_outcomes"("user_id");

-- CreateIndex
CREATE INDEX "payment_intent_outcomes_charge_id_idx" ON "payment_intent_outcomes"("charge_id");

-- CreateIndex
CREATE INDEX "users_stripe_customer_id_idx" ON "users"("stripe_customer_id");

-- CreateIndex
CREATE INDEX "users_stripe_connect_id_idx" ON "users"("stripe_connect_id");

-- CreateIndex
CREATE INDEX "payment_methods_stripe_payment_method_id_idx" ON "payment_methods"("stripe_payment_method_id");

