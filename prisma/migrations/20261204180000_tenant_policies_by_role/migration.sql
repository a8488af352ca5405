-- Row-level security by role (docs/tenancy.md). The first policies let the system scope through with
-- `app.platform_id = '*' OR (platform … AND mode::text …)`: an OR and a cast the planner cannot
-- turn into index conditions, and with a policy in place it may not use the queries' own
-- `mode = …` (enum equality is not leakproof) to pick an index or its order. A page of products
-- then sorted every row of its category instead of reading twenty (bench/RESULTS.md).
--
-- Now each policy is one plain, indexable equality, and the system scope is a role:
--   candle_tenant  what tenant work runs as (the pool's `SET ROLE` for a tenant scope): only the
--                  tenant policy applies to it, so it sees the platform and mode of the settings.
--   candle_system  every row (a policy of its own). The application's login role is a member with
--                  INHERIT, so outside a tenant scope (jobs, credential lookups, migrations) it
--                  sees every platform, as it did under app.platform_id = '*'.
-- Neither can log in. Creating them needs CREATEROLE; on a server where the migrating role lacks
-- it, an administrator creates them first (docs/tenancy.md, External PostgreSQL).

DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'candle_tenant') THEN
    CREATE ROLE candle_tenant NOLOGIN NOSUPERUSER NOBYPASSRLS;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'candle_system') THEN
    CREATE ROLE candle_system NOLOGIN NOSUPERUSER NOBYPASSRLS;
  END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
  NULL; -- created meanwhile by a migration of another database on the same server
END $$;

-- Tenant work runs as candle_tenant: it needs the rows (no TRUNCATE, which skips row security, no DDL).
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO candle_tenant;
GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO candle_tenant;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO candle_tenant;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO candle_tenant;

