-- CreateTable
CREATE TABLE "transaction_flow_deltas" (
    "id" BIGSERIAL NOT NULL,
    "platform_id" TEXT NOT NULL,
    "mode" "Mode" NOT NULL,
    "flow" TEXT NOT NULL,
    "currency" TEXT NOT NULL,
    "user_id" TEXT,
    "day" DATE NOT NULL,
    "gross" BIGINT NOT NULL,
    "refunded" BIGINT NOT NULL,
    "count" BIGINT NOT NULL,
    "refund_count" BIGINT NOT NULL,

    CONSTRAINT "transaction_flow_deltas_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "transaction_flow_days" (
    "platform_id" TEXT NOT NULL,
    "mode" "Mode" NOT NULL,
    "flow" TEXT NOT NULL,
    "currency" TEXT NOT NULL,
    "day" DATE NOT NULL,
    "gross" BIGINT NOT NULL,
    "refunded" BIGINT NOT NULL,
    "count" BIGINT NOT NULL,
    "refund_count" BIGINT NOT NULL,

    CONSTRAINT "transaction_flow_days_pkey" PRIMARY KEY ("platform_id","mode","flow","currency","day")
);

-- CreateTable
CREATE TABLE "transaction_flow_users" (
    "platform_id" TEXT NOT NULL,
    "mode" "Mode" NOT NULL,
    "flow" TEXT NOT NULL,
    "currency" TEXT NOT NULL,
    "unit" TEXT NOT NULL,
    "period_start" DATE NOT NULL,
    "user_id" TEXT NOT NULL,
    "gross" BIGINT NOT NULL,
    "refunded" BIGINT NOT NULL,
    "net" BIGINT NOT NULL,
    "count" BIGINT NOT NULL,
    "refund_count" BIGINT NOT NULL,

    CONSTRAINT "transaction_flow_users_pkey" PRIMARY KEY ("platform_id","mode","flow","currency","unit","period_start","user_id")
);

-- CreateTable
CREATE TABLE "contract_value_deltas" (
    "id" BIGSERIAL NOT NULL,
    "platform_id" TEXT NOT NULL,
    "mode" "Mode" NOT NULL,
    "currency" TEXT NOT NULL,
    "month" DATE NOT NULL,
    "bucket" BIGINT NOT NULL,
    "count" BIGINT NOT NULL,
    "sum" BIGINT NOT NULL,

    CONSTRAINT "contract_value_deltas_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "contract_value_buckets" (
    "platform_id" TEXT NOT NULL,
    "mode" "Mode" NOT NULL,
    "currency" TEXT NOT NULL,
    "unit" TEXT NOT NULL,
    "period_start" DATE NOT NULL,
    "bucket" BIGINT NOT NULL,
    "count" BIGINT NOT NULL,
    "sum" BIGINT NOT NULL,

    CONSTRAINT "contract_value_buckets_pkey" PRIMARY KEY ("platform_id","mode","currency","unit","period_start","bucket")
);

-- CreateIndex
CREATE INDEX "transaction_flow_deltas_platform_id_mode_flow_currency_day_idx" ON "transaction_flow_deltas"("platform_id", "mode", "flow", "currency", "day");

-- CreateIndex
CREATE INDEX "transaction_flow_users_ranking_idx" ON "transaction_flow_users"("platform_id", "mode", "flow", "currency", "unit", "period_start", "net" DESC, "user_id", "gross", "refunded", "count");

-- CreateIndex
CREATE INDEX "contract_value_deltas_platform_id_mode_month_idx" ON "contract_value_deltas"("platform_id", "mode", "month");


-- ───────────── written by hand: what keeps the rollups (Prisma does not describe these) ─────────────

-- A contract value's histogram bucket: rounded down to two significant digits (exact below 100), so
-- a bucket spans at most 10 % of its values; analytics_value_bucket_end gives where it stops.
CREATE FUNCTION analytics_value_bucket(v bigint) RETURNS bigint LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN v < 100 THEN v ELSE v - v % power(10::numeric, length(v::text) - 2)::bigint END
$$;

