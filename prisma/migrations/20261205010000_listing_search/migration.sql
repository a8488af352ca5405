-- CreateExtension
CREATE EXTENSION IF NOT EXISTS "pg_trgm";

-- AlterTable
ALTER TABLE "products" ADD COLUMN     "language" TEXT NOT NULL DEFAULT 'simple',
ADD COLUMN     "latitude" DOUBLE PRECISION,
ADD COLUMN     "longitude" DOUBLE PRECISION,
ADD COLUMN     "search_vector" tsvector;

-- CreateTable
CREATE TABLE "search_terms" (
    "platform_id" TEXT NOT NULL,
    "mode" "Mode" NOT NULL,
    "term" TEXT NOT NULL,

    CONSTRAINT "search_terms_pkey" PRIMARY KEY ("platform_id","mode","term")
);

-- CreateIndex
CREATE INDEX "search_terms_term_idx" ON "search_terms" USING GIN ("term" gin_trgm_ops);

-- CreateIndex
CREATE INDEX "products_search_vector_idx" ON "products" USING GIN ("search_vector");

-- CreateIndex
CREATE INDEX "products_platform_id_mode_latitude_longitude_idx" ON "products"("platform_id", "mode", "latitude", "longitude");

-- CreateIndex
CREATE INDEX "products_platform_id_mode_language_idx" ON "products"("platform_id", "mode", "language");



-- ───────────── written by hand: what keeps the search columns (Prisma does not describe these) ─────────────

-- A tenant table: row-level security on and forced, with the two policies every tenant table has
-- (docs/tenancy.md). The products trigger below writes it as whoever writes the product.
ALTER TABLE "search_terms" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "search_terms" FORCE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "search_terms" USING (platform_id = (SELECT current_setting('app.platform_id', true)) AND mode = (SELECT nullif(current_setting('app.mode', true), '')::"Mode"));
CREATE POLICY "system_scope" ON "search_terms" TO candle_system USING (true) WITH CHECK (true);

-- A listing's document, each part weighted by where a word appears: the name counts most, the
-- description least. Stemmed with the listing's own configuration (`language`).
CREATE FUNCTION products_search_vector(config regconfig, name text, category text, subcategory text, tags text[], description text)
RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT setweight(to_tsvector(config, coalesce(name, '')), 'A')
      || setweight(to_tsvector(config, concat_ws(' ', category, subcategory, array_to_string(tags, ' '))), 'B')
      || setweight(to_tsvector(config, coalesce(description, '')), 'C')
$$;

-- Keeps `search_vector` and the catalogue's words (search_terms) with every write of the searched
-- columns, whoever writes them (the API, a category rename, the CLI): no write path can forget.
-- Words are added, never removed: a stale one only offers a correction that finds nothing. Numbers
-- are not words to correct to.
-- Inserted in order, so two writers adding the same new words wait for each other instead of deadlocking.
CREATE FUNCTION products_search_refresh() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.search_vector := products_search_vector(NEW.language::regconfig, NEW.name, NEW.category, NEW.subcategory, NEW.tags, NEW.description);
  IF TG_OP = 'INSERT' OR NEW.name IS DISTINCT FROM OLD.name OR NEW.category IS DISTINCT FROM OLD.category
     OR NEW.subcategory IS DISTINCT FROM OLD.subcategory OR NEW.tags IS DISTINCT FROM OLD.tags THEN
    INSERT INTO search_terms (platform_id, mode, term)
    SELECT NEW.platform_id, NEW.mode, w.lexeme
    FROM unnest(to_tsvector('simple', concat_ws(' ', NEW.name, NEW.category, NEW.subcategory, array_to_string(NEW.tags, ' ')))) w
    WHERE length(w.lexeme) BETWEEN 3 AND 40 AND w.lexeme !~ '^[0-9]+$'
    ORDER BY w.lexeme
    ON CONFLICT DO NOTHING;
  END IF;
  RETURN NEW;
END $$;

