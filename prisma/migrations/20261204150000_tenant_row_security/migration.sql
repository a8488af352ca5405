-- Row-level security: each tenant table shows a connection only the rows of the platform and mode
-- in its `app.platform_id` / `app.mode` settings, which the application's pool sets from the
-- running code's tenant scope (src/db/tenant.ts, docs/tenancy.md). Unset settings match nothing,
-- so code outside any scope sees no tenant rows. `app.platform_id = '*'` is the system scope:
-- cross-tenant work (jobs, provider webhooks, credential lookups, the CLI).
--
-- FORCE applies the policies to the tables' owner too; only superusers and BYPASSRLS roles skip
-- them. The application connects as a role that is neither (candle_app with the embedded server).
-- The settings are read through scalar sub-selects so each is evaluated once per query.

ALTER TABLE "platform_domains" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "platform_domains" FORCE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "platform_domains"
  USING ((SELECT current_setting('app.platform_id', true)) = '*'
    OR (platform_id = (SELECT current_setting('app.platform_id', true)) AND mode::text = (SELECT current_setting('app.mode', true))));

ALTER TABLE "api_keys" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "api_keys" FORCE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "api_keys"
  USING ((SELECT current_setting('app.platform_id', true)) = '*'
    OR (platform_id = (SELECT current_setting('app.platform_id', true)) AND mode::text = (SELECT current_setting('app.mode', true))));

ALTER TABLE "memberships" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "memberships" FORCE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "memberships"
  USING ((SELECT current_setting('app.platform_id', true)) = '*'
    OR (platform_id = (SELECT current_setting('app.platform_id', true)) AND mode::text = (SELECT current_setting('app.mode', true))));

ALTER TABLE "users" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "users" FORCE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "users"
  USING ((SELECT current_setting('app.platform_id', true)) = '*'
    OR (platform_id = (SELECT current_setting('app.platform_id', true)) AND mode::text = (SELECT current_setting('app.mode', true))));

ALTER TABLE "user_links" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "user_links" FORCE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "user_links"
  USING ((SELECT current_setting('app.platform_id', true)) = '*'
    OR (platform_id = (SELECT current_setting('app.platform_id', true)) AND mode::text = (SELECT current_setting('app.mode', true))));

ALTER TABLE "payment_methods" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "payment_methods" FORCE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "payment_methods"
  USING ((SELECT current_setting('app.platform_id', true)) = '*'
    OR (platform_id = (SELECT current_setting('app.platform_id', true)) AND mode::text = (SELECT current_setting('app.mode', true))));

ALTER TABLE "otp_codes" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "otp_codes" FORCE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "otp_codes"
  USING ((SELECT current_setting('app.platform_id', true)) = '*'
    OR (platform_id = (SELECT current_setting('app.platform_id', true)) AND mode::text = (SELECT current_setting('app.mode', true))));

ALTER TABLE "refresh_tokens" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "refresh_tokens" FORCE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "refresh_tokens"
  USING ((SELECT current_setting('app.platform_id', true)) = '*'
    OR (platform_id = (SELECT current_setting('app.platform_id', true)) AND mode::text = (SELECT current_setting('app.mode', true))));

ALTER TABLE "waitlist_entries" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "waitlist_entries" FORCE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "waitlist_entries"
  USING ((SELECT current_setting('app.platform_id', true)) = '*'
    OR (platform_id = (SELECT current_setting('app.platform_id', true)) AND mode::text = (SELECT current_setting('app.mode', true))));

ALTER TABLE "media" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "media" FORCE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "media"
  USING ((SELECT current_setting('app.platform_id', true)) = '*'
    OR (platform_id = (SELECT current_setting('app.platform_id', true)) AND mode::text = (SELECT current_setting('app.mode', true))));

ALTER TABLE "products" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "products" FORCE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "products"
  USING ((SELECT current_setting('app.platform_id', true)) = '*'
    OR (platform_id = (SELECT current_setting('app.platform_id', true)) AND mode::text = (SELECT current_setting('app.mode', true))));

