-- CreateEnum
CREATE TYPE "AccountType" AS ENUM ('individual', 'company', 'non_profit');

-- CreateEnum
CREATE TYPE "ProductVisibility" AS ENUM ('both', 'catalog', 'search', 'none');

-- AlterTable
ALTER TABLE "users" ADD COLUMN     "account_type" "AccountType" NOT NULL DEFAULT 'individual',
ADD COLUMN     "address_city" TEXT,
ADD COLUMN     "address_country" TEXT,
ADD COLUMN     "address_line1" TEXT,
ADD COLUMN     "address_line2" TEXT,
ADD COLUMN     "address_postal_code" TEXT,
ADD COLUMN     "address_state" TEXT,
ADD COLUMN     "attributes" JSONB NOT NULL DEFAULT '{}',
ADD COLUMN     "business_name" TEXT,
ADD COLUMN     "can_post_listing" BOOLEAN NOT NULL DEFAULT true,
ADD COLUMN     "connect_accounts_deleted" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "external_id" TEXT,
ADD COLUMN     "locale" TEXT,
ADD COLUMN     "phone_country_code" TEXT,
ADD COLUMN     "phone_number" TEXT;

-- AlterTable
ALTER TABLE "products" ADD COLUMN     "external_id" TEXT,
ADD COLUMN     "gallery" JSONB NOT NULL DEFAULT '[]',
ADD COLUMN     "min_quantity" INTEGER NOT NULL DEFAULT 1,
ADD COLUMN     "on_homepage" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "publish_at" TIMESTAMPTZ(3),
ADD COLUMN     "sku" TEXT,
ADD COLUMN     "slug" TEXT,
ADD COLUMN     "visibility" "ProductVisibility" NOT NULL DEFAULT 'both',
-- Added by the shipping migration (20261205000500) on databases that had it first.
ADD COLUMN IF NOT EXISTS "weight" INTEGER;

-- Existing products get a slug from their name (lower-case ASCII letters and digits joined by "-");
-- one that another product of the tenant already has is told apart by the end of its id.
WITH base AS (
  SELECT id, platform_id, mode,
         left(coalesce(nullif(trim(both '-' from regexp_replace(lower(name), '[^a-z0-9]+', '-', 'g')), ''), 'product'), 80) AS s
  FROM "products"
), ranked AS (
  SELECT id, s, row_number() OVER (PARTITION BY platform_id, mode, s ORDER BY created_order, id) AS n
  FROM (SELECT b.*, p.created AS created_order FROM base b JOIN "products" p ON p.id = b.id) x
)
UPDATE "products" p SET "slug" = CASE WHEN r.n = 1 THEN r.s ELSE r.s || '-' || right(p.id, 12) END
FROM ranked r WHERE r.id = p.id;

ALTER TABLE "products" ALTER COLUMN "slug" SET NOT NULL;

-- AlterTable
ALTER TABLE "sim_accounts" ADD COLUMN     "deleted" TIMESTAMPTZ(3);

-- CreateIndex
CREATE UNIQUE INDEX "users_platform_id_mode_external_id_key" ON "users"("platform_id", "mode", "external_id");

-- CreateIndex
CREATE INDEX "products_platform_id_mode_on_homepage_idx" ON "products"("platform_id", "mode", "on_homepage");

-- CreateIndex
CREATE UNIQUE INDEX "products_platform_id_mode_slug_key" ON "products"("platform_id", "mode", "slug");

-- CreateIndex
CREATE UNIQUE INDEX "products_platform_id_mode_external_id_key" ON "products"("platform_id", "mode", "external_id");

-- CreateIndex
CREATE UNIQUE INDEX "products_platform_id_mode_sku_key" ON "products"("platform_id", "mode", "sku");

