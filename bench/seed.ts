import pg from "pg";
import { randomBase62, sha256Hex } from "../src/lib/crypto.js";
import { uuidv7Hex } from "../src/lib/ids.js";

/**
 * The bench data set, written with plain SQL: one multi-row `INSERT … SELECT FROM unnest($1, $2, …)`
 * per batch, one array parameter per column (no per-row parameters, no ORM). 100 000 products over
 * 1 000 sellers on one platform takes a few seconds.
 */
export const SEED_VERSION = "catalog-v1";

export const CATEGORIES = [
  "Home & Kitchen", "Electronics", "Books", "Clothing", "Shoes", "Jewelry", "Toys", "Sports", "Outdoors", "Garden",
  "Beauty", "Health", "Pets", "Music", "Art", "Crafts", "Food", "Office", "Automotive", "Services",
] as const;
const SUBCATEGORIES = ["Classic", "Premium", "Handmade", "Vintage", "Kids"] as const;
const TAGS = Array.from({ length: 40 }, (_, i) => `tag${i + 1}`);
const WORDS = "oak clay linen wool brass cedar indigo amber slate willow copper maple sage ivory cobalt walnut".split(" ");

export interface SeedOptions {
  products: number;
  sellers: number;
  /** Deterministic data for a given seed. */
  seed: number;
}

export interface BenchData {
  platformId: string;
  apiKey: string;
  /** The category the list scenario filters on. */
  category: string;
  sellers: string[];
  buyers: string[];
  products: number;
}

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

export async function seed(connectionString: string, options: SeedOptions): Promise<BenchData> {
  const random = prng(options.seed);
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)]!;
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    await client.query("BEGIN");
    const platformId = `plat_${uuidv7Hex()}`;
    const apiKey = `cndl_test_${randomBase62(40)}`;
    await client.query(`INSERT INTO platforms (id, mode, name, description, currency, updated) VALUES ($1, 'test', 'Bench Marketplace', $2, 'usd', now())`, [
      platformId,
      `seed ${SEED_VERSION}`,
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
    await insert(client, "users", [["id", "text"], ["platform_id", "text"], ["email", "text"], ["name", "text"], ["created", "timestamptz"]], users, TENANT);
    await insert(client, "memberships", [["id", "text"], ["platform_id", "text"], ["user_id", "text"], ["role", '"Role"'], ["created", "timestamptz"]], memberships, TENANT);

    // 95 % top-level products; the rest are variants (two each) of earlier ones.
    const products: unknown[][] = [];
    const seasons: unknown[][] = [];
    const topLevel: { id: string; seller: string; category: string; subcategory: string }[] = [];
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
      ]);
      if (!parent) topLevel.push({ id, seller, category, subcategory });
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
      ],
      products,
      TENANT,
    );
    await insert(
      client,
      "seasonal_prices",
      [["id", "text"], ["platform_id", "text"], ["product_id", "text"], ["season_start", "timestamptz"], ["season_end", "timestamptz"], ["price", "int"]],
      seasons,
      TENANT,
    );
    await client.query("COMMIT");
    // What autovacuum does shortly after a bulk load: statistics, and the visibility map that lets
    // counts run as index-only scans.
    await client.query("VACUUM ANALYZE");
    return { platformId, apiKey, category: "Home & Kitchen", sellers, buyers, products: options.products };
  } catch (err) {
    await client.query("ROLLBACK").catch(() => {});
    throw err;
  } finally {
    await client.end();
  }
}
