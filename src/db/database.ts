import type { Config } from "../config.js";
import { startEmbeddedPostgres } from "./embedded.js";
import { migrate, pendingMigrations } from "./migrator.js";

export interface DatabaseHandle {
  url: string;
  kind: "external" | "embedded";
  /** Stops the embedded server if this process started it. */
  stop(): Promise<void>;
}

/**
 * DATABASE_URL when set, otherwise the embedded PostgreSQL under DATA_DIR; migrated either way —
 * unless MIGRATE_ON_BOOT=false (`npm run migrate` is the release step), when a pending migration
 * stops the boot instead.
 */
export async function openDatabase(config: Readonly<Config>, log: (message: string) => void, options: { migrate?: boolean } = {}): Promise<DatabaseHandle> {
  let handle: DatabaseHandle;
  if (config.database.url) {
    handle = { url: config.database.url, kind: "external", stop: async () => {} };
  } else {
    const embedded = await startEmbeddedPostgres({ dataDir: config.dataDir, port: config.database.embeddedPort, notice: log });
    log(
      embedded.owned
        ? `embedded PostgreSQL started on 127.0.0.1:${embedded.port} (data in ${config.dataDir}/pg)`
        : `embedded PostgreSQL already running on 127.0.0.1:${embedded.port}; connected to it`,
    );
    handle = { url: embedded.url, kind: "embedded", stop: embedded.stop };
  }
  try {
    if (options.migrate ?? config.migrateOnBoot) {
      const result = await migrate({ connectionString: handle.url, log });
      log(`database schema up to date (${result.applied.length} migration(s) applied, ${result.alreadyApplied} already there)`);
    } else {
      const pending = await pendingMigrations(handle.url);
      if (pending.length > 0) {
        throw new Error(`${pending.length} migration(s) not applied (${pending.join(", ")}) and MIGRATE_ON_BOOT=false: run \`npm run migrate\` first.`);
      }
      log("database schema up to date (not migrating at boot: MIGRATE_ON_BOOT=false)");
    }
  } catch (err) {
    await handle.stop();
    throw err;
  }
  return handle;
}
