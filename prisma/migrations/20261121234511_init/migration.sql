-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateEnum
CREATE TYPE "Mode" AS ENUM ('test', 'live');

-- CreateEnum
CREATE TYPE "Role" AS ENUM ('owner', 'admin', 'editor', 'member');

-- CreateEnum
CREATE TYPE "PaymentMethodType" AS ENUM ('card', 'us_bank_account');

-- CreateEnum
CREATE TYPE "ItemType" AS ENUM ('product', 'service', 'subscription');

-- CreateEnum
CREATE TYPE "Cycle" AS ENUM ('hourly', 'daily', 'weekly', 'biweekly', 'monthly', 'yearly');

-- CreateEnum
CREATE TYPE "ContractStatus" AS ENUM ('draft', 'open', 'processing', 'paid', 'void', 'uncollectible');

-- CreateEnum
CREATE TYPE "FeeType" AS ENUM ('candle:base', 'platform:base', 'stripe:cc', 'stripe:us_bank_account', 'custom');

-- CreateEnum
CREATE TYPE "DayOfWeek" AS ENUM ('monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday');

-- CreateEnum
CREATE TYPE "ResponseStatus" AS ENUM ('accepted', 'declined', 'needsAction', 'tentative');

-- CreateEnum
CREATE TYPE "TransactionType" AS ENUM ('incoming', 'outgoing', 'fee:candle', 'fee:platform', 'fee:stripe', 'incoming:refund', 'outgoing:refund', 'fee:candle:refund', 'fee:platform:refund', 'fee:stripe:refund');

-- CreateEnum
CREATE TYPE "TransactionStatus" AS ENUM ('queued', 'ready', 'processing', 'succeeded', 'failed', 'canceled', 'disputed', 'unknown');

-- CreateEnum
CREATE TYPE "DeliveryStatus" AS ENUM ('pending', 'succeeded', 'failed');

-- CreateTable
CREATE TABLE "platforms" (
    "id" TEXT NOT NULL,
    "mode" "Mode" NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT,
    "logo" TEXT,
    "url" TEXT,
    "platform_fee_bps" INTEGER NOT NULL DEFAULT 0,
    "active_subscription" TEXT,
    "waitlist_enabled" BOOLEAN NOT NULL DEFAULT false,
    "currency" TEXT NOT NULL DEFAULT 'usd',
    "created" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "platforms_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "platform_domains" (
    "domain" TEXT NOT NULL,
    "platform_id" TEXT NOT NULL,
    "mode" "Mode" NOT NULL,
    "created" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "platform_domains_pkey" PRIMARY KEY ("domain")
);

