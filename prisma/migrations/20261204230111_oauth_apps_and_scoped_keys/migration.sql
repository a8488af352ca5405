-- AlterTable
ALTER TABLE "api_keys" ADD COLUMN     "scopes" TEXT[] DEFAULT ARRAY[]::TEXT[];

-- CreateTable
CREATE TABLE "oauth_apps" (
    "id" TEXT NOT NULL,
    "platform_id" TEXT NOT NULL,
    "mode" "Mode" NOT NULL,
    "name" TEXT NOT NULL,
    "logo" TEXT,
    "redirect_uris" TEXT[],
    "scopes" TEXT[],
    "secret_sealed" TEXT NOT NULL,
    "secret_last4" TEXT NOT NULL,
    "created" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "oauth_apps_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "oauth_payloads" (
    "type" TEXT NOT NULL,
    "id" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "grant_id" TEXT,
    "uid" TEXT,
    "user_code" TEXT,
    "expires_at" TIMESTAMPTZ(3),
    "consumed_at" TIMESTAMPTZ(3),

    CONSTRAINT "oauth_payloads_pkey" PRIMARY KEY ("type","id")
);

-- CreateIndex
CREATE INDEX "oauth_apps_platform_id_mode_created_id_idx" ON "oauth_apps"("platform_id", "mode", "created", "id");

-- CreateIndex
CREATE INDEX "oauth_payloads_grant_id_idx" ON "oauth_payloads"("grant_id");

-- CreateIndex
CREATE INDEX "oauth_payloads_uid_idx" ON "oauth_payloads"("uid");

-- CreateIndex
CREATE INDEX "oauth_payloads_expires_at_idx" ON "oauth_payloads"("expires_at");


-- Apps are a platform's data: row-level security as on every tenant table (docs/tenancy.md).
ALTER TABLE "oauth_apps" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "oauth_apps" FORCE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "oauth_apps" USING (platform_id = (SELECT current_setting('app.platform_id', true)) AND mode = (SELECT nullif(current_setting('app.mode', true), '')::"Mode"));
CREATE POLICY "system_scope" ON "oauth_apps" TO candle_system USING (true) WITH CHECK (true);