-- Existing listings: indexed once, here (the trigger is created after, so this does not run it).
UPDATE products SET search_vector = products_search_vector(language::regconfig, name, category, subcategory, tags, description);
INSERT INTO search_terms (platform_id, mode, term)
SELECT DISTINCT p.platform_id, p.mode, w.lexeme
FROM products p, unnest(to_tsvector('simple', concat_ws(' ', p.name, p.category, p.subcategory, array_to_string(p.tags, ' ')))) w
WHERE length(w.lexeme) BETWEEN 3 AND 40 AND w.lexeme !~ '^[0-9]+$'
ON CONFLICT DO NOTHING;

CREATE TRIGGER products_search_refresh BEFORE INSERT OR UPDATE OF name, description, category, subcategory, tags, language ON products
FOR EACH ROW EXECUTE FUNCTION products_search_refresh();

-- Row-level security and these indexes: a policy's conditions run before any condition of the
-- query that is not leakproof, and neither the full-text match (`@@`) nor the trigram one (`%`) is,
-- so under the tenant role neither index could be used: every search would read every listing, or
-- every word of every platform. These two functions run as their owner (the migrating role, which
-- sees every platform) and so use the indexes; each filters the tenant itself, and only for the
-- platform of the caller's tenant scope (or any, in the system scope: no setting).

-- The words of a tenant's catalogue that look like `word` (trigram similarity), best first: the
-- candidates a misspelt search word is corrected to. Its own similarity threshold: a swap of two
-- letters in a five-letter word ("chiar") shares only 2 of 10 trigrams with the word meant ("chair"),
-- under pg_trgm's default of 0.3; the caller keeps the candidates within a few edits.
CREATE FUNCTION search_term_candidates(p_platform text, p_mode "Mode", p_word text, p_limit integer)
RETURNS TABLE (term text, score real) LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_temp
SET pg_trgm.similarity_threshold = 0.15
AS $$
  SELECT t.term, similarity(t.term, p_word) FROM search_terms t
  WHERE t.platform_id = p_platform AND t.mode = p_mode AND t.term % p_word
    AND coalesce(current_setting('app.platform_id', true), '') IN ('', p_platform)
  ORDER BY 2 DESC, t.term
  LIMIT p_limit
$$;

-- The listings of a tenant whose document matches `query`, through the GIN index, with their
-- relevance (`exact`, the words as typed, counts twice) and the columns a list filters on: the
-- caller applies its own conditions (review state, members-only, archived, filters) to these rows
-- and reads the page's listings from `products`, under its policies.
CREATE FUNCTION search_listings(p_platform text, p_mode "Mode", p_query tsquery, p_exact tsquery)
RETURNS TABLE (
  id text, platform_id text, mode "Mode", user_id text, parent_product_id text, type "ItemType", name text, category text, subcategory text,
  category_id text, tags text[], price integer, is_enabled boolean, archived timestamptz, admin_status "ProductAdminStatus", members_only boolean,
  latitude double precision, longitude double precision, created timestamptz, rank real
) LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
  SELECT p.id, p.platform_id, p.mode, p.user_id, p.parent_product_id, p.type, p.name, p.category, p.subcategory,
         p.category_id, p.tags, p.price, p.is_enabled, p.archived, p.admin_status, p.members_only,
         p.latitude, p.longitude, p.created, ts_rank(p.search_vector, p_query) + ts_rank(p.search_vector, p_exact)
  FROM products p
  WHERE p.search_vector @@ p_query AND p.platform_id = p_platform AND p.mode = p_mode
    AND coalesce(current_setting('app.platform_id', true), '') IN ('', p_platform)
$$;
REVOKE EXECUTE ON FUNCTION search_term_candidates(text, "Mode", text, integer), search_listings(text, "Mode", tsquery, tsquery) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION search_term_candidates(text, "Mode", text, integer), search_listings(text, "Mode", tsquery, tsquery) TO candle_tenant, candle_system;
