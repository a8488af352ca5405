/**
 * The OpenAPI document exactly as the server serves it at `/openapi.json`, built without a
 * database: the app is assembled (no query is made) with the default configuration.
 */
import os from "node:os";
import path from "node:path";
import { buildApp } from "../../src/app.js";
import { loadConfig } from "../../src/config.js";
import { createPrisma } from "../../src/db/client.js";

/** Where the committed copy lives. */
export const OPENAPI_PATH = "openapi.json";

/** Serialised as committed: two-space indentation and a final newline. */
export const formatDocument = (document: unknown) => `${JSON.stringify(document, null, 2)}\n`;

export async function servedOpenApiDocument(): Promise<Record<string, unknown>> {
  // Nothing connects to this address: building the app makes no query.
  const databaseUrl = "postgresql://openapi:openapi@127.0.0.1:1/openapi";
  const config = loadConfig({
    DATABASE_URL: databaseUrl,
    DATA_DIR: path.join(os.tmpdir(), "candle-openapi"),
    JWT_SECRET: "openapi-document-openapi-document-0123456789",
    LOG_LEVEL: "silent",
    SEED_DEMO_PLATFORM: "false",
    JOBS_WORKER: "false",
  });
  const db = createPrisma(databaseUrl, 1);
  const app = await buildApp({ config, db, jwtSecret: "openapi-document-openapi-document-0123456789" });
  try {
    const res = await app.inject({ method: "GET", url: "/openapi.json" });
    if (res.statusCode !== 200) throw new Error(`/openapi.json answered ${res.statusCode}`);
    return res.json();
  } finally {
    await app.close();
    await db.$disconnect();
  }
}
