-- CreateEnum
CREATE TYPE "ShippingPayee" AS ENUM ('seller', 'platform');

-- CreateEnum
CREATE TYPE "ShippingRateKind" AS ENUM ('flat', 'weight', 'price');

-- AlterEnum
ALTER TYPE "FeeType" ADD VALUE 'shipping';

-- AlterTable. IF NOT EXISTS: the listing attributes add the same nullable column (grams); whichever
-- migration runs first creates it.
ALTER TABLE "products" ADD COLUMN IF NOT EXISTS "weight" INTEGER;

-- AlterTable
ALTER TABLE "contracts" ADD COLUMN     "number" INTEGER;

-- CreateTable
CREATE TABLE "contract_counters" (
    "platform_id" TEXT NOT NULL,
    "mode" "Mode" NOT NULL,
    "last_number" INTEGER NOT NULL,

    CONSTRAINT "contract_counters_pkey" PRIMARY KEY ("platform_id","mode")
);

-- CreateTable
CREATE TABLE "contract_shipping" (
    "id" TEXT NOT NULL,
    "platform_id" TEXT NOT NULL,
    "mode" "Mode" NOT NULL,
    "contract_id" TEXT NOT NULL,
    "shipping_rate_id" TEXT,
    "user_id" TEXT NOT NULL,
    "payee" "ShippingPayee" NOT NULL,
    "title" TEXT NOT NULL,
    "amount" INTEGER NOT NULL,
    "created" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "contract_shipping_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "shipping_rates" (
    "id" TEXT NOT NULL,
    "platform_id" TEXT NOT NULL,
    "mode" "Mode" NOT NULL,
    "user_id" TEXT,
    "title" TEXT NOT NULL,
    "kind" "ShippingRateKind" NOT NULL,
    "currency" TEXT NOT NULL,
    "price" INTEGER NOT NULL DEFAULT 0,
    "step_price" INTEGER NOT NULL DEFAULT 0,
    "bands" JSONB,
    "created" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "shipping_rates_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "contract_shipping_contract_id_idx" ON "contract_shipping"("contract_id");

-- CreateIndex
CREATE INDEX "shipping_rates_platform_id_mode_user_id_created_idx" ON "shipping_rates"("platform_id", "mode", "user_id", "created");

-- CreateIndex
CREATE UNIQUE INDEX "contracts_platform_id_mode_number_key" ON "contracts"("platform_id", "mode", "number");

-- AddForeignKey
ALTER TABLE "contract_shipping" ADD CONSTRAINT "contract_shipping_contract_id_fkey" FOREIGN KEY ("contract_id") REFERENCES "contracts"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "shipping_rates" ADD CONSTRAINT "shipping_rates_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;


-- Tenant tables: row-level security on and forced, with the two policies every tenant table has
-- (docs/tenancy.md).
ALTER TABLE "shipping_rates" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "shipping_rates" FORCE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "shipping_rates" USING (platform_id = (SELECT current_setting('app.platform_id', true)) AND mode = (SELECT nullif(current_setting('app.mode', true), '')::"Mode"));
CREATE POLICY "system_scope" ON "shipping_rates" TO candle_system USING (true) WITH CHECK (true);

ALTER TABLE "contract_shipping" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "contract_shipping" FORCE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "contract_shipping" USING (platform_id = (SELECT current_setting('app.platform_id', true)) AND mode = (SELECT nullif(current_setting('app.mode', true), '')::"Mode"));
CREATE POLICY "system_scope" ON "contract_shipping" TO candle_system USING (true) WITH CHECK (true);

ALTER TABLE "contract_counters" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "contract_counters" FORCE ROW LEVEL SECURITY;
CREATE POLICY "tenant_isolation" ON "contract_counters" USING (platform_id = (SELECT current_setting('app.platform_id', true)) AND mode = (SELECT nullif(current_setting('app.mode', true), '')::"Mode"));
CREATE POLICY "system_scope" ON "contract_counters" TO candle_system USING (true) WITH CHECK (true);

-- Existing contracts are numbered in creation order, per platform and mode; the counters go on from there.
UPDATE "contracts" c SET "number" = n.rn
FROM (SELECT id, row_number() OVER (PARTITION BY platform_id, mode ORDER BY created, id) AS rn FROM "contracts") n
WHERE c.id = n.id;
INSERT INTO "contract_counters" (platform_id, mode, last_number)
SELECT platform_id, mode, max("number") FROM "contracts" GROUP BY platform_id, mode;

-- Order numbers without gaps or duplicates. A new contract takes the next number from its
-- platform's counter row, whose lock is held until commit: two creations take turns, and a
-- rolled-back one gives its number back. The trigger is deferred so the counter is locked last in
-- the creating transaction (after its products, carts and stock), which keeps the wait short and
-- can close no lock cycle; the contracts module fires it early (SET CONSTRAINTS … IMMEDIATE) once
-- the contract is built, to answer it with its number. Rows inserted any other way are numbered at commit.
CREATE FUNCTION contracts_assign_number() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  next_number integer;
BEGIN
  IF EXISTS (SELECT 1 FROM contracts WHERE id = NEW.id AND number IS NULL) THEN
    INSERT INTO contract_counters AS k (platform_id, mode, last_number) VALUES (NEW.platform_id, NEW.mode, 1)
    ON CONFLICT (platform_id, mode) DO UPDATE SET last_number = k.last_number + 1
    RETURNING last_number INTO next_number;
    UPDATE contracts SET number = next_number WHERE id = NEW.id;
  END IF;
  RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER "contracts_number" AFTER INSERT ON "contracts"
DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION contracts_assign_number();
