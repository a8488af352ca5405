import pg from "pg";
import { rebalanceContract, type FeeType } from "../src/domain/fees/index.js";
import { randomBase62, sha256Hex } from "../src/lib/crypto.js";
import { uuidv7Hex } from "../src/lib/ids.js";

/**
 * The bench data set, written with plain SQL: one multi-row `INSERT … SELECT FROM unnest($1, $2, …)`
 * per batch, one array parameter per column (no per-row parameters, no ORM). 100 000 products over
 * 1 000 sellers on one platform takes a few seconds.
 */
export const SEED_VERSION = "catalog-v3";

export const CATEGORIES = [
  "Home & Kitchen",
  "Electronics",
  "Books",
  "Clothing",
  "Shoes",
  "Jewelry",
  "Toys",
  "Sports",
  "Outdoors",
  "Garden",
  "Beauty",
  "Health",
  "Pets",
  "Music",
  "Art",
  "Crafts",
  "Food",
  "Office",
  "Automotive",
  "Services",
] as const;
const SUBCATEGORIES = ["Classic", "Premium", "Handmade", "Vintage", "Kids"] as const;
const TAGS = Array.from({ length: 40 }, (_, i) => `tag${i + 1}`);
const WORDS = "oak clay linen wool brass cedar indigo amber slate willow copper maple sage ivory cobalt walnut".split(" ");

export interface SeedOptions {
  products: number;
  sellers: number;
  /** Deterministic data for a given seed. */
  seed: number;
  /** Contracts in every status, their figures from the fee module (default 0). */
  contracts?: number;
  /** Filled carts per server (the API's and the baseline's, in identical pairs), for contract-from-cart (default 0). */
  carts?: number;
  /** Shoppers per server, with empty carts, for add-to-cart (default 0). */
  shoppers?: number;
}

/** The two servers a bench drives; a write scenario gives each its own rows, in identical pairs. */
export type BenchTarget = "api" | "baseline";

export interface BenchData {
  platformId: string;
  apiKey: string;
  /** The category the list scenario filters on. */
  category: string;
  sellers: string[];
  buyers: string[];
  products: number;
  /** Some of the seeded contracts (the retrieve scenario cycles through them). */
  contractIds: string[];
  /** Filled carts; each is turned into a contract once. Cart i of the API and of the baseline hold the same lines. */
  carts: Record<BenchTarget, string[]>;
  /** Users who fill carts; shopper i of the API and of the baseline add the same products. */
  shoppers: Record<BenchTarget, string[]>;
  /** Products of unlimited stock, without variants, that shoppers add to their carts. */
  shopProducts: string[];
  /** Access tokens of the API's shoppers (signed by the runner with the API's secret). */
  tokens?: Record<string, string>;
  /** The analytics history, when seeded (seed-transactions.ts): how many rows, and users with figures to ask about. */
  analytics?: { transactions: number; sellers: string[]; buyers: string[] };
}

/** The platform's fee in the bench (2.5 %): contracts carry all three fee types. */
export const BENCH_PLATFORM_FEE_BPS = 250;

/** A small deterministic PRNG (mulberry32), so every run seeds the same catalogue. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Column = [name: string, type: string];

/**
 * Inserts `rows` in batches with one array parameter per column; `constants` are SQL expressions
 * for columns every row shares (mode, updated).
 */
async function insert(client: pg.ClientBase, table: string, columns: Column[], rows: unknown[][], constants: Record<string, string> = {}): Promise<void> {
  const BATCH = 10_000;
  const names = columns.map(([name]) => name);
  // unnest() would flatten a text[][]: tags travel as JSON text and become text[] again here.
  const values = columns.map(([name, type]) => (type === "jsonb" ? `ARRAY(SELECT jsonb_array_elements_text(t.${name}))` : `t.${name}`));
  const target = [...names, ...Object.keys(constants)].join(", ");
  const select = [...values, ...Object.values(constants)].join(", ");
  const params = columns.map(([, type], i) => `$${i + 1}::${type}[]`).join(", ");
  for (let start = 0; start < rows.length; start += BATCH) {
    const batch = rows.slice(start, start + BATCH);
    await client.query(
      `INSERT INTO ${table} (${target}) SELECT ${select} FROM unnest(${params}) AS t(${names.join(", ")})`,
      columns.map((_, c) => batch.map((r) => r[c])),
    );
  }
}

const TENANT = { mode: `'test'::"Mode"`, updated: "now()" };

/** Where listings are: 85 % in a box over France (about 1 100 × 1 100 km), the rest nowhere in particular. */
export const GEO_BOX = { south: 42, north: 51, west: -4.5, east: 8 } as const;

