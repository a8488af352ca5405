/**
 * Medusa v2 as the bench's peer (`npm run bench -- --peer medusa`): installs it on demand in
 * bench/peers/medusa/ (its own package.json and lock; never a dependency of the API), gives it a database of its
 * own on the bench's PostgreSQL server, seeds it with the same catalogue as ours through its own
 * workflows (src/scripts/seed.js, run by `medusa exec`), starts it, and prepares the carts its
 * scenarios use through its store API.
 */
import { spawn } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import pg from "pg";
import { CATEGORIES } from "../seed.js";

/** The peer's own project: package.json, lock, medusa-config.js and the seed script. */
export const MEDUSA_DIR = path.join(import.meta.dirname, "medusa");

/** What our seed holds, in the shape the Medusa seed script reads. */
export interface CatalogueProduct {
  id: string;
  name: string;
  description: string | null;
  image: string | null;
  category: string;
  seller: string;
  price: number;
  quantity: number | null;
  archived: boolean;
  variants: Omit<CatalogueProduct, "variants" | "category" | "seller" | "description" | "image" | "archived">[];
}

export interface Catalogue {
  categories: string[];
  category: string;
  products: CatalogueProduct[];
}

/** What the Medusa seed script answers. */
export interface MedusaData {
  publishableKey: string;
  regionId: string;
  salesChannelId: string;
  shippingOptionId: string;
  categoryId: string;
  /** Our product id → Medusa's. */
  productIds: Record<string, string>;
  /** Our product (or variant) id → Medusa's variant id. */
  variantIds: Record<string, string>;
}

/** A product row as exportCatalogue reads it. */
interface CatalogueRow {
  id: string;
  parent_product_id: string | null;
  name: string;
  description: string | null;
  image: string | null;
  category: string | null;
  user_id: string;
  price: number;
  quantity: number | null;
  archived: Date | null;
}

/** Our catalogue as rows the peer can be seeded with: top-level products, their variants nested. */
export async function exportCatalogue(url: string, platformId: string, category: string): Promise<Catalogue> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<CatalogueRow>(
      `SELECT id, parent_product_id, name, description, image, category, user_id, price, quantity, archived
       FROM products WHERE platform_id = $1 AND mode = 'test' ORDER BY created, id`,
      [platformId],
    );
    return toCatalogue(rows, category);
  } finally {
    await client.end();
  }
}

/** Pure part of exportCatalogue (tested): nests variants under their product, in our order. */
export function toCatalogue(rows: CatalogueRow[], category: string): Catalogue {
  const products = new Map<string, CatalogueProduct>();
  for (const r of rows) {
    if (r.parent_product_id !== null) continue;
    products.set(r.id, {
      id: r.id,
      name: r.name,
      description: r.description,
      image: r.image,
      category: r.category ?? CATEGORIES[0],
      seller: r.user_id,
      price: r.price,
      quantity: r.quantity,
      archived: r.archived !== null,
      variants: [],
    });
  }
  for (const r of rows) {
    if (r.parent_product_id === null || r.archived !== null) continue;
    products.get(r.parent_product_id)?.variants.push({ id: r.id, name: r.name, price: r.price, quantity: r.quantity });
  }
  return { categories: [...CATEGORIES], category, products: [...products.values()] };
}

function run(argv: string[], options: { cwd: string; env?: Record<string, string>; log: string }): Promise<void> {
  return new Promise((resolve, reject) => {
    void fs.open(options.log, "a").then((out) => {
      const child = spawn(argv[0]!, argv.slice(1), { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ["ignore", out.fd, out.fd] });
      child.once("error", reject);
      child.once("exit", (code) => {
        void out.close();
        if (code === 0) resolve();
        else reject(new Error(`${argv.join(" ")} exited with ${code} (see ${options.log})`));
      });
    });
  });
}

/** `npm ci` in bench/peers/medusa/ unless its node_modules matches its lock (a few minutes the first time). */
export async function ensureInstalled(log: string): Promise<boolean> {
  const installed = path.join(MEDUSA_DIR, "node_modules/.package-lock.json");
  const lock = path.join(MEDUSA_DIR, "package-lock.json");
  if (existsSync(installed) && statSync(installed).mtimeMs >= statSync(lock).mtimeMs) return false;
  const npm = process.env.npm_execpath ? [process.execPath, process.env.npm_execpath] : ["npm"];
  await run([...npm, "ci", "--no-audit", "--no-fund"], { cwd: MEDUSA_DIR, log });
  return true;
}

/** The environment Medusa runs with: its database, production mode, no telemetry, the bench's Node first on PATH. */
export function medusaEnv(databaseUrl: string): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl,
    NODE_ENV: "production",
    MEDUSA_DISABLE_TELEMETRY: "true",
    LOG_LEVEL: "warn",
    PATH: `${path.dirname(process.execPath)}:${process.env.PATH ?? ""}`,
  };
}

export const MEDUSA_CLI = path.join(MEDUSA_DIR, "node_modules/@medusajs/cli/cli.js");

/** Migrates Medusa's database and seeds it with our catalogue through its workflows. */
export async function migrateAndSeed(databaseUrl: string, catalogue: Catalogue, workDir: string, log: string): Promise<MedusaData> {
  const env = medusaEnv(databaseUrl);
  await run([process.execPath, MEDUSA_CLI, "db:migrate"], { cwd: MEDUSA_DIR, env, log });
  const input = path.join(workDir, "medusa-catalogue.json");
  const output = path.join(workDir, "medusa-data.json");
  await fs.writeFile(input, JSON.stringify(catalogue));
  await run([process.execPath, MEDUSA_CLI, "exec", "./src/scripts/seed.js"], {
    cwd: MEDUSA_DIR,
    env: { ...env, LOG_LEVEL: "info", BENCH_CATALOGUE: input, BENCH_MEDUSA_OUT: output },
    log,
  });
  return JSON.parse(await fs.readFile(output, "utf8")) as MedusaData;
}
