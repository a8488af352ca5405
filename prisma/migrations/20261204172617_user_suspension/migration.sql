-- AlterTable
ALTER TABLE "users" ADD COLUMN     "suspended" TIMESTAMPTZ(3);