-- The migrating role (the schema's owner) sees every platform and may act as a tenant. Granting
-- needs ADMIN on the roles: the creator of a role has it; otherwise the administrator grants them.
DO $$
BEGIN
  IF NOT pg_has_role(current_user, 'candle_system', 'MEMBER') THEN
    EXECUTE format('GRANT candle_system TO %I', current_user);
  END IF;
  IF NOT pg_has_role(current_user, 'candle_tenant', 'MEMBER') THEN
    EXECUTE format('GRANT candle_tenant TO %I', current_user);
  END IF;
END $$;

DROP POLICY "tenant_isolation" ON "platform_domains";
CREATE POLICY "tenant_isolation" ON "platform_domains" USING (platform_id = (SELECT current_setting('app.platform_id', true)) AND mode = (SELECT nullif(current_setting('app.mode', true), '')::"Mode"));
CREATE POLICY "system_scope" ON "platform_domains" TO candle_system USING (true) WITH CHECK (true);

DROP POLICY "tenant_isolation" ON "api_keys";
CREATE POLICY "tenant_isolation" ON "api_keys" USING (platform_id = (SELECT current_setting('app.platform_id', true)) AND mode = (SELECT nullif(current_setting('app.mode', true), '')::"Mode"));
CREATE POLICY "system_scope" ON "api_keys" TO candle_system USING (true) WITH CHECK (true);

DROP POLICY "tenant_isolation" ON "memberships";
CREATE POLICY "tenant_isolation" ON "memberships" USING (platform_id = (SELECT current_setting('app.platform_id', true)) AND mode = (SELECT nullif(current_setting('app.mode', true), '')::"Mode"));
CREATE POLICY "system_scope" ON "memberships" TO candle_system USING (true) WITH CHECK (true);

DROP POLICY "tenant_isolation" ON "users";
CREATE POLICY "tenant_isolation" ON "users" USING (platform_id = (SELECT current_setting('app.platform_id', true)) AND mode = (SELECT nullif(current_setting('app.mode', true), '')::"Mode"));
CREATE POLICY "system_scope" ON "users" TO candle_system USING (true) WITH CHECK (true);

DROP POLICY "tenant_isolation" ON "user_links";
CREATE POLICY "tenant_isolation" ON "user_links" USING (platform_id = (SELECT current_setting('app.platform_id', true)) AND mode = (SELECT nullif(current_setting('app.mode', true), '')::"Mode"));
CREATE POLICY "system_scope" ON "user_links" TO candle_system USING (true) WITH CHECK (true);

DROP POLICY "tenant_isolation" ON "payment_methods";
CREATE POLICY "tenant_isolation" ON "payment_methods" USING (platform_id = (SELECT current_setting('app.platform_id', true)) AND mode = (SELECT nullif(current_setting('app.mode', true), '')::"Mode"));
CREATE POLICY "system_scope" ON "payment_methods" TO candle_system USING (true) WITH CHECK (true);

DROP POLICY "tenant_isolation" ON "otp_codes";
CREATE POLICY "tenant_isolation" ON "otp_codes" USING (platform_id = (SELECT current_setting('app.platform_id', true)) AND mode = (SELECT nullif(current_setting('app.mode', true), '')::"Mode"));
CREATE POLICY "system_scope" ON "otp_codes" TO candle_system USING (true) WITH CHECK (true);

DROP POLICY "tenant_isolation" ON "refresh_tokens";
CREATE POLICY "tenant_isolation" ON "refresh_tokens" USING (platform_id = (SELECT current_setting('app.platform_id', true)) AND mode = (SELECT nullif(current_setting('app.mode', true), '')::"Mode"));
CREATE POLICY "system_scope" ON "refresh_tokens" TO candle_system USING (true) WITH CHECK (true);

DROP POLICY "tenant_isolation" ON "waitlist_entries";
CREATE POLICY "tenant_isolation" ON "waitlist_entries" USING (platform_id = (SELECT current_setting('app.platform_id', true)) AND mode = (SELECT nullif(current_setting('app.mode', true), '')::"Mode"));
CREATE POLICY "system_scope" ON "waitlist_entries" TO candle_system USING (true) WITH CHECK (true);

DROP POLICY "tenant_isolation" ON "media";
CREATE POLICY "tenant_isolation" ON "media" USING (platform_id = (SELECT current_setting('app.platform_id', true)) AND mode = (SELECT nullif(current_setting('app.mode', true), '')::"Mode"));
CREATE POLICY "system_scope" ON "media" TO candle_system USING (true) WITH CHECK (true);

DROP POLICY "tenant_isolation" ON "products";
CREATE POLICY "tenant_isolation" ON "products" USING (platform_id = (SELECT current_setting('app.platform_id', true)) AND mode = (SELECT nullif(current_setting('app.mode', true), '')::"Mode"));
CREATE POLICY "system_scope" ON "products" TO candle_system USING (true) WITH CHECK (true);

DROP POLICY "tenant_isolation" ON "seasonal_prices";
CREATE POLICY "tenant_isolation" ON "seasonal_prices" USING (platform_id = (SELECT current_setting('app.platform_id', true)) AND mode = (SELECT nullif(current_setting('app.mode', true), '')::"Mode"));
CREATE POLICY "system_scope" ON "seasonal_prices" TO candle_system USING (true) WITH CHECK (true);

DROP POLICY "tenant_isolation" ON "carts";
CREATE POLICY "tenant_isolation" ON "carts" USING (platform_id = (SELECT current_setting('app.platform_id', true)) AND mode = (SELECT nullif(current_setting('app.mode', true), '')::"Mode"));
CREATE POLICY "system_scope" ON "carts" TO candle_system USING (true) WITH CHECK (true);

DROP POLICY "tenant_isolation" ON "cart_items";
CREATE POLICY "tenant_isolation" ON "cart_items" USING (platform_id = (SELECT current_setting('app.platform_id', true)) AND mode = (SELECT nullif(current_setting('app.mode', true), '')::"Mode"));
CREATE POLICY "system_scope" ON "cart_items" TO candle_system USING (true) WITH CHECK (true);

DROP POLICY "tenant_isolation" ON "contracts";
CREATE POLICY "tenant_isolation" ON "contracts" USING (platform_id = (SELECT current_setting('app.platform_id', true)) AND mode = (SELECT nullif(current_setting('app.mode', true), '')::"Mode"));
CREATE POLICY "system_scope" ON "contracts" TO candle_system USING (true) WITH CHECK (true);

DROP POLICY "tenant_isolation" ON "contract_items";
CREATE POLICY "tenant_isolation" ON "contract_items" USING (platform_id = (SELECT current_setting('app.platform_id', true)) AND mode = (SELECT nullif(current_setting('app.mode', true), '')::"Mode"));
CREATE POLICY "system_scope" ON "contract_items" TO candle_system USING (true) WITH CHECK (true);

DROP POLICY "tenant_isolation" ON "contract_buyers";
CREATE POLICY "tenant_isolation" ON "contract_buyers" USING (platform_id = (SELECT current_setting('app.platform_id', true)) AND mode = (SELECT nullif(current_setting('app.mode', true), '')::"Mode"));
CREATE POLICY "system_scope" ON "contract_buyers" TO candle_system USING (true) WITH CHECK (true);

DROP POLICY "tenant_isolation" ON "contract_sellers";
CREATE POLICY "tenant_isolation" ON "contract_sellers" USING (platform_id = (SELECT current_setting('app.platform_id', true)) AND mode = (SELECT nullif(current_setting('app.mode', true), '')::"Mode"));
CREATE POLICY "system_scope" ON "contract_sellers" TO candle_system USING (true) WITH CHECK (true);

DROP POLICY "tenant_isolation" ON "contract_fees";
CREATE POLICY "tenant_isolation" ON "contract_fees" USING (platform_id = (SELECT current_setting('app.platform_id', true)) AND mode = (SELECT nullif(current_setting('app.mode', true), '')::"Mode"));
CREATE POLICY "system_scope" ON "contract_fees" TO candle_system USING (true) WITH CHECK (true);

DROP POLICY "tenant_isolation" ON "subscriptions";
CREATE POLICY "tenant_isolation" ON "subscriptions" USING (platform_id = (SELECT current_setting('app.platform_id', true)) AND mode = (SELECT nullif(current_setting('app.mode', true), '')::"Mode"));
CREATE POLICY "system_scope" ON "subscriptions" TO candle_system USING (true) WITH CHECK (true);

DROP POLICY "tenant_isolation" ON "subscription_charges";
CREATE POLICY "tenant_isolation" ON "subscription_charges" USING (platform_id = (SELECT current_setting('app.platform_id', true)) AND mode = (SELECT nullif(current_setting('app.mode', true), '')::"Mode"));
CREATE POLICY "system_scope" ON "subscription_charges" TO candle_system USING (true) WITH CHECK (true);

DROP POLICY "tenant_isolation" ON "calendars";
CREATE POLICY "tenant_isolation" ON "calendars" USING (platform_id = (SELECT current_setting('app.platform_id', true)) AND mode = (SELECT nullif(current_setting('app.mode', true), '')::"Mode"));
CREATE POLICY "system_scope" ON "calendars" TO candle_system USING (true) WITH CHECK (true);

DROP POLICY "tenant_isolation" ON "availability";
CREATE POLICY "tenant_isolation" ON "availability" USING (platform_id = (SELECT current_setting('app.platform_id', true)) AND mode = (SELECT nullif(current_setting('app.mode', true), '')::"Mode"));
CREATE POLICY "system_scope" ON "availability" TO candle_system USING (true) WITH CHECK (true);

DROP POLICY "tenant_isolation" ON "calendar_events";
CREATE POLICY "tenant_isolation" ON "calendar_events" USING (platform_id = (SELECT current_setting('app.platform_id', true)) AND mode = (SELECT nullif(current_setting('app.mode', true), '')::"Mode"));
CREATE POLICY "system_scope" ON "calendar_events" TO candle_system USING (true) WITH CHECK (true);

DROP POLICY "tenant_isolation" ON "event_attendees";
CREATE POLICY "tenant_isolation" ON "event_attendees" USING (platform_id = (SELECT current_setting('app.platform_id', true)) AND mode = (SELECT nullif(current_setting('app.mode', true), '')::"Mode"));
CREATE POLICY "system_scope" ON "event_attendees" TO candle_system USING (true) WITH CHECK (true);

DROP POLICY "tenant_isolation" ON "transactions";
CREATE POLICY "tenant_isolation" ON "transactions" USING (platform_id = (SELECT current_setting('app.platform_id', true)) AND mode = (SELECT nullif(current_setting('app.mode', true), '')::"Mode"));
CREATE POLICY "system_scope" ON "transactions" TO candle_system USING (true) WITH CHECK (true);

DROP POLICY "tenant_isolation" ON "events";
CREATE POLICY "tenant_isolation" ON "events" USING (platform_id = (SELECT current_setting('app.platform_id', true)) AND mode = (SELECT nullif(current_setting('app.mode', true), '')::"Mode"));
CREATE POLICY "system_scope" ON "events" TO candle_system USING (true) WITH CHECK (true);

DROP POLICY "tenant_isolation" ON "webhook_endpoints";
CREATE POLICY "tenant_isolation" ON "webhook_endpoints" USING (platform_id = (SELECT current_setting('app.platform_id', true)) AND mode = (SELECT nullif(current_setting('app.mode', true), '')::"Mode"));
CREATE POLICY "system_scope" ON "webhook_endpoints" TO candle_system USING (true) WITH CHECK (true);

DROP POLICY "tenant_isolation" ON "webhook_deliveries";
CREATE POLICY "tenant_isolation" ON "webhook_deliveries" USING (platform_id = (SELECT current_setting('app.platform_id', true)) AND mode = (SELECT nullif(current_setting('app.mode', true), '')::"Mode"));
CREATE POLICY "system_scope" ON "webhook_deliveries" TO candle_system USING (true) WITH CHECK (true);

DROP POLICY "tenant_isolation" ON "transaction_flow_deltas";
CREATE POLICY "tenant_isolation" ON "transaction_flow_deltas" USING (platform_id = (SELECT current_setting('app.platform_id', true)) AND mode = (SELECT nullif(current_setting('app.mode', true), '')::"Mode"));
CREATE POLICY "system_scope" ON "transaction_flow_deltas" TO candle_system USING (true) WITH CHECK (true);

DROP POLICY "tenant_isolation" ON "transaction_flow_days";
CREATE POLICY "tenant_isolation" ON "transaction_flow_days" USING (platform_id = (SELECT current_setting('app.platform_id', true)) AND mode = (SELECT nullif(current_setting('app.mode', true), '')::"Mode"));
CREATE POLICY "system_scope" ON "transaction_flow_days" TO candle_system USING (true) WITH CHECK (true);

DROP POLICY "tenant_isolation" ON "transaction_flow_users";
CREATE POLICY "tenant_isolation" ON "transaction_flow_users" USING (platform_id = (SELECT current_setting('app.platform_id', true)) AND mode = (SELECT nullif(current_setting('app.mode', true), '')::"Mode"));
CREATE POLICY "system_scope" ON "transaction_flow_users" TO candle_system USING (true) WITH CHECK (true);

DROP POLICY "tenant_isolation" ON "contract_value_deltas";
CREATE POLICY "tenant_isolation" ON "contract_value_deltas" USING (platform_id = (SELECT current_setting('app.platform_id', true)) AND mode = (SELECT nullif(current_setting('app.mode', true), '')::"Mode"));
CREATE POLICY "system_scope" ON "contract_value_deltas" TO candle_system USING (true) WITH CHECK (true);

DROP POLICY "tenant_isolation" ON "contract_value_buckets";
CREATE POLICY "tenant_isolation" ON "contract_value_buckets" USING (platform_id = (SELECT current_setting('app.platform_id', true)) AND mode = (SELECT nullif(current_setting('app.mode', true), '')::"Mode"));
CREATE POLICY "system_scope" ON "contract_value_buckets" TO candle_system USING (true) WITH CHECK (true);

DROP POLICY "tenant_isolation" ON "payment_intent_outcomes";
CREATE POLICY "tenant_isolation" ON "payment_intent_outcomes" USING (platform_id = (SELECT current_setting('app.platform_id', true)) AND mode = (SELECT nullif(current_setting('app.mode', true), '')::"Mode"));
CREATE POLICY "system_scope" ON "payment_intent_outcomes" TO candle_system USING (true) WITH CHECK (true);

DROP POLICY "tenant_isolation" ON "platforms";
CREATE POLICY "tenant_isolation" ON "platforms" USING (id = (SELECT current_setting('app.platform_id', true)) AND mode = (SELECT nullif(current_setting('app.mode', true), '')::"Mode"));
CREATE POLICY "system_scope" ON "platforms" TO candle_system USING (true) WITH CHECK (true);

DROP POLICY "tenant_isolation" ON "idempotency_records";
CREATE POLICY "tenant_isolation" ON "idempotency_records" USING (platform_id IS NULL OR (platform_id = (SELECT current_setting('app.platform_id', true)) AND mode = (SELECT nullif(current_setting('app.mode', true), '')::"Mode")));
CREATE POLICY "system_scope" ON "idempotency_records" TO candle_system USING (true) WITH CHECK (true);
