-- CreateTable
CREATE TABLE "sim_payouts" (
    "id" TEXT NOT NULL,
    "account_id" TEXT NOT NULL,
    "amount" INTEGER NOT NULL,
    "currency" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "automatic" BOOLEAN NOT NULL,
    "arrival_date" TIMESTAMPTZ(3) NOT NULL,
    "failure_code" TEXT,
    "metadata" JSONB NOT NULL DEFAULT '{}',
    "created" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "sim_payouts_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "payouts" (
    "id" TEXT NOT NULL,
    "platform_id" TEXT NOT NULL,
    "mode" "Mode" NOT NULL,
    "user_id" TEXT NOT NULL,
    "stripe_payout_id" TEXT NOT NULL,
    "stripe_account_id" TEXT NOT NULL,
    "amount" INTEGER NOT NULL,
    "currency" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "automatic" BOOLEAN NOT NULL,
    "arrival_date" TIMESTAMPTZ(3) NOT NULL,
    "failure_code" TEXT,
    "failure_message" TEXT,
    "created" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "payouts_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "payout_settings" (
    "id" TEXT NOT NULL,
    "platform_id" TEXT NOT NULL,
    "mode" "Mode" NOT NULL,
    "user_id" TEXT NOT NULL,
    "measurement" TEXT NOT NULL,
    "frequency" INTEGER NOT NULL,
    "threshold" INTEGER,
    "created" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "payout_settings_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "sim_payouts_account_id_idx" ON "sim_payouts"("account_id");

-- CreateIndex
CREATE UNIQUE INDEX "payouts_stripe_payout_id_key" ON "payouts"("stripe_payout_id");

-- CreateIndex
CREATE INDEX "payouts_platform_id_mode_created_idx" ON "payouts"("platform_id", "mode", "created");

-- CreateIndex
CREATE INDEX "payouts_platform_id_mode_user_id_created_idx" ON "payouts"("platform_id", "mode", "user_id", "created");

-- CreateIndex
CREATE UNIQUE INDEX "payout_settings_user_id_key" ON "payout_settings"("user_id");

-- CreateIndex
CREATE INDEX "payout_settings_platform_id_mode_idx" ON "payout_settings"("platform_id", "mode");

-- CreateIndex
CREATE INDEX "payout_settings_threshold_idx" ON "payout_settings"("threshold");


ALTER TABLE "payouts" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "payouts" FORCE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "payouts" USING (platform_id = (SELECT current_setting('app.platform_id', true)) AND mode = (SELECT nullif(current_setting('app.mode', true), '')::"Mode"));
CREATE POLICY "system_scope" ON "payouts" TO candle_system USING (true) WITH CHECK (true);

ALTER TABLE "payout_settings" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "payout_settings" FORCE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "payout_settings" USING (platform_id = (SELECT current_setting('app.platform_id', true)) AND mode = (SELECT nullif(current_setting('app.mode', true), '')::"Mode"));
CREATE POLICY "system_scope" ON "payout_settings" TO candle_system USING (true) WITH CHECK (true);
