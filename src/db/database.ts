import type { Config } from "../config.js";
import { startEmbeddedPostgres } from "./embedded.js";
import { migrate } from "./migrator.js";

export interface DatabaseHandle {
  url: string;
  kind: "external" | "embedded";
  /** Stops the embedded server if this process started it. */
  stop(): Promise<void>;
}

/** DATABASE_URL when set, otherwise the embedded PostgreSQL under DATA_DIR; migrated either way. */
export async function openDatabase(config: Readonly<Config>, log: (message: string) => void): Promise<DatabaseHandle> {
  let handle: DatabaseHandle;
  if (config.database.url) {
    handle = { url: config.database.url, kind: "external", stop: async () => {} };
  } else {
    const embedded = await startEmbeddedPostgres({ dataDir: config.dataDir, port: config.database.embeddedPort });
    log(
      embedded.owned
        ? `embedded PostgreSQL started on 127.0.0.1:${embedded.port} (data in ${config.dataDir}/pg)`
        : `embedded PostgreSQL already running on 127.0.0.1:${embedded.port}; connected to it`,
    );
    handle = { url: embedded.url, kind: "embedded", stop: embedded.stop };
  }
  try {
    const result = await migrate({ connectionString: handle.url, log });
    log(`database schema up to date (${result.applied.length} migration(s) applied, ${result.alreadyApplied} already there)`);
  } catch (err) {
    await handle.stop();
    throw err;
  }
  return handle;
}
