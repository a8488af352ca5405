/**
 * `npm run platform:create -- --name "Acme" --mode test [--domain acme.test] [--fee 2.5]`
 * Creates a platform and its first API key, and prints `{ "platform": {…}, "api_key": "cndl_…" }`.
 * Uses the same database as the server (DATABASE_URL, or the embedded one under DATA_DIR, even
 * while the server runs).
 */
import { parseArgs } from "node:util";
import { z } from "zod";
import { ConfigError, loadConfig } from "../src/config.js";
import { domainName, httpUrl, percent } from "../src/lib/schemas.js";
import { toPlatformResponse } from "../src/modules/platforms/platforms.service.js";
import { asSystem } from "../src/db/tenant.js";
import { createLogger, startRuntime } from "../src/runtime.js";
import { wantsHelp } from "./lib/cli.js";

const usage = 'usage: npm run platform:create -- --name "Acme" --mode test|live [--domain acme.test] [--fee 2.5] [--url https://acme.test] [--description "…"]';

const argsSchema = z.object({
  name: z.string().trim().min(1, "--name is required").max(200),
  mode: z.enum(["test", "live"], { error: "--mode must be test or live" }),
  domain: domainName.optional(),
  fee: z.coerce.number().pipe(percent).optional(),
  url: httpUrl.optional(),
  description: z.string().max(5000).optional(),
});

async function main(): Promise<number> {
  if (wantsHelp(process.argv.slice(2))) {
    console.log(`${usage}\nList platforms, and create or revoke keys of existing ones: npm run platforms -- --help`);
    return 0;
  }
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        name: { type: "string" },
        mode: { type: "string" },
        domain: { type: "string" },
        fee: { type: "string" },
        url: { type: "string" },
        description: { type: "string" },
      },
      strict: true,
    }));
  } catch (err) {
    console.error(`${(err as Error).message}\n${usage}`);
    return 2;
  }
  const args = argsSchema.safeParse(values);
  if (!args.success) {
    console.error(`${args.error.issues.map((i) => `--${i.path.join(".")}: ${i.message}`).join("\n")}\n${usage}`);
    return 2;
  }
  let config;
  try {
    config = loadConfig({ ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? "warn" });
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      return 1;
    }
    throw err;
  }
  // Logs go to stderr so stdout is exactly the JSON answer.
  const logger = createLogger(config, { stderr: true });
  const runtime = await startRuntime(config, logger);
  try {
    // The CLI works across platforms: the system tenant scope (docs/tenancy.md).
    const { platform, apiKey } = await asSystem(() =>
      runtime.app.services.platforms.create({
        name: args.data.name,
        mode: args.data.mode,
        domain: args.data.domain,
        feePercent: args.data.fee,
        url: args.data.url,
        description: args.data.description,
      }),
    );
    process.stdout.write(`${JSON.stringify({ platform: toPlatformResponse(platform), api_key: apiKey }, null, 2)}\n`);
    return 0;
  } catch (err) {
    console.error((err as Error).message);
    return 1;
  } finally {
    await runtime.close();
  }
}

process.exit(await main());