CREATE FUNCTION analytics_value_bucket_end(b bigint) RETURNS bigint LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN b < 100 THEN b + 1 ELSE b + power(10::numeric, length(b::text) - 2)::bigint END
$$;

-- What a transaction row adds to the flows: succeeded `incoming` (+ its refunds) is the buyer's
-- spend, succeeded `outgoing` (+ its refunds) the seller's revenue, on the UTC day it was created.
CREATE FUNCTION transaction_flow_of(t transactions)
RETURNS TABLE (platform_id text, mode "Mode", flow text, currency text, user_id text, day date, gross bigint, refunded bigint, count bigint, refund_count bigint)
LANGUAGE sql IMMUTABLE AS $$
  SELECT t.platform_id, t.mode,
         CASE WHEN t.type IN ('incoming', 'incoming:refund') THEN 'spend' ELSE 'revenue' END,
         t.currency,
         CASE WHEN t.type IN ('incoming', 'incoming:refund') THEN t.buyer_user_id ELSE t.seller_user_id END,
         (t.created AT TIME ZONE 'UTC')::date,
         CASE WHEN t.type IN ('incoming', 'outgoing') THEN t.amount ELSE 0 END::bigint,
         CASE WHEN t.type IN ('incoming', 'outgoing') THEN 0 ELSE t.amount END::bigint,
         CASE WHEN t.type IN ('incoming', 'outgoing') THEN 1 ELSE 0 END::bigint,
         CASE WHEN t.type IN ('incoming', 'outgoing') THEN 0 ELSE 1 END::bigint
  WHERE t.status = 'succeeded' AND t.type IN ('incoming', 'incoming:refund', 'outgoing', 'outgoing:refund')
$$;

-- What a contract row adds to the value histogram: a paid contract, in the UTC month it was paid.
CREATE FUNCTION contract_value_of(c contracts)
RETURNS TABLE (platform_id text, mode "Mode", currency text, month date, bucket bigint, count bigint, sum bigint)
LANGUAGE sql IMMUTABLE AS $$
  SELECT c.platform_id, c.mode, c.currency, date_trunc('month', c.paid AT TIME ZONE 'UTC')::date,
         analytics_value_bucket(c.total), 1::bigint, c.total::bigint
  WHERE c.status = 'paid' AND c.paid IS NOT NULL
$$;

-- One statement's change, netted per key (an update that moves nothing writes nothing).
CREATE FUNCTION transactions_flow_deltas() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO transaction_flow_deltas (platform_id, mode, flow, currency, user_id, day, gross, refunded, count, refund_count)
    SELECT f.platform_id, f.mode, f.flow, f.currency, f.user_id, f.day, sum(f.gross), sum(f.refunded), sum(f.count), sum(f.refund_count)
    FROM new_rows t CROSS JOIN LATERAL transaction_flow_of(t) f
    GROUP BY 1, 2, 3, 4, 5, 6;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO transaction_flow_deltas (platform_id, mode, flow, currency, user_id, day, gross, refunded, count, refund_count)
    SELECT f.platform_id, f.mode, f.flow, f.currency, f.user_id, f.day, -sum(f.gross), -sum(f.refunded), -sum(f.count), -sum(f.refund_count)
    FROM old_rows t CROSS JOIN LATERAL transaction_flow_of(t) f
    GROUP BY 1, 2, 3, 4, 5, 6;
  ELSE
    INSERT INTO transaction_flow_deltas (platform_id, mode, flow, currency, user_id, day, gross, refunded, count, refund_count)
    SELECT platform_id, mode, flow, currency, user_id, day, sum(s * gross), sum(s * refunded), sum(s * count), sum(s * refund_count)
    FROM (
      SELECT 1 AS s, f.* FROM new_rows t CROSS JOIN LATERAL transaction_flow_of(t) f
      UNION ALL
      SELECT -1 AS s, f.* FROM old_rows t CROSS JOIN LATERAL transaction_flow_of(t) f
    ) changes
    GROUP BY 1, 2, 3, 4, 5, 6
    HAVING sum(s * gross) <> 0 OR sum(s * refunded) <> 0 OR sum(s * count) <> 0 OR sum(s * refund_count) <> 0;
  END IF;
  RETURN NULL;