export async function seed(connectionString: string, options: SeedOptions): Promise<BenchData> {
  const random = prng(options.seed);
  // Positions from a stream of their own: the rest of the catalogue stays what it was before listings had them.
  const geoRandom = prng(options.seed + 1);
  const position = (): [number | null, number | null] =>
    geoRandom() < 0.85 ? [GEO_BOX.south + geoRandom() * (GEO_BOX.north - GEO_BOX.south), GEO_BOX.west + geoRandom() * (GEO_BOX.east - GEO_BOX.west)] : [null, null];
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)]!;
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    await client.query("BEGIN");
    const platformId = `plat_${uuidv7Hex()}`;
    const apiKey = `cndl_test_${randomBase62(40)}`;
    await client.query(`INSERT INTO platforms (id, mode, name, description, currency, platform_fee_bps, updated) VALUES ($1, 'test', 'Bench Marketplace', $2, 'usd', $3, now())`, [
      platformId,
      `seed ${SEED_VERSION}`,
      BENCH_PLATFORM_FEE_BPS,
    ]);
    await client.query(`INSERT INTO api_keys (id, platform_id, mode, name, hash, last4, updated) VALUES ($1, $2, 'test', 'bench', $3, $4, now())`, [
      `key_${uuidv7Hex()}`,
      platformId,
      sha256Hex(apiKey),
      apiKey.slice(-4),
    ]);

    const now = Date.now();
    const day = 86_400_000;
    const users: unknown[][] = [];
    const memberships: unknown[][] = [];
    const sellers: string[] = [];
    const buyers: string[] = [];
    for (let i = 0; i < options.sellers + 100; i += 1) {
      const id = `user_${uuidv7Hex()}`;
      const created = new Date(now - Math.floor(random() * 730) * day);
      (i < options.sellers ? sellers : buyers).push(id);
      users.push([id, platformId, `${i < options.sellers ? "seller" : "buyer"}${i}@bench.test`, `${pick(WORDS)} ${pick(WORDS)} ${i}`, created]);
      memberships.push([`mem_${uuidv7Hex()}`, platformId, id, "member", created]);
    }
    await insert(
      client,
      "users",
      [
        ["id", "text"],
        ["platform_id", "text"],
        ["email", "text"],
        ["name", "text"],
        ["created", "timestamptz"],
      ],
      users,
      TENANT,
    );
    await insert(
      client,
      "memberships",
      [
        ["id", "text"],
        ["platform_id", "text"],
        ["user_id", "text"],
        ["role", '"Role"'],
        ["created", "timestamptz"],
      ],
      memberships,
      TENANT,
    );

    // 95 % top-level products; the rest are variants (two each) of earlier ones.
    const products: unknown[][] = [];
    const seasons: unknown[][] = [];
    const topLevel: { id: string; seller: string; category: string; subcategory: string; name: string; price: number; quantity: number | null; forSale: boolean }[] = [];
    for (let i = 0; i < options.products; i += 1) {
      const id = `prod_${uuidv7Hex()}`;
      const isVariant = i >= options.products * 0.95 && topLevel.length > 0;
      const parent = isVariant ? topLevel[Math.floor((i - options.products * 0.95) / 2) % topLevel.length]! : null;
      const seller = parent?.seller ?? pick(sellers);
      const category = parent?.category ?? pick(CATEGORIES);
      const subcategory = parent?.subcategory ?? pick(SUBCATEGORIES);
      const name = `${pick(WORDS)} ${pick(WORDS)} ${category.split(" ")[0]!.toLowerCase()} ${i}`;
      const tags = Array.from(new Set(Array.from({ length: 1 + Math.floor(random() * 3) }, () => pick(TAGS))));
      const quantity = random() < 0.3 ? null : Math.floor(random() * 500);
      const seasonal = random() < 0.05;
      const created = new Date(now - Math.floor(random() * 365 * day));
      products.push([
        id,
        platformId,
        seller,
        parent?.id ?? null,
        random() < 0.1 ? "service" : "product",
        name,
        `A ${name}, made with care. ${WORDS.slice(0, 4 + Math.floor(random() * 10)).join(" ")}.`,
        `https://cdn.bench.test/products/${id}.jpg`,
        quantity,
        random() >= 0.02,
        random() < 0.01 ? created : null,
        category,
        subcategory,
        JSON.stringify(tags),
        100 + Math.floor(random() * 99_900),
        seasonal,
        created,
        ...position(),
        // Unique per platform: the name carries the row's number.
        name.toLowerCase().replace(/[^a-z0-9]+/g, "-"),
      ]);
      const row = products.at(-1)!;
      if (!parent) topLevel.push({ id, seller, category, subcategory, name, price: row[14] as number, quantity, forSale: (row[9] as boolean) && row[10] === null && !seasonal });
      if (seasonal) {
        const start = new Date(now - 30 * day);
        seasons.push([`sprice_${uuidv7Hex()}`, platformId, id, start, new Date(now + 30 * day), 100 + Math.floor(random() * 99_900)]);
        seasons.push([`sprice_${uuidv7Hex()}`, platformId, id, new Date(now + 30 * day), new Date(now + 120 * day), 100 + Math.floor(random() * 99_900)]);
      }
    }
    await insert(
      client,
      "products",
      [
        ["id", "text"],
        ["platform_id", "text"],
        ["user_id", "text"],
        ["parent_product_id", "text"],
        ["type", '"ItemType"'],
        ["name", "text"],
        ["description", "text"],
        ["image", "text"],
        ["quantity", "int"],
        ["is_enabled", "boolean"],
        ["archived", "timestamptz"],
        ["category", "text"],
        ["subcategory", "text"],
        ["tags", "jsonb"],
        ["price", "int"],
        ["use_seasonal_prices", "boolean"],
        ["created", "timestamptz"],
        ["latitude", "float8"],
        ["longitude", "float8"],
        ["slug", "text"],
      ],
      products,
      TENANT,
    );
    await insert(
      client,
      "seasonal_prices",
      [
        ["id", "text"],
        ["platform_id", "text"],
        ["product_id", "text"],
        ["season_start", "timestamptz"],
        ["season_end", "timestamptz"],
        ["price", "int"],
      ],
      seasons,
      TENANT,
    );
    // Products a contract or a cart can hold: top level, without variants, enabled, not archived,
    // at their base price (no seasons), and unlimited or with stock to spare for every cart.
    const withVariants = new Set(products.filter((p) => p[3] !== null).map((p) => p[3] as string));
    const sellable = topLevel.filter((p) => p.forSale && !withVariants.has(p.id) && (p.quantity === null || p.quantity >= 300));
    const contractIds = await seedContracts(client, { platformId, random, pick, buyers, sellable, count: options.contracts ?? 0 });
    const carts = await seedCarts(client, { platformId, random, pick, sellable, count: options.carts ?? 0 });
    const shoppers = await seedShoppers(client, { platformId, count: options.shoppers ?? 0 });
    const shopProducts = sellable
      .filter((p) => p.quantity === null)
      .slice(0, 1000)
      .map((p) => p.id);

    await client.query("COMMIT");
    // What autovacuum does shortly after a bulk load: statistics, and the visibility map that lets
    // counts run as index-only scans.
    await client.query("VACUUM ANALYZE");
    return { platformId, apiKey, category: "Home & Kitchen", sellers, buyers, products: options.products, contractIds, carts, shoppers, shopProducts };
  } catch (err) {
    await client.query("ROLLBACK").catch(() => {});
    throw err;
  } finally {
    await client.end();
  }
}

