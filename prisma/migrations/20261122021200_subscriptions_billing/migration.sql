-- CreateEnum
CREATE TYPE "SubscriptionChargeStatus" AS ENUM ('open', 'paid', 'void');

-- AlterTable
ALTER TABLE "subscriptions" ADD COLUMN     "incomplete" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "next_attempt_at" TIMESTAMPTZ(3),
ADD COLUMN     "period_index" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "terms" JSONB NOT NULL DEFAULT '{}';

-- CreateTable
CREATE TABLE "subscription_charges" (
    "id" TEXT NOT NULL,
    "platform_id" TEXT NOT NULL,
    "mode" "Mode" NOT NULL,
    "subscription_id" TEXT NOT NULL,
    "period" INTEGER NOT NULL,
    "period_start" TIMESTAMPTZ(3) NOT NULL,
    "period_end" TIMESTAMPTZ(3) NOT NULL,
    "transfer_group" TEXT NOT NULL,
    "amount" INTEGER NOT NULL,
    "currency" TEXT NOT NULL,
    "status" "SubscriptionChargeStatus" NOT NULL DEFAULT 'open',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "attempt_payment_method_id" TEXT,
    "stripe_payment_intent_id" TEXT,
    "stripe_charge_id" TEXT,
    "transfers" JSONB NOT NULL DEFAULT '[]',
    "lease_id" TEXT,
    "locked_until" TIMESTAMPTZ(3),
    "last_attempt" TIMESTAMPTZ(3),
    "paid" TIMESTAMPTZ(3),
    "created" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "subscription_charges_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "subscription_charges_transfer_group_key" ON "subscription_charges"("transfer_group");

-- CreateIndex
CREATE INDEX "subscription_charges_platform_id_mode_created_idx" ON "subscription_charges"("platform_id", "mode", "created");

-- CreateIndex
CREATE UNIQUE INDEX "subscription_charges_subscription_id_period_key" ON "subscription_charges"("subscription_id", "period");

-- CreateIndex
CREATE INDEX "subscriptions_platform_id_mode_user_id_created_idx" ON "subscriptions"("platform_id", "mode", "user_id", "created");

-- CreateIndex
CREATE INDEX "subscriptions_next_attempt_at_idx" ON "subscriptions"("next_attempt_at");

-- CreateIndex
CREATE INDEX "subscriptions_is_paused_paused_until_idx" ON "subscriptions"("is_paused", "paused_until");

-- AddForeignKey
ALTER TABLE "subscription_charges" ADD CONSTRAINT "subscription_charges_subscription_id_fkey" FOREIGN KEY ("subscription_id") REFERENCES "subscriptions"("id") ON DELETE CASCADE ON UPDATE CASCADE;

