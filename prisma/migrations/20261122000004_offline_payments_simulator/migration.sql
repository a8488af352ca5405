-- CreateTable
CREATE TABLE "sim_customers" (
    "id" TEXT NOT NULL,
    "email" TEXT NOT NULL,
    "name" TEXT,
    "metadata" JSONB NOT NULL DEFAULT '{}',
    "default_payment_method_id" TEXT,
    "created" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "sim_customers_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "sim_payment_methods" (
    "id" TEXT NOT NULL,
    "customer_id" TEXT,
    "token" TEXT NOT NULL,
    "type" "PaymentMethodType" NOT NULL,
    "brand" TEXT,
    "last4" TEXT NOT NULL,
    "exp_month" INTEGER,
    "exp_year" INTEGER,
    "funding" TEXT,
    "account_holder_type" TEXT,
    "detached" TIMESTAMPTZ(3),
    "created" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "sim_payment_methods_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "sim_setup_intents" (
    "id" TEXT NOT NULL,
    "customer_id" TEXT NOT NULL,
    "client_secret" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "created" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "sim_setup_intents_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "sim_payment_intents" (
    "id" TEXT NOT NULL,
    "customer_id" TEXT NOT NULL,
    "payment_method_id" TEXT NOT NULL,
    "amount" INTEGER NOT NULL,
    "currency" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "charge_id" TEXT NOT NULL,
    "charge_succeeded" BOOLEAN NOT NULL,
    "amount_refunded" INTEGER NOT NULL DEFAULT 0,
    "amount_transferred" INTEGER NOT NULL DEFAULT 0,
    "transfer_group" TEXT,
    "metadata" JSONB NOT NULL DEFAULT '{}',
    "error_code" TEXT,
    "decline_code" TEXT,
    "error_message" TEXT,
    "created" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "sim_payment_intents_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "sim_refunds" (
    "id" TEXT NOT NULL,
    "payment_intent_id" TEXT NOT NULL,
    "amount" INTEGER NOT NULL,
    "status" TEXT NOT NULL,
    "metadata" JSONB NOT NULL DEFAULT '{}',
    "created" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "sim_refunds_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "sim_accounts" (
    "id" TEXT NOT NULL,
    "email" TEXT NOT NULL,
    "metadata" JSONB NOT NULL DEFAULT '{}',
    "charges_enabled" BOOLEAN NOT NULL DEFAULT false,
    "details_submitted" BOOLEAN NOT NULL DEFAULT false,
    "payout_interval" TEXT,
    "payout_delay_days" INTEGER,
    "payout_weekly_anchor" TEXT,
    "payout_monthly_anchor" INTEGER,
    "bank_last4" TEXT,
    "created" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "sim_accounts_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "sim_account_links" (
    "id" TEXT NOT NULL,
    "account_id" TEXT NOT NULL,
    "token_hash" TEXT NOT NULL,
    "refresh_url" TEXT NOT NULL,
    "return_url" TEXT NOT NULL,
    "expires" TIMESTAMPTZ(3) NOT NULL,
    "used" TIMESTAMPTZ(3),
    "created" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "sim_account_links_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "sim_transfers" (
    "id" TEXT NOT NULL,
    "amount" INTEGER NOT NULL,
    "currency" TEXT NOT NULL,
    "destination_id" TEXT NOT NULL,
    "transfer_group" TEXT,
    "source_transaction" TEXT,
    "amount_reversed" INTEGER NOT NULL DEFAULT 0,
    "metadata" JSONB NOT NULL DEFAULT '{}',
    "created" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "sim_transfers_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "sim_transfer_reversals" (
    "id" TEXT NOT NULL,
    "transfer_id" TEXT NOT NULL,
    "amount" INTEGER NOT NULL,
    "created" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "sim_transfer_reversals_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "sim_idempotency_keys" (
    "key" TEXT NOT NULL,
    "operation" TEXT NOT NULL,
    "request_hash" TEXT NOT NULL,
    "outcome" JSONB NOT NULL,
    "created" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "sim_idempotency_keys_pkey" PRIMARY KEY ("key")
);

-- CreateIndex
CREATE INDEX "sim_payment_methods_customer_id_idx" ON "sim_payment_methods"("customer_id");

-- CreateIndex
CREATE UNIQUE INDEX "sim_setup_intents_client_secret_key" ON "sim_setup_intents"("client_secret");

-- CreateIndex
CREATE INDEX "sim_setup_intents_customer_id_idx" ON "sim_setup_intents"("customer_id");

-- CreateIndex
CREATE UNIQUE INDEX "sim_payment_intents_charge_id_key" ON "sim_payment_intents"("charge_id");

-- CreateIndex
CREATE INDEX "sim_payment_intents_customer_id_idx" ON "sim_payment_intents"("customer_id");

-- CreateIndex
CREATE INDEX "sim_payment_intents_payment_method_id_idx" ON "sim_payment_intents"("payment_method_id");

-- CreateIndex
CREATE INDEX "sim_refunds_payment_intent_id_idx" ON "sim_refunds"("payment_intent_id");

-- CreateIndex
CREATE UNIQUE INDEX "sim_account_links_token_hash_key" ON "sim_account_links"("token_hash");

-- CreateIndex
CREATE INDEX "sim_account_links_account_id_idx" ON "sim_account_links"("account_id");

-- CreateIndex
CREATE INDEX "sim_transfers_destination_id_idx" ON "sim_transfers"("destination_id");

-- CreateIndex
CREATE INDEX "sim_transfers_source_transaction_idx" ON "sim_transfers"("source_transaction");

-- CreateIndex
CREATE INDEX "sim_transfer_reversals_transfer_id_idx" ON "sim_transfer_reversals"("transfer_id");

-- CreateIndex
CREATE INDEX "sim_idempotency_keys_created_idx" ON "sim_idempotency_keys"("created");

-- AddForeignKey
ALTER TABLE "sim_payment_methods" ADD CONSTRAINT "sim_payment_methods_customer_id_fkey" FOREIGN KEY ("customer_id") REFERENCES "sim_customers"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "sim_setup_intents" ADD CONSTRAINT "sim_setup_intents_customer_id_fkey" FOREIGN KEY ("customer_id") REFERENCES "sim_customers"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "sim_payment_intents" ADD CONSTRAINT "sim_payment_intents_customer_id_fkey" FOREIGN KEY ("customer_id") REFERENCES "sim_customers"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "sim_payment_intents" ADD CONSTRAINT "sim_payment_intents_payment_method_id_fkey" FOREIGN KEY ("payment_method_id") REFERENCES "sim_payment_methods"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "sim_refunds" ADD CONSTRAINT "sim_refunds_payment_intent_id_fkey" FOREIGN KEY ("payment_intent_id") REFERENCES "sim_payment_intents"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "sim_account_links" ADD CONSTRAINT "sim_account_links_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "sim_accounts"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "sim_transfers" ADD CONSTRAINT "sim_transfers_destination_id_fkey" FOREIGN KEY ("destination_id") REFERENCES "sim_accounts"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "sim_transfer_reversals" ADD CONSTRAINT "sim_transfer_reversals_transfer_id_fkey" FOREIGN KEY ("transfer_id") REFERENCES "sim_transfers"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

