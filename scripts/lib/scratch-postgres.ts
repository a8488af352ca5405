import pg from "pg";
import { makeScratchDir, startEmbeddedPostgres, type EmbeddedPostgresHandle } from "../../src/db/embedded.js";
import fs from "node:fs/promises";
import net from "node:net";

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** A throwaway embedded PostgreSQL for tooling (diffs, drift checks, tests). */
export interface ScratchPostgres {
  handle: EmbeddedPostgresHandle;
  /** Creates an empty database (optionally from a template) and returns its URL. */
  createDatabase(name: string, template?: string): Promise<string>;
  dropDatabase(name: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startScratchPostgres(port?: number): Promise<ScratchPostgres> {
  port ??= await freePort();
  const dir = await makeScratchDir("candle-pg-");
  const handle = await startEmbeddedPostgres({ dataDir: dir, port });
  return scratchOn(handle, async () => {
    await handle.stop();
    await fs.rm(dir, { recursive: true, force: true });
  });
}

/** Scratch databases on an existing server (a DATABASE_URL whose role may CREATE DATABASE). */
export function scratchOnServer(databaseUrl: string): ScratchPostgres {
  const admin = new URL(databaseUrl);
  admin.pathname = "/postgres";
  const port = Number(admin.port || 5432);
  const handle: EmbeddedPostgresHandle = { url: databaseUrl, adminUrl: admin.toString(), port, owned: false, stop: async () => {} };
  return scratchOn(handle, async () => {});
}

function scratchOn(handle: EmbeddedPostgresHandle, stop: () => Promise<void>): ScratchPostgres {
  const urlFor = (name: string) => {
    const url = new URL(handle.adminUrl);
    url.pathname = `/${name}`;
    return url.toString();
  };
  const admin = async <T>(fn: (client: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client({ connectionString: handle.adminUrl });
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end();
    }
  };
  return {
    handle,
    createDatabase: (name, template) =>
      admin(async (c) => {
        await c.query(`CREATE DATABASE ${c.escapeIdentifier(name)}${template ? ` TEMPLATE ${c.escapeIdentifier(template)}` : ""}`);
        return urlFor(name);
      }),
    dropDatabase: (name) => admin(async (c) => void (await c.query(`DROP DATABASE IF EXISTS ${c.escapeIdentifier(name)} WITH (FORCE)`))),
    stop,
  };
}