type Random = () => number;
type Pick = <T>(list: readonly T[]) => T;
interface Sellable {
  id: string;
  seller: string;
  name: string;
  price: number;
  quantity: number | null;
}

const FEE_DB_TYPE: Record<FeeType, string> = { "stripe:cc": "stripe:cc", "candle:base": "candle:base", "platform:base": "platform:base", shipping: "shipping", custom: "custom" };

/**
 * Contracts as the API leaves them: 1–4 catalogue items, one or two buyers, the items' sellers,
 * sometimes a custom fee, the fees on the buyers or on the sellers, and figures computed by the fee
 * module (so every invariant holds); 45 % paid (with their sent and paid dates), 30 % open, 20 %
 * draft, 5 % void. Returns up to 1 000 of their ids, spread over the set.
 */
async function seedContracts(
  client: pg.ClientBase,
  input: { platformId: string; random: Random; pick: Pick; buyers: string[]; sellable: Sellable[]; count: number },
): Promise<string[]> {
  const { platformId, random, pick } = input;
  const rows = { contracts: [] as unknown[][], items: [] as unknown[][], buyers: [] as unknown[][], sellers: [] as unknown[][], fees: [] as unknown[][] };
  const ids: string[] = [];
  const now = Date.now();
  const day = 86_400_000;
  for (let n = 0; n < input.count; n += 1) {
    const id = `inv_${uuidv7Hex()}`;
    const lines = Array.from({ length: 1 + Math.floor(random() * 4) }, () => ({ product: pick(input.sellable), quantity: 1 + Math.floor(random() * 3) }));
    const buyers = [...new Set(Array.from({ length: random() < 0.8 ? 1 : 2 }, () => pick(input.buyers)))];
    const sellers = [...new Set(lines.map((l) => l.product.seller))];
    const included = random() < 0.5;
    const custom = random() < 0.1 ? [{ id: `fee_${uuidv7Hex()}`, amount: 500, payer: "buyers" as const }] : [];
    const figures = rebalanceContract({
      items: lines.map((l) => ({ sellerUserId: l.product.seller, total: l.product.price * l.quantity })),
      customFees: custom,
      buyers: buyers.map((userId) => ({ userId })),
      sellers: sellers.map((userId) => ({ userId })),
      rates: { platformBps: BENCH_PLATFORM_FEE_BPS },
      include: { stripe: included, candle: included, platform: included },
    });
    const roll = random();
    const status = roll < 0.45 ? "paid" : roll < 0.75 ? "open" : roll < 0.95 ? "draft" : "void";
    const created = new Date(now - Math.floor(random() * 365) * day);
    const sent = status === "draft" ? null : new Date(created.getTime() + 3_600_000);
    const paid = status === "paid" ? new Date(created.getTime() + 2 * day) : null;
    const due = random() < 0.7 ? new Date(created.getTime() + 30 * day) : null;
    rows.contracts.push([
      id,
      platformId,
      buyers[0],
      status,
      figures.subTotal,
      figures.total,
      included,
      sent,
      sent,
      due,
      paid,
      paid,
      created,
      random() < 0.3 ? "Thank you for your order." : null,
      n + 1,
    ]);
    lines.forEach((l, i) => {
      rows.items.push([
        `item_${uuidv7Hex()}`,
        platformId,
        id,
        l.product.seller,
        l.product.id,
        l.quantity,
        l.product.price,
        l.product.price * l.quantity,
        l.product.name,
        new Date(created.getTime() + i),
      ]);
    });
    figures.buyers.forEach((b, i) => {
      rows.buyers.push([
        `buyer_${uuidv7Hex()}`,
        platformId,
        id,
        b.userId,
        `${b.userId.slice(-8)}@bench.test`,
        b.baseAmountDue,
        b.amountDue,
        status === "paid" ? b.amountDue : 0,
        i,
      ]);
    });
    figures.sellers.forEach((s, i) => {
      rows.sellers.push([
        `seller_${uuidv7Hex()}`,
        platformId,
        id,
        s.userId,
        `${s.userId.slice(-8)}@bench.test`,
        s.baseAmountOwed,
        s.amountOwed,
        status === "paid" ? s.amountOwed : 0,
        i,
      ]);
    });
    for (const fee of figures.fees) {
      const payer = fee.type === "custom" ? "buyers" : included ? "buyers" : "sellers";
      rows.fees.push([fee.customFeeId ?? `fee_${uuidv7Hex()}`, platformId, id, FEE_DB_TYPE[fee.type], fee.amount, fee.type === "custom" ? "Handling" : null, payer, created]);
    }
    ids.push(id);
  }
  const T = { mode: `'test'::"Mode"`, updated: "now()" };
  await insert(
    client,
    "contracts",
    [
      ["id", "text"],
      ["platform_id", "text"],
      ["user_id", "text"],
      ["status", '"ContractStatus"'],
      ["sub_total", "int"],
      ["total", "int"],
      ["include_stripe_fees", "boolean"],
      ["sent", "timestamptz"],
      ["last_sent", "timestamptz"],
      ["due", "timestamptz"],
      ["paid", "timestamptz"],
      ["last_payment_attempt", "timestamptz"],
      ["created", "timestamptz"],
      ["notes", "text"],
      // The platform is new: its order numbers from 1, and its counter after them (left to the
      // deferred numbering trigger, every row would update the one counter row at COMMIT).
      ["number", "int"],
    ],
    rows.contracts,
    { ...T, include_candle_fees: "t.include_stripe_fees", include_platform_fees: "t.include_stripe_fees" },
  );
  if (rows.contracts.length > 0) {
    await client.query(`INSERT INTO contract_counters (platform_id, mode, last_number) VALUES ($1, 'test', $2)`, [platformId, rows.contracts.length]);
  }
  await insert(
    client,
    "contract_items",
    [
      ["id", "text"],
      ["platform_id", "text"],
      ["contract_id", "text"],
      ["user_id", "text"],
      ["product_id", "text"],
      ["quantity", "int"],
      ["price", "int"],
      ["total", "int"],
      ["description", "text"],
      ["created", "timestamptz"],
    ],
    rows.items,
    T,
  );
  const party = (amount: string) =>
    [
      ["id", "text"],
      ["platform_id", "text"],
      ["contract_id", "text"],
      ["user_id", "text"],
      ["email", "text"],
      [`base_${amount}`, "int"],
      [amount, "int"],
    ] as Column[];
  await insert(client, "contract_buyers", [...party("amount_due"), ["amount_paid", "int"], ["position", "int"]], rows.buyers, T);
  await insert(client, "contract_sellers", [...party("amount_owed"), ["amount_received", "int"], ["position", "int"]], rows.sellers, T);
  await insert(
    client,
    "contract_fees",
    [
      ["id", "text"],
      ["platform_id", "text"],
      ["contract_id", "text"],
      ["type", '"FeeType"'],
      ["amount", "int"],
      ["description", "text"],
      ["payer", '"FeePayer"'],
      ["created", "timestamptz"],
    ],
    rows.fees,
    T,
  );
  const step = Math.max(1, Math.floor(ids.length / 1000));
  return ids.filter((_, i) => i % step === 0).slice(0, 1000);
}

