-- CreateEnum
CREATE TYPE "MetafieldType" AS ENUM ('string', 'number', 'boolean', 'date', 'json');

-- AlterTable
ALTER TABLE "cart_items" ADD COLUMN     "add_on_ids" TEXT[] DEFAULT ARRAY[]::TEXT[];

-- AlterTable
ALTER TABLE "contract_items" ADD COLUMN     "add_ons" JSONB NOT NULL DEFAULT '[]';

-- CreateTable
CREATE TABLE "product_add_ons" (
    "id" TEXT NOT NULL,
    "platform_id" TEXT NOT NULL,
    "mode" "Mode" NOT NULL,
    "product_id" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "description" TEXT,
    "price" INTEGER NOT NULL,
    "created" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "product_add_ons_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "metafields" (
    "id" TEXT NOT NULL,
    "platform_id" TEXT NOT NULL,
    "mode" "Mode" NOT NULL,
    "product_id" TEXT,
    "contract_id" TEXT,
    "user_id" TEXT,
    "namespace" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "type" "MetafieldType" NOT NULL,
    "value" JSONB NOT NULL,
    "created" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "metafields_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "product_add_ons_product_id_idx" ON "product_add_ons"("product_id");

-- CreateIndex
CREATE INDEX "product_add_ons_platform_id_mode_idx" ON "product_add_ons"("platform_id", "mode");

-- CreateIndex
CREATE INDEX "metafields_platform_id_mode_idx" ON "metafields"("platform_id", "mode");

-- CreateIndex
CREATE UNIQUE INDEX "metafields_product_id_namespace_key_key" ON "metafields"("product_id", "namespace", "key");

-- CreateIndex
CREATE UNIQUE INDEX "metafields_contract_id_namespace_key_key" ON "metafields"("contract_id", "namespace", "key");

-- CreateIndex
CREATE UNIQUE INDEX "metafields_user_id_namespace_key_key" ON "metafields"("user_id", "namespace", "key");

-- AddForeignKey
ALTER TABLE "product_add_ons" ADD CONSTRAINT "product_add_ons_product_id_fkey" FOREIGN KEY ("product_id") REFERENCES "products"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "metafields" ADD CONSTRAINT "metafields_product_id_fkey" FOREIGN KEY ("product_id") REFERENCES "products"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "metafields" ADD CONSTRAINT "metafields_contract_id_fkey" FOREIGN KEY ("contract_id") REFERENCES "contracts"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "metafields" ADD CONSTRAINT "metafields_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;


-- Tenant tables: row-level security on and forced, with the two policies every tenant table has
-- (docs/tenancy.md).
ALTER TABLE "product_add_ons" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "product_add_ons" FORCE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "product_add_ons" USING (platform_id = (SELECT current_setting('app.platform_id', true)) AND mode = (SELECT nullif(current_setting('app.mode', true), '')::"Mode"));
CREATE POLICY "system_scope" ON "product_add_ons" TO candle_system USING (true) WITH CHECK (true);

ALTER TABLE "metafields" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "metafields" FORCE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "metafields" USING (platform_id = (SELECT current_setting('app.platform_id', true)) AND mode = (SELECT nullif(current_setting('app.mode', true), '')::"Mode"));
CREATE POLICY "system_scope" ON "metafields" TO candle_system USING (true) WITH CHECK (true);
