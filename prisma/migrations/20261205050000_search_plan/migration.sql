-- ───────────── written by hand: search_listings chooses its plan from the planner's estimate ─────────────
-- (docs/api/search.md, "How it is stored".)
--
-- The window of a search (the newest p_limit matches) can be read two ways: through the GIN index,
-- every match fetched and the newest kept, or by walking the (tenant, created) index from the newest
-- and testing each listing until the window is full. The planner chose by cost, and for searches
-- matching a few percent of the catalogue it chose the walk, thinking a row tested costs about what a
-- match fetched does. Measured on 100 000 listings, a row tested costs about five times more (the
-- tsvector read and matched), and `sage premium` (4 076 matches) walked 12 700 listings where the
-- GIN index had 4 076 to fetch: several times slower.
--
-- So the function now asks the planner only for what it estimates well — how many listings match
-- (the tsvector statistics) — and chooses itself: the walk tests about p_limit × listings / matches
-- rows, the GIN read fetches `matches`, so the GIN read is taken when matches² ≤ 5 × p_limit ×
-- listings (up to ~16 000 matches of 100 000 listings, ~50 000 of a million). The estimate comes
-- from EXPLAIN, which a function may run only if VOLATILE: it is called once per search, so the
-- label costs nothing. The GIN read also no longer carries every match's tsvector to the sort: only
-- the window's are read again, to rank them.
CREATE OR REPLACE FUNCTION search_listings(
  p_platform text, p_mode "Mode", p_query tsquery, p_exact tsquery, p_limit integer,
  p_user text, p_any_status boolean, p_any_time boolean, p_now timestamptz
) RETURNS TABLE (id text, rank real, more boolean) LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
  estimate json;
  matches float8;
  listings float8;
BEGIN
  IF coalesce(current_setting('app.platform_id', true), '') NOT IN ('', p_platform) THEN
    RETURN;
  END IF;
  -- The GIN index holds every platform's listings, so a GIN read fetches the words' matches in the
  -- whole table; the walk, over this platform's listings, tests about as many listings per match
  -- found as the whole table holds per match. One estimate of the planner, and the table's size.
  EXECUTE 'EXPLAIN (FORMAT JSON) SELECT 1 FROM products p WHERE p.search_vector @@ $1' INTO estimate USING p_query;
  matches := (estimate->0->'Plan'->>'Plan Rows')::float8;
  SELECT c.reltuples INTO listings FROM pg_class c WHERE c.oid = 'products'::regclass;
  IF listings <= 0 OR matches * matches <= 5 * p_limit * listings THEN
    -- Every match through the GIN index (a CTE the planner cannot turn into the walk), the newest
    -- kept; only those have their tsvector read again, to be ranked.
    RETURN QUERY EXECUTE $q$
      WITH m AS MATERIALIZED (
        SELECT p.id, p.created FROM products p
        WHERE p.platform_id = $1 AND p.mode = $2 AND p.search_vector @@ $3
          AND ($7 OR p.admin_status = 'published' OR p.user_id = $6)
          AND ($8 OR ((p.publish_at IS NULL OR p.publish_at <= $9) AND p.visibility IN ('both', 'search')) OR p.user_id = $6)
      ), w AS (
        SELECT t.id, t.created, count(*) OVER () AS n FROM (SELECT m.id, m.created FROM m ORDER BY m.created DESC, m.id DESC LIMIT $5 + 1) t
      )
      SELECT w.id,
             (CASE WHEN $4 = $3 THEN 2 * ts_rank(p.search_vector, $3) ELSE ts_rank(p.search_vector, $3) + ts_rank(p.search_vector, $4) END)::real,
             w.n > $5
      FROM w JOIN products p ON p.id = w.id
      ORDER BY w.created DESC, w.id DESC
      LIMIT $5
    $q$ USING p_platform, p_mode, p_query, p_exact, p_limit, p_user, p_any_status, p_any_time, p_now;
    RETURN;
  END IF;
  -- The newest listings first, each tested, until the window is full.
  RETURN QUERY EXECUTE $q$
    SELECT w.id,
           (CASE WHEN $4 = $3 THEN 2 * ts_rank(w.search_vector, $3) ELSE ts_rank(w.search_vector, $3) + ts_rank(w.search_vector, $4) END)::real,
           w.n > $5
    FROM (
      SELECT p.id, p.search_vector, p.created, count(*) OVER () AS n FROM (
        SELECT p.id, p.search_vector, p.created FROM products p
        WHERE p.platform_id = $1 AND p.mode = $2 AND p.search_vector @@ $3
          AND ($7 OR p.admin_status = 'published' OR p.user_id = $6)
          AND ($8 OR ((p.publish_at IS NULL OR p.publish_at <= $9) AND p.visibility IN ('both', 'search')) OR p.user_id = $6)
        ORDER BY p.created DESC, p.id DESC
        LIMIT $5 + 1
      ) p
    ) w
    ORDER BY w.created DESC, w.id DESC
    LIMIT $5
  $q$ USING p_platform, p_mode, p_query, p_exact, p_limit, p_user, p_any_status, p_any_time, p_now;
END $$;
