-- DropIndex
DROP INDEX "products_platform_id_mode_category_price_idx";

-- DropIndex
DROP INDEX "products_platform_id_mode_created_idx";

-- DropIndex
DROP INDEX "products_platform_id_mode_price_idx";

-- CreateIndex
CREATE INDEX "products_platform_id_mode_category_price_id_parent_product__idx" ON "products"("platform_id", "mode", "category", "price", "id", "parent_product_id", "archived");

-- CreateIndex
CREATE INDEX "products_platform_id_mode_created_id_parent_product_id_arch_idx" ON "products"("platform_id", "mode", "created", "id", "parent_product_id", "archived");

-- CreateIndex
CREATE INDEX "products_platform_id_mode_price_id_parent_product_id_archiv_idx" ON "products"("platform_id", "mode", "price", "id", "parent_product_id", "archived");

