-- CreateTable
CREATE TABLE "search_term_listings" (
    "product_id" TEXT NOT NULL,
    "term" TEXT NOT NULL,
    "platform_id" TEXT NOT NULL,
    "mode" "Mode" NOT NULL,
    "public_from" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "search_term_listings_pkey" PRIMARY KEY ("product_id","term")
);

-- CreateIndex
CREATE INDEX "search_term_listings_platform_id_mode_term_public_from_idx" ON "search_term_listings"("platform_id", "mode", "term", "public_from");

-- AddForeignKey
ALTER TABLE "search_term_listings" ADD CONSTRAINT "search_term_listings_product_id_fkey" FOREIGN KEY ("product_id") REFERENCES "products"("id") ON DELETE CASCADE ON UPDATE CASCADE;


-- ───────────── written by hand: the words of public listings ─────────────
-- A tenant table: row-level security on and forced, with the two policies every tenant table has
-- (docs/tenancy.md). The products trigger below writes it as whoever writes the product.
ALTER TABLE "search_term_listings" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "search_term_listings" FORCE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "search_term_listings" USING (platform_id = (SELECT current_setting('app.platform_id', true)) AND mode = (SELECT nullif(current_setting('app.mode', true), '')::"Mode"));
CREATE POLICY "system_scope" ON "search_term_listings" TO candle_system USING (true) WITH CHECK (true);

-- A listing's words (those search_terms takes: name, category, subcategory and tags, 3 to 40
-- letters, not only digits), kept only while the listing is public: published, not archived, shown
-- in searches (`visibility` both or search), not members-only, and top-level (a variant's words
-- are not offered). A scheduled listing's words wait for its publishAt (`public_from`).
CREATE FUNCTION products_search_publicity() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND NOT (NEW.name IS DISTINCT FROM OLD.name OR NEW.category IS DISTINCT FROM OLD.category
      OR NEW.subcategory IS DISTINCT FROM OLD.subcategory OR NEW.tags IS DISTINCT FROM OLD.tags
      OR NEW.admin_status IS DISTINCT FROM OLD.admin_status OR NEW.archived IS DISTINCT FROM OLD.archived
      OR NEW.visibility IS DISTINCT FROM OLD.visibility OR NEW.members_only IS DISTINCT FROM OLD.members_only
      OR NEW.publish_at IS DISTINCT FROM OLD.publish_at OR NEW.parent_product_id IS DISTINCT FROM OLD.parent_product_id) THEN
    RETURN NULL;
  END IF;
  IF TG_OP = 'UPDATE' THEN
    DELETE FROM search_term_listings WHERE product_id = NEW.id;
  END IF;
  IF NEW.admin_status = 'published' AND NEW.archived IS NULL AND NEW.visibility IN ('both', 'search') AND NOT NEW.members_only AND NEW.parent_product_id IS NULL THEN
    INSERT INTO search_term_listings (product_id, term, platform_id, mode, public_from)
    SELECT DISTINCT NEW.id, w.lexeme, NEW.platform_id, NEW.mode, coalesce(NEW.publish_at, '-infinity')
    FROM unnest(to_tsvector('simple', concat_ws(' ', NEW.name, NEW.category, NEW.subcategory, array_to_string(NEW.tags, ' ')))) w
    WHERE length(w.lexeme) BETWEEN 3 AND 40 AND w.lexeme !~ '^[0-9]+$';
  END IF;
  RETURN NULL;
END $$;
-- Existing listings, once, here.
INSERT INTO search_term_listings (product_id, term, platform_id, mode, public_from)
SELECT DISTINCT p.id, w.lexeme, p.platform_id, p.mode, coalesce(p.publish_at, '-infinity')
FROM products p, unnest(to_tsvector('simple', concat_ws(' ', p.name, p.category, p.subcategory, array_to_string(p.tags, ' ')))) w
WHERE length(w.lexeme) BETWEEN 3 AND 40 AND w.lexeme !~ '^[0-9]+$'
  AND p.admin_status = 'published' AND p.archived IS NULL AND p.visibility IN ('both', 'search') AND NOT p.members_only AND p.parent_product_id IS NULL;
CREATE TRIGGER products_search_publicity AFTER INSERT OR UPDATE OF name, category, subcategory, tags, admin_status, archived, visibility, members_only, publish_at, parent_product_id
ON products FOR EACH ROW EXECUTE FUNCTION products_search_publicity();

-- ───────────── written by hand: search in a bounded window, corrections only from public listings ─────────────
-- (docs/api/search.md, "Limits" and "How it is stored".)
--
-- search_listings ranked every match: a word found in most of the catalogue ranked and re-read tens
-- of thousands of rows (1.7 s on 100 000 listings). It now returns at most `p_limit` of them, the
-- newest first, and says whether more matched (`more`): with actual values planned on each call
-- (EXECUTE), a narrow query reads its few matches through the GIN index and a broad one walks the
-- (tenant, created) index from the newest until the window is full. Only the window is ranked.
-- The caller re-reads each row under its policies and applies every condition of the list.
--
-- The window leaves out what the caller could never be shown (`p_user`: the caller's own listings
-- are always in; `p_any_status`: every review state, for reviewers who asked for states;
-- `p_any_time`: any publishAt and visibility, for editors and up), so that rows hidden from the
-- caller neither fill the window nor make `more` say there is more than they may see.
DROP FUNCTION search_listings(text, "Mode", tsquery, tsquery);
CREATE FUNCTION search_listings(
  p_platform text, p_mode "Mode", p_query tsquery, p_exact tsquery, p_limit integer,
  p_user text, p_any_status boolean, p_any_time boolean, p_now timestamptz
) RETURNS TABLE (id text, rank real, more boolean) LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
BEGIN
  IF coalesce(current_setting('app.platform_id', true), '') NOT IN ('', p_platform) THEN
    RETURN;
  END IF;
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

-- The catalogue's words a misspelt word may be corrected to: only words a public listing holds
-- (search_term_listings, below), its publishAt come. A word only in a draft, a rejected, private,
-- scheduled, archived or members-only listing (or another platform's) is never offered, nor taken
-- as "a word the catalogue holds" (which would tell that it exists).
DROP FUNCTION search_term_candidates(text, "Mode", text, integer);
CREATE FUNCTION search_term_candidates(p_platform text, p_mode "Mode", p_word text, p_limit integer)
RETURNS TABLE (term text, score real) LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_temp
SET pg_trgm.similarity_threshold = 0.15
AS $$
  SELECT c.term, c.score FROM (
    SELECT t.term, similarity(t.term, p_word) AS score FROM search_terms t
    WHERE t.platform_id = p_platform AND t.mode = p_mode AND t.term % p_word
      AND coalesce(current_setting('app.platform_id', true), '') IN ('', p_platform)
    ORDER BY 2 DESC, t.term
    LIMIT 4 * p_limit
  ) c
  WHERE EXISTS (
    SELECT 1 FROM search_term_listings l
    WHERE l.platform_id = p_platform AND l.mode = p_mode AND l.term = c.term AND l.public_from <= now()
  )
  ORDER BY c.score DESC, c.term
  LIMIT p_limit
$$;

REVOKE EXECUTE ON FUNCTION search_term_candidates(text, "Mode", text, integer),
  search_listings(text, "Mode", tsquery, tsquery, integer, text, boolean, boolean, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION search_term_candidates(text, "Mode", text, integer),
  search_listings(text, "Mode", tsquery, tsquery, integer, text, boolean, boolean, timestamptz) TO candle_tenant, candle_system;