END
$$;

CREATE FUNCTION contracts_value_deltas() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO contract_value_deltas (platform_id, mode, currency, month, bucket, count, sum)
    SELECT f.platform_id, f.mode, f.currency, f.month, f.bucket, sum(f.count), sum(f.sum)
    FROM new_rows c CROSS JOIN LATERAL contract_value_of(c) f
    GROUP BY 1, 2, 3, 4, 5;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO contract_value_deltas (platform_id, mode, currency, month, bucket, count, sum)
    SELECT f.platform_id, f.mode, f.currency, f.month, f.bucket, -sum(f.count), -sum(f.sum)
    FROM old_rows c CROSS JOIN LATERAL contract_value_of(c) f
    GROUP BY 1, 2, 3, 4, 5;
  ELSE
    INSERT INTO contract_value_deltas (platform_id, mode, currency, month, bucket, count, sum)
    SELECT platform_id, mode, currency, month, bucket, sum(s * count), sum(s * sum)
    FROM (
      SELECT 1 AS s, f.* FROM new_rows c CROSS JOIN LATERAL contract_value_of(c) f
      UNION ALL
      SELECT -1 AS s, f.* FROM old_rows c CROSS JOIN LATERAL contract_value_of(c) f
    ) changes
    GROUP BY 1, 2, 3, 4, 5
    HAVING sum(s * count) <> 0 OR sum(s * sum) <> 0;
  END IF;
  RETURN NULL;
END
$$;

-- Transition tables allow one event per trigger.
CREATE TRIGGER transactions_flow_insert AFTER INSERT ON transactions REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION transactions_flow_deltas();
CREATE TRIGGER transactions_flow_update AFTER UPDATE ON transactions REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION transactions_flow_deltas();
CREATE TRIGGER transactions_flow_delete AFTER DELETE ON transactions REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION transactions_flow_deltas();
CREATE TRIGGER contracts_value_insert AFTER INSERT ON contracts REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION contracts_value_deltas();
CREATE TRIGGER contracts_value_update AFTER UPDATE ON contracts REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION contracts_value_deltas();
CREATE TRIGGER contracts_value_delete AFTER DELETE ON contracts REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION contracts_value_deltas();

-- TRUNCATE fires no row triggers: emptying a table empties what was rolled up from it.
CREATE FUNCTION transactions_flow_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  TRUNCATE transaction_flow_deltas, transaction_flow_days, transaction_flow_users;
  RETURN NULL;
END
$$;
CREATE FUNCTION contracts_value_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  TRUNCATE contract_value_deltas, contract_value_buckets;
  RETURN NULL;
END
$$;
CREATE TRIGGER transactions_flow_truncate AFTER TRUNCATE ON transactions FOR EACH STATEMENT EXECUTE FUNCTION transactions_flow_truncated();
CREATE TRIGGER contracts_value_truncate AFTER TRUNCATE ON contracts FOR EACH STATEMENT EXECUTE FUNCTION contracts_value_truncated();

