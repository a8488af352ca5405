import type { FastifyInstance } from "fastify";
import { pino, type Logger } from "pino";
import pretty from "pino-pretty";
import type { RateLimitStore } from "./adapters/rate-limit/store.js";
import { buildApp } from "./app.js";
import { createLogger as createCensoringLogger } from "./lib/logging.js";
import type { Config } from "./config.js";
import { createPrisma, type Db } from "./db/client.js";
import { openDatabase, type DatabaseHandle } from "./db/database.js";
import { appRoleUrl, grantAppRole, grantTenantRole, rowSecurityProblem } from "./db/roles.js";
import { migrateJobQueue } from "./jobs/worker.js";
import { startMetricsServer } from "./observability/metrics.js";
import { resolveJwtSecret } from "./secrets.js";

/**
 * Everything a running node needs, started in order and stopped in reverse: database (embedded or
 * external, migrated), Prisma, the rate-limit store, and the app. Used by server.ts and the CLIs.
 */
export interface Runtime {
  app: FastifyInstance;
  db: Db;
  database: DatabaseHandle;
  logger: Logger;
  /** Where `/metrics` is served (METRICS_PORT), if it is. */
  metricsUrl?: string;
  close(): Promise<void>;
}

export function createLogger(config: Readonly<Config>, options: { stderr?: boolean } = {}): Logger {
  const fd = options.stderr ? 2 : 1;
  return createCensoringLogger({ level: config.logLevel }, wantsPretty(config.logFormat, fd) ? prettyStream(fd) : pino.destination(fd));
}

/** Readable lines for a person at a terminal (or when asked); JSON lines for everything that collects logs. */
export function wantsPretty(format: Config["logFormat"], fd: 1 | 2, isTTY = (fd === 1 ? process.stdout : process.stderr).isTTY === true): boolean {
  return format === "pretty" || (format === "auto" && isTTY);
}

function prettyStream(fd: 1 | 2): pino.DestinationStream {
  return pretty({ destination: fd, sync: true, colorize: (fd === 1 ? process.stdout : process.stderr).isTTY === true, translateTime: "SYS:HH:MM:ss.l", ignore: "pid,hostname" });
}

export async function startRuntime(config: Readonly<Config>, logger: Logger = createLogger(config)): Promise<Runtime> {
  const database = await openDatabase(config, (message) => logger.info(message));
  // With the embedded server the app connects as its own role, which row-level security applies
  // to; migrations, the job queue's schema and the worker stay with the owner (docs/tenancy.md).
  const appUrl = database.kind === "embedded" ? appRoleUrl(database.url) : database.url;
  const db = createPrisma(appUrl, config.database.poolSize, config.database.transactionTimeout, { preparedStatements: config.database.preparedStatements });
  let rateLimitStore: RateLimitStore | undefined;
  try {
    const jwt = await resolveJwtSecret(config.auth.jwtSecret, config.dataDir);
    if (jwt.source === "generated") logger.info(`generated a JWT signing secret in ${config.dataDir}/jwt-secret (set JWT_SECRET to choose one)`);
    if (config.rateLimit.redisUrl) {
      // Loaded only when configured (ioredis is ~25 MB of a node's memory).
      const { RedisRateLimitStore } = await import("./adapters/rate-limit/redis.js");
      const redis = new RedisRateLimitStore(config.rateLimit.redisUrl);
      await redis.connect();
      rateLimitStore = redis;
      logger.info("rate limits: shared through Redis");
    } else {
      logger.info("rate limits: in-process (set REDIS_URL to share them between nodes)");
    }
    // The job queue's own schema is migrated with ours (`npm run migrate` when MIGRATE_ON_BOOT=false).
    if (config.migrateOnBoot) await migrateJobQueue(database.url, logger);
    if (database.kind === "embedded") await grantAppRole(database.url);
    else await grantTenantRole(database.url);
    // Fail closed: without the tenant role every tenant query would fail, or see too much.
    const problem = await rowSecurityProblem(appUrl);
    if (problem) throw new Error(`row-level security cannot isolate platforms: ${problem} (docs/tenancy.md, "The database roles")`);
    logger.info(
      `mail: ${config.mail.smtpUrl ? "SMTP" : `dev outbox (written to ${config.dataDir}/outbox)`}; storage: ${config.storage.kind}; job worker: ${config.jobs.worker ? "in this process" : "off"}`,
    );
    const app = await buildApp({ config, db, jwtSecret: jwt.secret, databaseUrl: database.url, logger, rateLimitStore });
    logger.info(describePayments(config));
    await app.ready();
    const metricsServer =
      config.metrics.port === undefined
        ? undefined
        : await startMetricsServer({ metrics: app.metrics, port: config.metrics.port, host: config.metrics.host, token: config.metrics.token });
    if (metricsServer) logger.info(`metrics at ${metricsServer.url}${config.metrics.token ? " (bearer token: METRICS_TOKEN)" : ""}`);
    return {
      app,
      db,
      database,
      logger,
      metricsUrl: metricsServer?.url,
      close: async () => {
        await metricsServer?.close();
        await app.close();
        await db.$disconnect();
        await database.stop();
      },
    };
  } catch (err) {
    await rateLimitStore?.close();
    await db.$disconnect();
    await database.stop();
    throw err;
  }
}

/** The boot line that says which payments gateway is active. */
export function describePayments(config: Readonly<Config>): string {
  const p = config.payments;
  if (p.kind === "stripe") {
    return `payments: Stripe (${p.livemode ? "live" : "test"} mode)${p.webhookSecret ? "" : "; STRIPE_WEBHOOK_SECRET is unset, so webhooks are refused"}`;
  }
  return `payments: offline simulator, Stripe test-mode semantics (set STRIPE_SECRET_KEY to use Stripe); webhooks are verified with ${
    p.webhookSecretSource === "config" ? "STRIPE_WEBHOOK_SECRET" : "the development secret"
  }`;
}
