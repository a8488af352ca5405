-- AlterEnum
ALTER TYPE "Role" ADD VALUE 'collaborator';

-- CreateTable
CREATE TABLE "collaborators" (
    "id" TEXT NOT NULL,
    "platform_id" TEXT NOT NULL,
    "mode" "Mode" NOT NULL,
    "user_id" TEXT,
    "account_name" TEXT NOT NULL,
    "first_name" TEXT,
    "last_name" TEXT,
    "email" TEXT,
    "is_managed" BOOLEAN NOT NULL DEFAULT false,
    "paypal_email" TEXT,
    "currency" TEXT NOT NULL,
    "payout_measurement" TEXT NOT NULL,
    "payout_frequency" INTEGER NOT NULL,
    "payout_threshold" INTEGER,
    "permissions" JSONB NOT NULL,
    "managed_by" "Role" NOT NULL,
    "created" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "collaborators_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "collaborators_user_id_key" ON "collaborators"("user_id");

-- CreateIndex
CREATE INDEX "collaborators_platform_id_mode_created_id_idx" ON "collaborators"("platform_id", "mode", "created", "id");

-- Tenant table: row-level security on and forced, with the two policies every tenant table has
-- (docs/tenancy.md).
ALTER TABLE "collaborators" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "collaborators" FORCE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "collaborators" USING (platform_id = (SELECT current_setting('app.platform_id', true)) AND mode = (SELECT nullif(current_setting('app.mode', true), '')::"Mode"));
CREATE POLICY "system_scope" ON "collaborators" TO candle_system USING (true) WITH CHECK (true);
