-- A broad search walks the newest listings (search_listings, the walk plan). The function runs as
-- its owner, the migrating role; when that role is not a superuser, row-level security still
-- applies to it, and its query's `mode = …` (enum equality is not leakproof) may not be an index
-- condition there: the (platform, mode, created) index could not give the order, so each broad
-- search read and sorted every listing of the table (145 ms instead of 2 ms for a word in 74 % of
-- 100 000 listings; bench/RESULTS.md). This index needs only the platform, a leakproof equality.
-- CreateIndex
CREATE INDEX "products_platform_id_created_id_idx" ON "products"("platform_id", "created", "id");

