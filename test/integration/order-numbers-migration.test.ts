import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, expect, it } from "vitest";
import { migrate } from "../../src/db/migrator.js";
import { MIGRATIONS_DIR } from "../../scripts/lib/prisma-cli.js";
import { createTestDatabase } from "../helpers/database.js";

/**
 * The migration that brought order numbers numbers the contracts already there in creation order,
 * per platform and mode, and the counters go on from there — also for rows inserted by plain SQL
 * (numbered at commit by the deferred trigger).
 */

const NAME = "shipping_orders";
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let dir: string;

beforeAll(async () => {
  db = await createTestDatabase({ empty: true });
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "order-numbers-"));
});
afterAll(async () => {
  await db.drop();
  await fs.rm(dir, { recursive: true, force: true });
});

it("numbers existing contracts in creation order per platform and mode, and goes on from there", async () => {
  const folders = (await fs.readdir(MIGRATIONS_DIR, { withFileTypes: true }))
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
  const ours = folders.findIndex((name) => name.endsWith(`_${NAME}`));
  expect(ours).toBeGreaterThan(0);
  const copy = async (upTo: number) => {
    for (const name of folders.slice(0, upTo)) await fs.cp(path.join(MIGRATIONS_DIR, name), path.join(dir, name), { recursive: true });
  };
  await copy(ours);
  await migrate({ connectionString: db.url, migrationsDir: dir });

  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    // Inserted out of id order: creation time decides.
    const rows = [
      ["inv_c", "plat_a", "test", "2026-01-03T00:00:00Z"],
      ["inv_a", "plat_a", "test", "2026-01-01T00:00:00Z"],
      ["inv_b", "plat_a", "test", "2026-01-02T00:00:00Z"],
      ["inv_d", "plat_a", "live", "2026-01-01T00:00:00Z"],
      ["inv_e", "plat_b", "test", "2026-01-05T00:00:00Z"],
    ];
    for (const [id, platform, mode, created] of rows) {
      await client.query(`INSERT INTO contracts (id, platform_id, mode, created, updated) VALUES ($1, $2, $3, $4, $4)`, [id, platform, mode, created]);
    }
    await copy(ours + 1);
    expect((await migrate({ connectionString: db.url, migrationsDir: dir })).applied).toEqual([folders[ours]]);

    const numbers = async () =>
      Object.fromEntries((await client.query<{ id: string; number: number }>(`SELECT id, number FROM contracts ORDER BY id`)).rows.map((r) => [r.id, r.number]));
    expect(await numbers()).toEqual({ inv_a: 1, inv_b: 2, inv_c: 3, inv_d: 1, inv_e: 1 });

    // New rows take the next number at commit; a rolled-back one takes none.
    await client.query(`INSERT INTO contracts (id, platform_id, mode, updated) VALUES ('inv_f', 'plat_a', 'test', now())`);
    await client.query("BEGIN");
    await client.query(`INSERT INTO contracts (id, platform_id, mode, updated) VALUES ('inv_x', 'plat_a', 'test', now())`);
    await client.query("ROLLBACK");
    await client.query(`INSERT INTO contracts (id, platform_id, mode, updated) VALUES ('inv_g', 'plat_a', 'test', now()), ('inv_h', 'plat_c', 'test', now())`);
    expect(await numbers()).toMatchObject({ inv_f: 4, inv_g: 5, inv_h: 1 });
  } finally {
    await client.end();
  }
});
