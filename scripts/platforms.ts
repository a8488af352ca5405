/**
 * `npm run platforms -- <command>`: platforms and their API keys, from the command line, against the
 * server's database (DATABASE_URL, or the embedded one under DATA_DIR, even while the server runs).
 * A lost key does not need a new platform: `create-key` gives an existing one another key.
 */
import { parseArgs } from "node:util";
import { createPrisma } from "../src/db/client.js";
import { asSystem } from "../src/db/tenant.js";
import { openDatabase } from "../src/db/database.js";
import { sha256Hex } from "../src/lib/crypto.js";
import { AppError } from "../src/lib/errors.js";
import { createKeysService, toApiKeyResponse } from "../src/modules/keys/keys.service.js";
import { cliConfig, wantsHelp } from "./lib/cli.js";

const usage = `usage: npm run platforms -- <command> [options]

commands:
  list [--json]                               every platform: id, mode, name, active keys
  create-key --platform <plat_…> [--name …]   a new API key for an existing platform (printed once, as JSON)
  revoke-key --key <key_… | cndl_…>           revokes a key at once, on every node (by its id or the key itself);
                                              a platform's last active key is kept: create another first

Create a platform with: npm run platform:create -- --name "Acme" --mode test`;

type Command = "list" | "create-key" | "revoke-key";

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (wantsHelp(argv) || argv.length === 0) {
    (argv.length === 0 ? console.error : console.log)(usage);
    return argv.length === 0 ? 2 : 0;
  }
  const [command, ...rest] = argv as [string, ...string[]];
  if (!["list", "create-key", "revoke-key"].includes(command)) {
    console.error(`unknown command: ${command}\n${usage}`);
    return 2;
  }
  let values: { json?: boolean; platform?: string; name?: string; key?: string };
  try {
    ({ values } = parseArgs({ args: rest, options: { json: { type: "boolean" }, platform: { type: "string" }, name: { type: "string" }, key: { type: "string" } }, strict: true }));
  } catch (err) {
    console.error(`${(err as Error).message}\n${usage}`);
    return 2;
  }
  if (command === "create-key" && !values.platform) return missing("--platform");
  if (command === "revoke-key" && !values.key) return missing("--key");

  const config = cliConfig();
  if (!config) return 1;
  // Progress goes to stderr so stdout is exactly the answer.
  const database = await openDatabase(config, (message) => console.error(message));
  const db = createPrisma(database.url, 2, config.database.transactionTimeout);
  try {
    // Keys and platforms of every marketplace: the system scope (docs/tenancy.md).
    return await asSystem(() => run(command as Command, values, db));
  } catch (err) {
    if (err instanceof AppError) {
      console.error(err.message);
      return 1;
    }
    throw err;
  } finally {
    await db.$disconnect();
    await database.stop();
  }
}

async function run(command: Command, values: { json?: boolean; platform?: string; name?: string; key?: string }, db: ReturnType<typeof createPrisma>): Promise<number> {
  const keys = createKeysService({ db });
  if (command === "list") {
    const platforms = await db.platform.findMany({
      orderBy: [{ created: "asc" }, { id: "asc" }],
      select: { id: true, mode: true, name: true, created: true, _count: { select: { apiKeys: { where: { revoked: null } } } } },
    });
    const rows = platforms.map((p) => ({ id: p.id, mode: p.mode, name: p.name, active_keys: p._count.apiKeys, created: p.created.toISOString() }));
    if (values.json) {
      process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    } else if (rows.length === 0) {
      process.stdout.write('no platforms (create one: npm run platform:create -- --name "Acme" --mode test)\n');
    } else {
      const table = [["ID", "MODE", "KEYS", "CREATED", "NAME"], ...rows.map((r) => [r.id, r.mode, String(r.active_keys), `${r.created.slice(0, 19)}Z`, r.name])];
      const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
      process.stdout.write(`${table.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join("  ")).join("\n")}\n`);
    }
    return 0;
  }
  if (command === "create-key") {
    const platform = await db.platform.findUnique({ where: { id: values.platform! }, select: { id: true, mode: true } });
    if (!platform) {
      console.error(`no platform ${values.platform} (npm run platforms -- list)`);
      return 1;
    }
    const { key, secret } = await keys.create({ platformId: platform.id, mode: platform.mode }, { name: values.name ?? "created from the command line" });
    process.stdout.write(`${JSON.stringify({ key: toApiKeyResponse(key), api_key: secret }, null, 2)}\n`);
    return 0;
  }
  const given = values.key!;
  const row = await db.apiKey.findFirst({ where: given.startsWith("cndl_") ? { hash: sha256Hex(given) } : { id: given }, select: { id: true, platformId: true, mode: true } });
  if (!row) {
    console.error(`no API key ${given.startsWith("cndl_") ? "matches that key" : given}`);
    return 1;
  }
  const revoked = await keys.revoke({ platformId: row.platformId, mode: row.mode }, row.id);
  process.stdout.write(`${JSON.stringify({ key: toApiKeyResponse(revoked) }, null, 2)}\n`);
  return 0;
}

function missing(option: string): number {
  console.error(`${option} is required\n${usage}`);
  return 2;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
