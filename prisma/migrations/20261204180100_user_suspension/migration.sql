-- AlterTable
ALTER TABLE "users" ADD COLUMN     "suspended" TIMESTAMPTZ(3);

-- AlterTable
ALTER TABLE "subscriptions" ADD COLUMN     "pause_reason" TEXT;