ALTER TABLE "seasonal_prices" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "seasonal_prices" FORCE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "seasonal_prices"
  USING ((SELECT current_setting('app.platform_id', true)) = '*'
    OR (platform_id = (SELECT current_setting('app.platform_id', true)) AND mode::text = (SELECT current_setting('app.mode', true))));

ALTER TABLE "carts" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "carts" FORCE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "carts"
  USING ((SELECT current_setting('app.platform_id', true)) = '*'
    OR (platform_id = (SELECT current_setting('app.platform_id', true)) AND mode::text = (SELECT current_setting('app.mode', true))));

ALTER TABLE "cart_items" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "cart_items" FORCE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "cart_items"
  USING ((SELECT current_setting('app.platform_id', true)) = '*'
    OR (platform_id = (SELECT current_setting('app.platform_id', true)) AND mode::text = (SELECT current_setting('app.mode', true))));

ALTER TABLE "contracts" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "contracts" FORCE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "contracts"
  USING ((SELECT current_setting('app.platform_id', true)) = '*'
    OR (platform_id = (SELECT current_setting('app.platform_id', true)) AND mode::text = (SELECT current_setting('app.mode', true))));

ALTER TABLE "contract_items" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "contract_items" FORCE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "contract_items"
  USING ((SELECT current_setting('app.platform_id', true)) = '*'
    OR (platform_id = (SELECT current_setting('app.platform_id', true)) AND mode::text = (SELECT current_setting('app.mode', true))));

ALTER TABLE "contract_buyers" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "contract_buyers" FORCE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "contract_buyers"
  USING ((SELECT current_setting('app.platform_id', true)) = '*'
    OR (platform_id = (SELECT current_setting('app.platform_id', true)) AND mode::text = (SELECT current_setting('app.mode', true))));

ALTER TABLE "contract_sellers" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "contract_sellers" FORCE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "contract_sellers"
  USING ((SELECT current_setting('app.platform_id', true)) = '*'
    OR (platform_id = (SELECT current_setting('app.platform_id', true)) AND mode::text = (SELECT current_setting('app.mode', true))));

ALTER TABLE "contract_fees" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "contract_fees" FORCE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "contract_fees"
  USING ((SELECT current_setting('app.platform_id', true)) = '*'
    OR (platform_id = (SELECT current_setting('app.platform_id', true)) AND mode::text = (SELECT current_setting('app.mode', true))));

ALTER TABLE "subscriptions" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "subscriptions" FORCE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "subscriptions"
  USING ((SELECT current_setting('app.platform_id', true)) = '*'
    OR (platform_id = (SELECT current_setting('app.platform_id', true)) AND mode::text = (SELECT current_setting('app.mode', true))));

ALTER TABLE "subscription_charges" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "subscription_charges" FORCE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "subscription_charges"
  USING ((SELECT current_setting('app.platform_id', true)) = '*'
    OR (platform_id = (SELECT current_setting('app.platform_id', true)) AND mode::text = (SELECT current_setting('app.mode', true))));

ALTER TABLE "calendars" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "calendars" FORCE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "calendars"
  USING ((SELECT current_setting('app.platform_id', true)) = '*'
    OR (platform_id = (SELECT current_setting('app.platform_id', true)) AND mode::text = (SELECT current_setting('app.mode', true))));

ALTER TABLE "availability" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "availability" FORCE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "availability"
  USING ((SELECT current_setting('app.platform_id', true)) = '*'
    OR (platform_id = (SELECT current_setting('app.platform_id', true)) AND mode::text = (SELECT current_setting('app.mode', true))));

ALTER TABLE "calendar_events" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "calendar_events" FORCE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "calendar_events"
  USING ((SELECT current_setting('app.platform_id', true)) = '*'
    OR (platform_id = (SELECT current_setting('app.platform_id', true)) AND mode::text = (SELECT current_setting('app.mode', true))));

ALTER TABLE "event_attendees" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "event_attendees" FORCE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "event_attendees"
  USING ((SELECT current_setting('app.platform_id', true)) = '*'
    OR (platform_id = (SELECT current_setting('app.platform_id', true)) AND mode::text = (SELECT current_setting('app.mode', true))));

