-- AlterTable
ALTER TABLE "platforms" ADD COLUMN     "subscription_plan" TEXT,
ADD COLUMN     "subscription_required" BOOLEAN NOT NULL DEFAULT false;

-- AlterTable
ALTER TABLE "products" ADD COLUMN     "members_only" BOOLEAN NOT NULL DEFAULT false;

-- AlterTable
ALTER TABLE "subscriptions" ADD COLUMN     "billed_platform_id" TEXT;

-- CreateIndex
CREATE INDEX "subscriptions_billed_platform_id_idx" ON "subscriptions"("billed_platform_id");