-- Moves every delta into the rollups, in one statement per family so that a reader's snapshot sees
-- each delta exactly once (in the deltas or in the rollups). Concurrent runs wait for each other.
-- Returns how many delta rows it moved.
CREATE FUNCTION analytics_compact() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  flows bigint;
  values_ bigint;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('analytics_compact'));
  WITH moved AS (
    DELETE FROM transaction_flow_deltas RETURNING *
  ), days AS (
    INSERT INTO transaction_flow_days AS r (platform_id, mode, flow, currency, day, gross, refunded, count, refund_count)
    SELECT platform_id, mode, flow, currency, day, sum(gross), sum(refunded), sum(count), sum(refund_count)
    FROM moved GROUP BY 1, 2, 3, 4, 5
    ON CONFLICT (platform_id, mode, flow, currency, day) DO UPDATE
      SET gross = r.gross + EXCLUDED.gross, refunded = r.refunded + EXCLUDED.refunded,
          count = r.count + EXCLUDED.count, refund_count = r.refund_count + EXCLUDED.refund_count
  ), users AS (
    INSERT INTO transaction_flow_users AS r (platform_id, mode, flow, currency, unit, period_start, user_id, gross, refunded, net, count, refund_count)
    SELECT m.platform_id, m.mode, m.flow, m.currency, p.unit, p.start, m.user_id,
           sum(m.gross), sum(m.refunded), sum(m.gross - m.refunded), sum(m.count), sum(m.refund_count)
    FROM moved m
    CROSS JOIN LATERAL (VALUES ('all', DATE '1970-01-01'), ('year', date_trunc('year', m.day)::date), ('month', date_trunc('month', m.day)::date)) p(unit, start)
    WHERE m.user_id IS NOT NULL
    GROUP BY 1, 2, 3, 4, 5, 6, 7
    ON CONFLICT (platform_id, mode, flow, currency, unit, period_start, user_id) DO UPDATE
      SET gross = r.gross + EXCLUDED.gross, refunded = r.refunded + EXCLUDED.refunded, net = r.net + EXCLUDED.net,
          count = r.count + EXCLUDED.count, refund_count = r.refund_count + EXCLUDED.refund_count
  )
  SELECT count(*) INTO flows FROM moved;

  WITH moved AS (
    DELETE FROM contract_value_deltas RETURNING *
  ), buckets AS (
    INSERT INTO contract_value_buckets AS r (platform_id, mode, currency, unit, period_start, bucket, count, sum)
    SELECT m.platform_id, m.mode, m.currency, p.unit, p.start, m.bucket, sum(m.count), sum(m.sum)
    FROM moved m
    CROSS JOIN LATERAL (VALUES ('all', DATE '1970-01-01'), ('year', date_trunc('year', m.month)::date), ('month', m.month)) p(unit, start)
    GROUP BY 1, 2, 3, 4, 5, 6
    ON CONFLICT (platform_id, mode, currency, unit, period_start, bucket) DO UPDATE
      SET count = r.count + EXCLUDED.count, sum = r.sum + EXCLUDED.sum
  )
  SELECT count(*) INTO values_ FROM moved;
  RETURN flows + values_;
END
$$;

-- What is already there.
INSERT INTO transaction_flow_deltas (platform_id, mode, flow, currency, user_id, day, gross, refunded, count, refund_count)
SELECT f.platform_id, f.mode, f.flow, f.currency, f.user_id, f.day, sum(f.gross), sum(f.refunded), sum(f.count), sum(f.refund_count)
FROM transactions t CROSS JOIN LATERAL transaction_flow_of(t) f
GROUP BY 1, 2, 3, 4, 5, 6;
INSERT INTO contract_value_deltas (platform_id, mode, currency, month, bucket, count, sum)
SELECT f.platform_id, f.mode, f.currency, f.month, f.bucket, sum(f.count), sum(f.sum)
FROM contracts c CROSS JOIN LATERAL contract_value_of(c) f
GROUP BY 1, 2, 3, 4, 5;
SELECT analytics_compact();

-- The rollups are read by index-only scans, which need the visibility map kept fresh: vacuum them
-- after a small share of their rows changed, and the deltas (emptied every minute) often.
ALTER TABLE transaction_flow_users SET (autovacuum_vacuum_scale_factor = 0.01, autovacuum_analyze_scale_factor = 0.02);
ALTER TABLE transaction_flow_days SET (autovacuum_vacuum_scale_factor = 0.01, autovacuum_analyze_scale_factor = 0.02);
ALTER TABLE contract_value_buckets SET (autovacuum_vacuum_scale_factor = 0.01, autovacuum_analyze_scale_factor = 0.02);
ALTER TABLE transaction_flow_deltas SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000);
ALTER TABLE contract_value_deltas SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000);