-- CreateTable
CREATE TABLE "api_keys" (
    "id" TEXT NOT NULL,
    "platform_id" TEXT NOT NULL,
    "mode" "Mode" NOT NULL,
    "name" TEXT,
    "hash" TEXT NOT NULL,
    "last4" TEXT NOT NULL,
    "last_used" TIMESTAMPTZ(3),
    "revoked" TIMESTAMPTZ(3),
    "created" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "api_keys_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "memberships" (
    "id" TEXT NOT NULL,
    "platform_id" TEXT NOT NULL,
    "mode" "Mode" NOT NULL,
    "user_id" TEXT NOT NULL,
    "role" "Role" NOT NULL DEFAULT 'member',
    "created" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "memberships_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "users" (
    "id" TEXT NOT NULL,
    "platform_id" TEXT NOT NULL,
    "mode" "Mode" NOT NULL,
    "email" TEXT,
    "username" TEXT,
    "bio" TEXT,
    "name" TEXT,
    "first_name" TEXT,
    "last_name" TEXT,
    "image" TEXT,
    "stripe_connect_id" TEXT,
    "charges_enabled" BOOLEAN NOT NULL DEFAULT false,
    "details_submitted" BOOLEAN NOT NULL DEFAULT false,
    "payout_schedule" JSONB,
    "timezone" TEXT NOT NULL DEFAULT 'UTC',
    "stripe_customer_id" TEXT,
    "authenticated" TIMESTAMPTZ(3),
    "scheduled_deletion" TIMESTAMPTZ(3),
    "deleted" TIMESTAMPTZ(3),
    "created" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "users_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "user_links" (
    "id" TEXT NOT NULL,
    "platform_id" TEXT NOT NULL,
    "mode" "Mode" NOT NULL,
    "user_id" TEXT NOT NULL,
    "label" TEXT NOT NULL,
    "url" TEXT NOT NULL,
    "created" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "user_links_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "payment_methods" (
    "id" TEXT NOT NULL,
    "platform_id" TEXT NOT NULL,
    "mode" "Mode" NOT NULL,
    "user_id" TEXT NOT NULL,
    "stripe_payment_method_id" TEXT NOT NULL,
    "type" "PaymentMethodType" NOT NULL,
    "is_default" BOOLEAN NOT NULL DEFAULT false,
    "brand" TEXT,
    "last4" TEXT,
    "account_holder_type" TEXT,
    "exp_month" INTEGER,
    "exp_year" INTEGER,
    "funding" TEXT,
    "created" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "payment_methods_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "otp_codes" (
    "id" TEXT NOT NULL,
    "platform_id" TEXT NOT NULL,
    "mode" "Mode" NOT NULL,
    "email" TEXT NOT NULL,
    "code_hash" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "expires" TIMESTAMPTZ(3) NOT NULL,
    "consumed" TIMESTAMPTZ(3),
    "ip" TEXT,
    "created" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "otp_codes_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "refresh_tokens" (
    "id" TEXT NOT NULL,
    "platform_id" TEXT NOT NULL,
    "mode" "Mode" NOT NULL,
    "user_id" TEXT NOT NULL,
    "family_id" TEXT NOT NULL,
    "token_hash" TEXT NOT NULL,
    "expires" TIMESTAMPTZ(3) NOT NULL,
    "rotated" TIMESTAMPTZ(3),
    "revoked" TIMESTAMPTZ(3),
    "created" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "refresh_tokens_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "waitlist_entries" (
    "id" TEXT NOT NULL,
    "platform_id" TEXT NOT NULL,
    "mode" "Mode" NOT NULL,
    "seq" BIGSERIAL NOT NULL,
    "email" TEXT NOT NULL,
    "name" TEXT,
    "granted" TIMESTAMPTZ(3),
    "created" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "waitlist_entries_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "media" (
    "id" TEXT NOT NULL,
    "platform_id" TEXT NOT NULL,
    "mode" "Mode" NOT NULL,
    "user_id" TEXT,
    "storage_key" TEXT NOT NULL,
    "url" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "size" INTEGER NOT NULL,
    "filename" TEXT,
    "created" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "media_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "products" (
    "id" TEXT NOT NULL,
    "platform_id" TEXT NOT NULL,
    "mode" "Mode" NOT NULL,
    "user_id" TEXT NOT NULL,
    "parent_product_id" TEXT,
    "type" "ItemType" NOT NULL DEFAULT 'product',
    "name" TEXT NOT NULL,
    "description" TEXT,
    "image" TEXT,
    "quantity" INTEGER,
    "is_enabled" BOOLEAN NOT NULL DEFAULT true,
    "archived" TIMESTAMPTZ(3),
    "category" TEXT,
    "subcategory" TEXT,
    "tags" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "price" INTEGER NOT NULL,
    "currency" TEXT NOT NULL DEFAULT 'usd',
    "cycle" "Cycle",
    "use_seasonal_prices" BOOLEAN NOT NULL DEFAULT false,
    "created" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "products_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "seasonal_prices" (
    "id" TEXT NOT NULL,
    "platform_id" TEXT NOT NULL,
    "mode" "Mode" NOT NULL,
    "product_id" TEXT NOT NULL,
    "season_start" TIMESTAMPTZ(3) NOT NULL,
    "season_end" TIMESTAMPTZ(3) NOT NULL,
    "price" INTEGER NOT NULL,
    "created" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "seasonal_prices_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "carts" (
    "id" TEXT NOT NULL,
    "platform_id" TEXT NOT NULL,
    "mode" "Mode" NOT NULL,
    "user_id" TEXT NOT NULL,
    "created" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "carts_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "cart_items" (
    "id" TEXT NOT NULL,
    "platform_id" TEXT NOT NULL,
    "mode" "Mode" NOT NULL,
    "cart_id" TEXT NOT NULL,
    "product_id" TEXT NOT NULL,
    "type" "ItemType" NOT NULL DEFAULT 'product',
    "quantity" INTEGER NOT NULL,
    "start_date" TIMESTAMPTZ(3),
    "end_date" TIMESTAMPTZ(3),
    "created" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "cart_items_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "contracts" (
    "id" TEXT NOT NULL,
    "platform_id" TEXT NOT NULL,
    "mode" "Mode" NOT NULL,
    "user_id" TEXT,
    "cart_id" TEXT,
    "notes" TEXT,
    "sent" TIMESTAMPTZ(3),
    "last_sent" TIMESTAMPTZ(3),
    "due" TIMESTAMPTZ(3),
    "last_payment_attempt" TIMESTAMPTZ(3),
    "paid" TIMESTAMPTZ(3),
    "sub_total" INTEGER NOT NULL DEFAULT 0,
    "total" INTEGER NOT NULL DEFAULT 0,
    "currency" TEXT NOT NULL DEFAULT 'usd',
    "status" "ContractStatus" NOT NULL DEFAULT 'draft',
    "include_stripe_fees" BOOLEAN NOT NULL DEFAULT false,
    "include_candle_fees" BOOLEAN NOT NULL DEFAULT false,
    "include_platform_fees" BOOLEAN NOT NULL DEFAULT false,
    "created" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "contracts_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "contract_items" (
    "id" TEXT NOT NULL,
    "platform_id" TEXT NOT NULL,
    "mode" "Mode" NOT NULL,
    "contract_id" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "type" "ItemType" NOT NULL DEFAULT 'product',
    "product_id" TEXT,
    "start_date" TIMESTAMPTZ(3),
    "end_date" TIMESTAMPTZ(3),
    "quantity" INTEGER NOT NULL,
    "price" INTEGER NOT NULL,
    "total" INTEGER NOT NULL,
    "description" TEXT,
    "created" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "contract_items_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "contract_buyers" (
    "id" TEXT NOT NULL,
    "platform_id" TEXT NOT NULL,
    "mode" "Mode" NOT NULL,
    "contract_id" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "email" TEXT,
    "name" TEXT,
    "base_amount_due" INTEGER NOT NULL DEFAULT 0,
    "amount_due" INTEGER NOT NULL DEFAULT 0,
    "amount_paid" INTEGER NOT NULL DEFAULT 0,
    "pinned" BOOLEAN NOT NULL DEFAULT false,
    "position" INTEGER NOT NULL DEFAULT 0,
    "stripe_payment_intent_id" TEXT,
    "last_payment_attempt" TIMESTAMPTZ(3),
    "created" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "contract_buyers_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "contract_sellers" (
    "id" TEXT NOT NULL,
    "platform_id" TEXT NOT NULL,
    "mode" "Mode" NOT NULL,
    "contract_id" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "email" TEXT,
    "name" TEXT,
    "base_amount_owed" INTEGER NOT NULL DEFAULT 0,
    "amount_owed" INTEGER NOT NULL DEFAULT 0,
    "amount_received" INTEGER NOT NULL DEFAULT 0,
    "pinned" BOOLEAN NOT NULL DEFAULT false,
    "position" INTEGER NOT NULL DEFAULT 0,
    "stripe_transfer_id" TEXT,
    "created" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "contract_sellers_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "contract_fees" (
    "id" TEXT NOT NULL,
    "platform_id" TEXT NOT NULL,
    "mode" "Mode" NOT NULL,
    "contract_id" TEXT NOT NULL,
    "buyer_user_id" TEXT,
    "type" "FeeType" NOT NULL,
    "amount" INTEGER NOT NULL,
    "description" TEXT,
    "created" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "contract_fees_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "subscriptions" (
    "id" TEXT NOT NULL,
    "platform_id" TEXT NOT NULL,
    "mode" "Mode" NOT NULL,
    "user_id" TEXT NOT NULL,
    "contract_id" TEXT NOT NULL,
    "service_id" TEXT,
    "price" INTEGER NOT NULL,
    "currency" TEXT NOT NULL DEFAULT 'usd',
    "is_active" BOOLEAN NOT NULL DEFAULT true,
    "is_paused" BOOLEAN NOT NULL DEFAULT false,
    "paused_at" TIMESTAMPTZ(3),
    "paused_until" TIMESTAMPTZ(3),
    "cycle" "Cycle" NOT NULL DEFAULT 'monthly',
    "start_date" TIMESTAMPTZ(3) NOT NULL,
    "current_period_start" TIMESTAMPTZ(3) NOT NULL,
    "current_period_end" TIMESTAMPTZ(3) NOT NULL,
    "past_due" BOOLEAN NOT NULL DEFAULT false,
    "failed_attempts" INTEGER NOT NULL DEFAULT 0,
    "ended" TIMESTAMPTZ(3),
    "created" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "subscriptions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "calendars" (
    "id" TEXT NOT NULL,
    "platform_id" TEXT NOT NULL,
    "mode" "Mode" NOT NULL,
    "user_id" TEXT NOT NULL,
    "name" TEXT,
    "description" TEXT,
    "google_calendar_ids" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "created" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "calendars_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "availability" (
    "id" TEXT NOT NULL,
    "platform_id" TEXT NOT NULL,
    "mode" "Mode" NOT NULL,
    "calendar_id" TEXT NOT NULL,
    "day_of_week" "DayOfWeek",
    "override_date" DATE,
    "start_time" TEXT,
    "end_time" TEXT,
    "is_unavailable" BOOLEAN NOT NULL DEFAULT false,
    "created" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "availability_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "calendar_events" (
    "id" TEXT NOT NULL,
    "platform_id" TEXT NOT NULL,
    "mode" "Mode" NOT NULL,
    "calendar_id" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "title" TEXT,
    "description" TEXT,
    "location" TEXT,
    "color" TEXT,
    "event_start" TIMESTAMPTZ(3) NOT NULL,
    "event_end" TIMESTAMPTZ(3) NOT NULL,
    "is_unavailable" BOOLEAN NOT NULL DEFAULT false,
    "cancelled" BOOLEAN NOT NULL DEFAULT false,
    "booked" BOOLEAN NOT NULL DEFAULT false,
    "confirmed" BOOLEAN NOT NULL DEFAULT false,
    "subscription_id" TEXT,
    "contract_id" TEXT,
    "created" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "calendar_events_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "event_attendees" (
    "id" TEXT NOT NULL,
    "platform_id" TEXT NOT NULL,
    "mode" "Mode" NOT NULL,
    "event_id" TEXT NOT NULL,
    "user_id" TEXT,
    "email" TEXT,
    "name" TEXT,
    "response_status" "ResponseStatus" NOT NULL DEFAULT 'needsAction',
    "created" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "event_attendees_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "transactions" (
    "id" TEXT NOT NULL,
    "platform_id" TEXT NOT NULL,
    "mode" "Mode" NOT NULL,
    "contract_id" TEXT,
    "subscription_id" TEXT,
    "buyer_user_id" TEXT,
    "seller_user_id" TEXT,
    "refund_of_id" TEXT,
    "amount" INTEGER NOT NULL,
    "amount_refunded" INTEGER NOT NULL DEFAULT 0,
    "currency" TEXT NOT NULL DEFAULT 'usd',
    "stripe_charge_id" TEXT,
    "stripe_transfer_id" TEXT,
    "stripe_refund_id" TEXT,
    "type" "TransactionType" NOT NULL,
    "status" "TransactionStatus" NOT NULL DEFAULT 'queued',
    "description" TEXT,
    "idempotency_key" TEXT,
    "created" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "transactions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "events" (
    "id" TEXT NOT NULL,
    "platform_id" TEXT NOT NULL,
    "mode" "Mode" NOT NULL,
    "type" TEXT NOT NULL,
    "object_id" TEXT NOT NULL,
    "object_type" TEXT NOT NULL,
    "data" JSONB NOT NULL,
    "request_id" TEXT,
    "created" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "events_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "webhook_endpoints" (
    "id" TEXT NOT NULL,
    "platform_id" TEXT NOT NULL,
    "mode" "Mode" NOT NULL,
    "url" TEXT NOT NULL,
    "events" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "description" TEXT,
    "secret" TEXT NOT NULL,
    "is_enabled" BOOLEAN NOT NULL DEFAULT true,
    "created" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "webhook_endpoints_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "webhook_deliveries" (
    "id" TEXT NOT NULL,
    "platform_id" TEXT NOT NULL,
    "mode" "Mode" NOT NULL,
    "endpoint_id" TEXT NOT NULL,
    "event_id" TEXT NOT NULL,
    "status" "DeliveryStatus" NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "next_attempt" TIMESTAMPTZ(3),
    "last_attempt" TIMESTAMPTZ(3),
    "response_status" INTEGER,
    "response_body" TEXT,
    "created" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "webhook_deliveries_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "idempotency_records" (
    "id" TEXT NOT NULL,
    "scope" TEXT NOT NULL,
    "platform_id" TEXT,
    "mode" "Mode",
    "key" TEXT NOT NULL,
    "method" TEXT NOT NULL,
    "path" TEXT NOT NULL,
    "request_hash" TEXT NOT NULL,
    "response_status" INTEGER,
    "response_body" TEXT,
    "completed" TIMESTAMPTZ(3),
    "expires" TIMESTAMPTZ(3) NOT NULL,
    "created" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "idempotency_records_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "platforms_mode_idx" ON "platforms"("mode");

-- CreateIndex
CREATE INDEX "platform_domains_platform_id_idx" ON "platform_domains"("platform_id");

-- CreateIndex
CREATE UNIQUE INDEX "api_keys_hash_key" ON "api_keys"("hash");

-- CreateIndex
CREATE INDEX "api_keys_platform_id_mode_idx" ON "api_keys"("platform_id", "mode");

-- CreateIndex
CREATE UNIQUE INDEX "memberships_user_id_key" ON "memberships"("user_id");

-- CreateIndex
CREATE INDEX "memberships_platform_id_mode_role_idx" ON "memberships"("platform_id", "mode", "role");

-- CreateIndex
CREATE INDEX "users_platform_id_mode_created_idx" ON "users"("platform_id", "mode", "created");

-- CreateIndex
CREATE INDEX "users_platform_id_name_idx" ON "users"("platform_id", "name");

-- CreateIndex
CREATE INDEX "users_scheduled_deletion_idx" ON "users"("scheduled_deletion");

-- CreateIndex
CREATE UNIQUE INDEX "users_platform_id_email_key" ON "users"("platform_id", "email");

-- CreateIndex
CREATE UNIQUE INDEX "users_platform_id_username_key" ON "users"("platform_id", "username");

-- CreateIndex
CREATE INDEX "user_links_user_id_idx" ON "user_links"("user_id");

-- CreateIndex
CREATE INDEX "user_links_platform_id_mode_idx" ON "user_links"("platform_id", "mode");

-- CreateIndex
CREATE INDEX "payment_methods_platform_id_mode_idx" ON "payment_methods"("platform_id", "mode");

-- CreateIndex
CREATE UNIQUE INDEX "payment_methods_user_id_stripe_payment_method_id_key" ON "payment_methods"("user_id", "stripe_payment_method_id");

-- CreateIndex
CREATE INDEX "otp_codes_platform_id_email_created_idx" ON "otp_codes"("platform_id", "email", "created");

-- CreateIndex
CREATE INDEX "otp_codes_expires_idx" ON "otp_codes"("expires");

-- CreateIndex
CREATE UNIQUE INDEX "refresh_tokens_token_hash_key" ON "refresh_tokens"("token_hash");

-- CreateIndex
CREATE INDEX "refresh_tokens_user_id_idx" ON "refresh_tokens"("user_id");

-- CreateIndex
CREATE INDEX "refresh_tokens_family_id_idx" ON "refresh_tokens"("family_id");

-- CreateIndex
CREATE INDEX "refresh_tokens_platform_id_mode_idx" ON "refresh_tokens"("platform_id", "mode");

-- CreateIndex
CREATE INDEX "waitlist_entries_platform_id_mode_seq_idx" ON "waitlist_entries"("platform_id", "mode", "seq");

-- CreateIndex
CREATE UNIQUE INDEX "waitlist_entries_platform_id_email_key" ON "waitlist_entries"("platform_id", "email");

-- CreateIndex
CREATE UNIQUE INDEX "media_storage_key_key" ON "media"("storage_key");

-- CreateIndex
CREATE INDEX "media_platform_id_mode_created_idx" ON "media"("platform_id", "mode", "created");

-- CreateIndex
CREATE INDEX "media_user_id_idx" ON "media"("user_id");

-- CreateIndex
CREATE INDEX "products_platform_id_mode_category_price_idx" ON "products"("platform_id", "mode", "category", "price");

-- CreateIndex
CREATE INDEX "products_platform_id_mode_created_idx" ON "products"("platform_id", "mode", "created");

-- CreateIndex
CREATE INDEX "products_platform_id_mode_price_idx" ON "products"("platform_id", "mode", "price");

-- CreateIndex
CREATE INDEX "products_platform_id_mode_name_idx" ON "products"("platform_id", "mode", "name");

-- CreateIndex
CREATE INDEX "products_user_id_idx" ON "products"("user_id");

-- CreateIndex
CREATE INDEX "products_parent_product_id_idx" ON "products"("parent_product_id");

-- CreateIndex
CREATE INDEX "products_tags_idx" ON "products" USING GIN ("tags");

-- CreateIndex
CREATE INDEX "seasonal_prices_product_id_season_start_idx" ON "seasonal_prices"("product_id", "season_start");

-- CreateIndex
CREATE INDEX "seasonal_prices_platform_id_mode_idx" ON "seasonal_prices"("platform_id", "mode");

-- CreateIndex
CREATE UNIQUE INDEX "carts_user_id_key" ON "carts"("user_id");

-- CreateIndex
CREATE INDEX "carts_platform_id_mode_idx" ON "carts"("platform_id", "mode");

-- CreateIndex
CREATE INDEX "cart_items_cart_id_idx" ON "cart_items"("cart_id");

-- CreateIndex
CREATE INDEX "cart_items_product_id_idx" ON "cart_items"("product_id");

-- CreateIndex
CREATE INDEX "cart_items_platform_id_mode_idx" ON "cart_items"("platform_id", "mode");

-- CreateIndex
CREATE INDEX "contracts_platform_id_mode_status_created_idx" ON "contracts"("platform_id", "mode", "status", "created");

-- CreateIndex
CREATE INDEX "contracts_platform_id_mode_due_idx" ON "contracts"("platform_id", "mode", "due");

-- CreateIndex
CREATE INDEX "contracts_platform_id_mode_created_idx" ON "contracts"("platform_id", "mode", "created");

-- CreateIndex
CREATE INDEX "contracts_user_id_idx" ON "contracts"("user_id");

-- CreateIndex
CREATE INDEX "contracts_cart_id_idx" ON "contracts"("cart_id");

-- CreateIndex
CREATE INDEX "contract_items_contract_id_idx" ON "contract_items"("contract_id");

-- CreateIndex
CREATE INDEX "contract_items_user_id_idx" ON "contract_items"("user_id");

-- CreateIndex
CREATE INDEX "contract_items_product_id_idx" ON "contract_items"("product_id");

-- CreateIndex
CREATE INDEX "contract_items_platform_id_mode_idx" ON "contract_items"("platform_id", "mode");

-- CreateIndex
CREATE INDEX "contract_buyers_user_id_idx" ON "contract_buyers"("user_id");

-- CreateIndex
CREATE INDEX "contract_buyers_platform_id_mode_user_id_idx" ON "contract_buyers"("platform_id", "mode", "user_id");

-- CreateIndex
CREATE UNIQUE INDEX "contract_buyers_contract_id_user_id_key" ON "contract_buyers"("contract_id", "user_id");

-- CreateIndex
CREATE INDEX "contract_sellers_user_id_idx" ON "contract_sellers"("user_id");

-- CreateIndex
CREATE INDEX "contract_sellers_platform_id_mode_user_id_idx" ON "contract_sellers"("platform_id", "mode", "user_id");

-- CreateIndex
CREATE UNIQUE INDEX "contract_sellers_contract_id_user_id_key" ON "contract_sellers"("contract_id", "user_id");

-- CreateIndex
CREATE INDEX "contract_fees_contract_id_idx" ON "contract_fees"("contract_id");

-- CreateIndex
CREATE INDEX "contract_fees_platform_id_mode_type_idx" ON "contract_fees"("platform_id", "mode", "type");

-- CreateIndex
CREATE INDEX "subscriptions_user_id_idx" ON "subscriptions"("user_id");

-- CreateIndex
CREATE INDEX "subscriptions_contract_id_idx" ON "subscriptions"("contract_id");

-- CreateIndex
CREATE INDEX "subscriptions_service_id_idx" ON "subscriptions"("service_id");

-- CreateIndex
CREATE INDEX "subscriptions_platform_id_mode_is_active_current_period_end_idx" ON "subscriptions"("platform_id", "mode", "is_active", "current_period_end");

-- CreateIndex
CREATE UNIQUE INDEX "calendars_user_id_key" ON "calendars"("user_id");

-- CreateIndex
CREATE INDEX "calendars_platform_id_mode_idx" ON "calendars"("platform_id", "mode");

-- CreateIndex
CREATE INDEX "availability_calendar_id_idx" ON "availability"("calendar_id");

-- CreateIndex
CREATE INDEX "availability_platform_id_mode_idx" ON "availability"("platform_id", "mode");

-- CreateIndex
CREATE INDEX "calendar_events_calendar_id_event_start_idx" ON "calendar_events"("calendar_id", "event_start");

-- CreateIndex
CREATE INDEX "calendar_events_user_id_idx" ON "calendar_events"("user_id");

-- CreateIndex
CREATE INDEX "calendar_events_subscription_id_idx" ON "calendar_events"("subscription_id");

-- CreateIndex
CREATE INDEX "calendar_events_contract_id_idx" ON "calendar_events"("contract_id");

-- CreateIndex
CREATE INDEX "calendar_events_platform_id_mode_idx" ON "calendar_events"("platform_id", "mode");

-- CreateIndex
CREATE INDEX "event_attendees_event_id_idx" ON "event_attendees"("event_id");

-- CreateIndex
CREATE INDEX "event_attendees_user_id_idx" ON "event_attendees"("user_id");

-- CreateIndex
CREATE INDEX "event_attendees_platform_id_mode_idx" ON "event_attendees"("platform_id", "mode");

-- CreateIndex
CREATE UNIQUE INDEX "transactions_idempotency_key_key" ON "transactions"("idempotency_key");

-- CreateIndex
CREATE INDEX "transactions_platform_id_mode_created_idx" ON "transactions"("platform_id", "mode", "created");

-- CreateIndex
CREATE INDEX "transactions_platform_id_mode_type_status_created_idx" ON "transactions"("platform_id", "mode", "type", "status", "created");

-- CreateIndex
CREATE INDEX "transactions_platform_id_mode_seller_user_id_created_idx" ON "transactions"("platform_id", "mode", "seller_user_id", "created");

-- CreateIndex
CREATE INDEX "transactions_platform_id_mode_buyer_user_id_created_idx" ON "transactions"("platform_id", "mode", "buyer_user_id", "created");

-- CreateIndex
CREATE INDEX "transactions_contract_id_idx" ON "transactions"("contract_id");

-- CreateIndex
CREATE INDEX "transactions_subscription_id_idx" ON "transactions"("subscription_id");

-- CreateIndex
CREATE INDEX "transactions_refund_of_id_idx" ON "transactions"("refund_of_id");

-- CreateIndex
CREATE INDEX "events_platform_id_mode_created_idx" ON "events"("platform_id", "mode", "created");

-- CreateIndex
CREATE INDEX "events_platform_id_mode_type_created_idx" ON "events"("platform_id", "mode", "type", "created");

-- CreateIndex
CREATE INDEX "events_object_id_idx" ON "events"("object_id");

-- CreateIndex
CREATE INDEX "webhook_endpoints_platform_id_mode_idx" ON "webhook_endpoints"("platform_id", "mode");

-- CreateIndex
CREATE INDEX "webhook_deliveries_endpoint_id_status_created_idx" ON "webhook_deliveries"("endpoint_id", "status", "created");

-- CreateIndex
CREATE INDEX "webhook_deliveries_event_id_idx" ON "webhook_deliveries"("event_id");

-- CreateIndex
CREATE INDEX "webhook_deliveries_platform_id_mode_idx" ON "webhook_deliveries"("platform_id", "mode");

-- CreateIndex
CREATE UNIQUE INDEX "webhook_deliveries_endpoint_id_event_id_key" ON "webhook_deliveries"("endpoint_id", "event_id");

-- CreateIndex
CREATE INDEX "idempotency_records_platform_id_idx" ON "idempotency_records"("platform_id");

-- CreateIndex
CREATE INDEX "idempotency_records_expires_idx" ON "idempotency_records"("expires");

-- CreateIndex
CREATE UNIQUE INDEX "idempotency_records_scope_key_key" ON "idempotency_records"("scope", "key");

-- AddForeignKey
ALTER TABLE "platform_domains" ADD CONSTRAINT "platform_domains_platform_id_fkey" FOREIGN KEY ("platform_id") REFERENCES "platforms"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_platform_id_fkey" FOREIGN KEY ("platform_id") REFERENCES "platforms"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "memberships" ADD CONSTRAINT "memberships_platform_id_fkey" FOREIGN KEY ("platform_id") REFERENCES "platforms"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "memberships" ADD CONSTRAINT "memberships_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "users" ADD CONSTRAINT "users_platform_id_fkey" FOREIGN KEY ("platform_id") REFERENCES "platforms"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "user_links" ADD CONSTRAINT "user_links_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "payment_methods" ADD CONSTRAINT "payment_methods_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "refresh_tokens" ADD CONSTRAINT "refresh_tokens_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "media" ADD CONSTRAINT "media_platform_id_fkey" FOREIGN KEY ("platform_id") REFERENCES "platforms"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "products" ADD CONSTRAINT "products_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "products" ADD CONSTRAINT "products_parent_product_id_fkey" FOREIGN KEY ("parent_product_id") REFERENCES "products"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "seasonal_prices" ADD CONSTRAINT "seasonal_prices_product_id_fkey" FOREIGN KEY ("product_id") REFERENCES "products"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "carts" ADD CONSTRAINT "carts_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "cart_items" ADD CONSTRAINT "cart_items_cart_id_fkey" FOREIGN KEY ("cart_id") REFERENCES "carts"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "cart_items" ADD CONSTRAINT "cart_items_product_id_fkey" FOREIGN KEY ("product_id") REFERENCES "products"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "contract_items" ADD CONSTRAINT "contract_items_contract_id_fkey" FOREIGN KEY ("contract_id") REFERENCES "contracts"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "contract_buyers" ADD CONSTRAINT "contract_buyers_contract_id_fkey" FOREIGN KEY ("contract_id") REFERENCES "contracts"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "contract_sellers" ADD CONSTRAINT "contract_sellers_contract_id_fkey" FOREIGN KEY ("contract_id") REFERENCES "contracts"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "contract_fees" ADD CONSTRAINT "contract_fees_contract_id_fkey" FOREIGN KEY ("contract_id") REFERENCES "contracts"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "subscriptions" ADD CONSTRAINT "subscriptions_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "subscriptions" ADD CONSTRAINT "subscriptions_contract_id_fkey" FOREIGN KEY ("contract_id") REFERENCES "contracts"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "calendars" ADD CONSTRAINT "calendars_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "availability" ADD CONSTRAINT "availability_calendar_id_fkey" FOREIGN KEY ("calendar_id") REFERENCES "calendars"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "calendar_events" ADD CONSTRAINT "calendar_events_calendar_id_fkey" FOREIGN KEY ("calendar_id") REFERENCES "calendars"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "event_attendees" ADD CONSTRAINT "event_attendees_event_id_fkey" FOREIGN KEY ("event_id") REFERENCES "calendar_events"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "webhook_deliveries_endpoint_id_fkey" FOREIGN KEY ("endpoint_id") REFERENCES "webhook_endpoints"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "idempotency_records" ADD CONSTRAINT "idempotency_records_platform_id_fkey" FOREIGN KEY ("platform_id") REFERENCES "platforms"("id") ON DELETE CASCADE ON UPDATE CASCADE;