ALTER TABLE "transactions" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "transactions" FORCE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "transactions"
  USING ((SELECT current_setting('app.platform_id', true)) = '*'
    OR (platform_id = (SELECT current_setting('app.platform_id', true)) AND mode::text = (SELECT current_setting('app.mode', true))));

ALTER TABLE "events" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "events" FORCE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "events"
  USING ((SELECT current_setting('app.platform_id', true)) = '*'
    OR (platform_id = (SELECT current_setting('app.platform_id', true)) AND mode::text = (SELECT current_setting('app.mode', true))));

ALTER TABLE "webhook_endpoints" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "webhook_endpoints" FORCE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "webhook_endpoints"
  USING ((SELECT current_setting('app.platform_id', true)) = '*'
    OR (platform_id = (SELECT current_setting('app.platform_id', true)) AND mode::text = (SELECT current_setting('app.mode', true))));

ALTER TABLE "webhook_deliveries" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "webhook_deliveries" FORCE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "webhook_deliveries"
  USING ((SELECT current_setting('app.platform_id', true)) = '*'
    OR (platform_id = (SELECT current_setting('app.platform_id', true)) AND mode::text = (SELECT current_setting('app.mode', true))));

ALTER TABLE "transaction_flow_deltas" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "transaction_flow_deltas" FORCE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "transaction_flow_deltas"
  USING ((SELECT current_setting('app.platform_id', true)) = '*'
    OR (platform_id = (SELECT current_setting('app.platform_id', true)) AND mode::text = (SELECT current_setting('app.mode', true))));

ALTER TABLE "transaction_flow_days" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "transaction_flow_days" FORCE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "transaction_flow_days"
  USING ((SELECT current_setting('app.platform_id', true)) = '*'
    OR (platform_id = (SELECT current_setting('app.platform_id', true)) AND mode::text = (SELECT current_setting('app.mode', true))));

ALTER TABLE "transaction_flow_users" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "transaction_flow_users" FORCE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "transaction_flow_users"
  USING ((SELECT current_setting('app.platform_id', true)) = '*'
    OR (platform_id = (SELECT current_setting('app.platform_id', true)) AND mode::text = (SELECT current_setting('app.mode', true))));

ALTER TABLE "contract_value_deltas" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "contract_value_deltas" FORCE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "contract_value_deltas"
  USING ((SELECT current_setting('app.platform_id', true)) = '*'
    OR (platform_id = (SELECT current_setting('app.platform_id', true)) AND mode::text = (SELECT current_setting('app.mode', true))));

ALTER TABLE "contract_value_buckets" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "contract_value_buckets" FORCE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "contract_value_buckets"
  USING ((SELECT current_setting('app.platform_id', true)) = '*'
    OR (platform_id = (SELECT current_setting('app.platform_id', true)) AND mode::text = (SELECT current_setting('app.mode', true))));

ALTER TABLE "payment_intent_outcomes" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "payment_intent_outcomes" FORCE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "payment_intent_outcomes"
  USING ((SELECT current_setting('app.platform_id', true)) = '*'
    OR (platform_id = (SELECT current_setting('app.platform_id', true)) AND mode::text = (SELECT current_setting('app.mode', true))));

-- The platform row itself: its own tenant sees it (its settings, its Stripe account).
ALTER TABLE "platforms" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "platforms" FORCE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "platforms"
  USING ((SELECT current_setting('app.platform_id', true)) = '*'
    OR (id = (SELECT current_setting('app.platform_id', true)) AND mode::text = (SELECT current_setting('app.mode', true))));

-- Idempotency records of unauthenticated calls carry no platform: they are scoped by the caller's
-- address (src/plugins/idempotency.ts), so any scope may use them.
ALTER TABLE "idempotency_records" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "idempotency_records" FORCE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "idempotency_records"
  USING ((SELECT current_setting('app.platform_id', true)) = '*'
    OR platform_id IS NULL
    OR (platform_id = (SELECT current_setting('app.platform_id', true)) AND mode::text = (SELECT current_setting('app.mode', true))));
