-- CreateEnum
CREATE TYPE "ProductAdminStatus" AS ENUM ('draft', 'pending', 'published', 'rejected');

-- DropIndex
DROP INDEX "products_platform_id_mode_category_price_id_parent_product__idx";

-- DropIndex
DROP INDEX "products_platform_id_mode_created_id_parent_product_id_arch_idx";

-- DropIndex
DROP INDEX "products_platform_id_mode_price_id_parent_product_id_archiv_idx";

-- AlterTable
ALTER TABLE "platforms" ADD COLUMN     "require_listing_review" BOOLEAN NOT NULL DEFAULT false;

-- AlterTable
ALTER TABLE "products" ADD COLUMN     "admin_status" "ProductAdminStatus" NOT NULL DEFAULT 'published',
ADD COLUMN     "rejection_reason" TEXT;

-- CreateIndex
CREATE INDEX "products_platform_id_mode_category_price_id_parent_product__idx" ON "products"("platform_id", "mode", "category", "price", "id", "parent_product_id", "archived", "admin_status");

-- CreateIndex
CREATE INDEX "products_platform_id_mode_created_id_parent_product_id_arch_idx" ON "products"("platform_id", "mode", "created", "id", "parent_product_id", "archived", "admin_status");

-- CreateIndex
CREATE INDEX "products_platform_id_mode_price_id_parent_product_id_archiv_idx" ON "products"("platform_id", "mode", "price", "id", "parent_product_id", "archived", "admin_status");