async function insertMembers(client: pg.ClientBase, platformId: string, ids: string[], prefix: string): Promise<void> {
  const T = { mode: `'test'::"Mode"`, updated: "now()" };
  await insert(
    client,
    "users",
    [
      ["id", "text"],
      ["platform_id", "text"],
      ["email", "text"],
    ],
    ids.map((id, i) => [id, platformId, `${prefix}${i}-${id.slice(-6)}@bench.test`]),
    T,
  );
  await insert(
    client,
    "memberships",
    [
      ["id", "text"],
      ["platform_id", "text"],
      ["user_id", "text"],
    ],
    ids.map((id) => [`mem_${uuidv7Hex()}`, platformId, id]),
    { ...T, role: `'member'::"Role"` },
  );
}

/**
 * `count` carts per server, each of its own shopper, holding 1–3 lines (1–2 units each) of
 * sellable products — limited stock (300+) or unlimited. Cart i of the API and of the baseline hold
 * the same lines, so the two servers do the same work and their answers can be compared.
 */
async function seedCarts(
  client: pg.ClientBase,
  input: { platformId: string; random: Random; pick: Pick; sellable: Sellable[]; count: number },
): Promise<Record<BenchTarget, string[]>> {
  const carts: Record<BenchTarget, string[]> = { api: [], baseline: [] };
  if (input.count === 0) return carts;
  const contents = Array.from({ length: input.count }, () => {
    const lines = new Map<string, number>();
    for (let k = 1 + Math.floor(input.random() * 3); k > 0; k -= 1) lines.set(input.pick(input.sellable).id, 1 + Math.floor(input.random() * 2));
    return [...lines];
  });
  const T = { mode: `'test'::"Mode"`, updated: "now()" };
  for (const target of ["api", "baseline"] as const) {
    const users = contents.map(() => `user_${uuidv7Hex()}`);
    await insertMembers(client, input.platformId, users, `shopper-${target}-`);
    const cartRows: unknown[][] = [];
    const itemRows: unknown[][] = [];
    const created = new Date();
    contents.forEach((lines, i) => {
      const cartId = `cart_${uuidv7Hex()}`;
      carts[target].push(cartId);
      cartRows.push([cartId, input.platformId, users[i]]);
      lines.forEach(([productId, quantity], k) => itemRows.push([`citem_${uuidv7Hex()}`, input.platformId, cartId, productId, quantity, new Date(created.getTime() + k)]));
    });
    await insert(
      client,
      "carts",
      [
        ["id", "text"],
        ["platform_id", "text"],
        ["user_id", "text"],
      ],
      cartRows,
      T,
    );
    await insert(
      client,
      "cart_items",
      [
        ["id", "text"],
        ["platform_id", "text"],
        ["cart_id", "text"],
        ["product_id", "text"],
        ["quantity", "int"],
        ["created", "timestamptz"],
      ],
      itemRows,
      T,
    );
  }
  return carts;
}

/** `count` shoppers per server, signed up with nothing in their carts yet. */
async function seedShoppers(client: pg.ClientBase, input: { platformId: string; count: number }): Promise<Record<BenchTarget, string[]>> {
  const shoppers: Record<BenchTarget, string[]> = { api: [], baseline: [] };
  for (const target of ["api", "baseline"] as const) {
    shoppers[target] = Array.from({ length: input.count }, () => `user_${uuidv7Hex()}`);
    if (input.count > 0) await insertMembers(client, input.platformId, shoppers[target], `cartfiller-${target}-`);
  }
  return shoppers;
}
