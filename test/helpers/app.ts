import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from "fastify";
import { randomBytes } from "node:crypto";
import pg from "pg";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { Mailer } from "../../src/adapters/mailer/mailer.js";
import type { PaymentsGateway } from "../../src/adapters/payments/gateway.js";
import type { RateLimitStore } from "../../src/adapters/rate-limit/store.js";
import { createPaymentsGateway } from "../../src/adapters/payments/from-config.js";
import type { HostResolver } from "../../src/adapters/webhooks/public-address.js";
import { buildApp, type AppServices } from "../../src/app.js";
import { loadConfig, type Config, type Env } from "../../src/config.js";
import { createPrisma, type Db } from "../../src/db/client.js";
import { appRoleUrl } from "../../src/db/roles.js";
import { asSystem } from "../../src/db/tenant.js";
import type { Mode, Role } from "../../src/generated/prisma/enums.js";
import { newId } from "../../src/lib/ids.js";
import { systemClock, type Clock } from "../../src/lib/time.js";
import { createTestDatabase } from "./database.js";

export const TEST_JWT_SECRET = "test-secret-test-secret-test-secret-0123456789";

export interface TestPlatform {
  id: string;
  mode: Mode;
  apiKey: string;
}

export interface TestUser {
  id: string;
  email: string;
  role: Role;
  token: string;
  /** The session (refresh-token family) `token` belongs to. */
  sessionId: string;
}

export interface TestContext {
  app: FastifyInstance;
  /**
   * The app's own client (its pool, its transaction guard), every query of which runs in the
   * system tenant scope: fixtures and assertions see every platform.
   */
  db: Db;
  config: Readonly<Config>;
  dataDir: string;
  databaseUrl: string;
  /** A platform with its first API key. */
  createPlatform(input?: { name?: string; mode?: Mode; domain?: string; feePercent?: number; url?: string }): Promise<TestPlatform>;
  /** A user with a membership on the platform, and an access token for them. */
  createUser(platform: TestPlatform, role?: Role, email?: string): Promise<TestUser>;
  request(options: InjectOptions): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

/**
 * The real app on a database of its own (cloned from the migrated template) — or on `sharedDatabaseUrl`,
 * to run a second node against another context's database.
 */
export async function createTestContext(
  env: Env = {},
  deps: {
    rateLimitStore?: RateLimitStore;
    sharedDatabaseUrl?: string;
    mailer?: Mailer;
    clock?: Clock;
    /** The payments gateway; or a wrapper of the one the app would use (the offline simulator on this database), e.g. to make it fail. */
    payments?: PaymentsGateway | ((gateway: PaymentsGateway) => PaymentsGateway);
    /** How webhook hosts resolve (tests point public-looking names at loopback receivers). */
    resolveHost?: HostResolver;
  } = {},
): Promise<TestContext> {
  const database = deps.sharedDatabaseUrl ? { url: deps.sharedDatabaseUrl, drop: async () => {} } : await createTestDatabase();
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "candle-test-"));
  const config = loadConfig({
    DATABASE_URL: database.url,
    DATA_DIR: dataDir,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent",
    JWT_SECRET: TEST_JWT_SECRET,
    SEED_DEMO_PLATFORM: "false",
    RATE_LIMIT_MAX: "100000",
    RATE_LIMIT_IP_MAX: "100000",
    DATABASE_POOL_SIZE: "5",
    // Files that need the job worker (emails, scheduled work) turn it on.
    JOBS_WORKER: "false",
    JOBS_CONCURRENCY: "2",
    // No load shedding unless a test asks: a loaded test machine must not answer 503 server_busy.
    LOAD_MAX_IN_FLIGHT: "0",
    LOAD_MAX_EVENT_LOOP_DELAY: "0",
    ...env,
  });
  // The app connects as the application role, so row-level security applies as in production
  // (docs/tenancy.md).
  // Tests run with the guard: a pool query inside a transaction callback fails loudly.
  const appDb = createPrisma(appRoleUrl(database.url), config.database.poolSize, config.database.transactionTimeout, {
    guardTransactions: true,
    preparedStatements: config.database.preparedStatements,
  });
  const db = systemScopedClient(appDb, database.url);
  const payments =
    typeof deps.payments === "function"
      ? deps.payments(createPaymentsGateway({ payments: config.payments, publicUrl: config.publicUrl, db: appDb, clock: deps.clock ?? systemClock }))
      : deps.payments;
  const app = await buildApp({
    config,
    db: appDb,
    jwtSecret: TEST_JWT_SECRET,
    databaseUrl: database.url,
    rateLimitStore: deps.rateLimitStore,
    mailer: deps.mailer,
    clock: deps.clock,
    payments,
    resolveHost: deps.resolveHost,
  });
  await app.ready();
  // Tests drive services directly (fixtures, jobs, settlement runs) as the CLI and jobs do: in the
  // system scope.
  (app as { services: AppServices }).services = systemScoped(app.services);
  let counter = 0;

  return {
    app,
    db,
    config,
    dataDir,
    databaseUrl: database.url,
    async createPlatform(input = {}) {
      counter += 1;
      const { platform, apiKey } = await app.services.platforms.create({
        name: input.name ?? `Platform ${counter}`,
        mode: input.mode ?? "test",
        domain: input.domain,
        feePercent: input.feePercent,
        url: input.url,
      });
      return { id: platform.id, mode: platform.mode, apiKey };
    },
    async createUser(platform, role = "member", email) {
      counter += 1;
      const id = newId("user");
      const address = email ?? `user${counter}-${id.slice(-6)}@example.com`;
      await db.user.create({
        data: {
          id,
          platformId: platform.id,
          mode: platform.mode,
          email: address,
          membership: { create: { id: newId("membership"), platformId: platform.id, mode: platform.mode, role } },
        },
      });
      const sessionId = await openSession(db, { id, platformId: platform.id, mode: platform.mode });
      const { token } = app.services.tokens.signAccess({ userId: id, platformId: platform.id, mode: platform.mode, role, sessionId });
      return { id, email: address, role, token, sessionId };
    },
    request: (options) => app.inject(options),
    async close() {
      await app.close();
      await appDb.$disconnect();
      await database.drop();
      await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** A session (a refresh-token family, as a sign-in makes) for a user created directly; answers its id, the access token's `sid`. */
export async function openSession(db: Db, user: { id: string; platformId: string; mode: Mode }): Promise<string> {
  const familyId = newId("refreshToken");
  await db.refreshToken.create({
    data: {
      id: newId("refreshToken"),
      platformId: user.platformId,
      mode: user.mode,
      userId: user.id,
      familyId,
      tokenHash: randomBytes(32).toString("hex"),
      expires: new Date(Date.now() + 30 * 86_400_000),
    },
  });
  return familyId;
}

export function bearer(secret: string): Record<string, string> {
  return { authorization: `Bearer ${secret}` };
}

export function json<T = Record<string, unknown>>(response: LightMyRequestResponse): T {
  return response.json() as T;
}

/** Each service's methods, run in the system tenant scope. */
function systemScoped(services: AppServices): AppServices {
  const wrap = <T extends object>(service: T): T =>
    new Proxy(service, {
      get(target, key, receiver) {
        const value = Reflect.get(target, key, receiver) as unknown;
        return typeof value === "function" ? (...args: unknown[]) => asSystem(() => (value as (...a: unknown[]) => unknown).apply(target, args)) : value;
      },
    });
  return Object.fromEntries(Object.entries(services).map(([name, service]) => [name, name === "tasks" ? service : wrap(service as object)])) as unknown as AppServices;
}

/**
 * The client, with every query run in the system tenant scope when it starts (Prisma's queries are
 * lazy: they start when awaited, so `then` is what runs in the scope). `$transaction` runs its
 * callback, or its batch, in that scope. `$executeRawUnsafe` — the tests' schema changes (a
 * constraint that makes a write fail) — runs as the database's owner, as the app's role may not
 * alter tables.
 */
function systemScopedClient(db: Db, ownerUrl: string): Db {
  const asOwner = async (sql: string, ...values: unknown[]): Promise<number> => {
    const client = new pg.Client({ connectionString: ownerUrl });
    await client.connect();
    try {
      return (await client.query(sql, values)).rowCount ?? 0;
    } finally {
      await client.end();
    }
  };
  const scopedQuery = (query: unknown): unknown => {
    if (!query || typeof (query as { then?: unknown }).then !== "function" || query instanceof Promise) return query;
    return new Proxy(query as object, {
      get(target, key) {
        const value = Reflect.get(target, key) as unknown;
        if (typeof value !== "function") return value;
        if (key === "then" || key === "catch" || key === "finally") return (...args: unknown[]) => asSystem(() => (value as (...a: unknown[]) => unknown).apply(target, args));
        return (value as (...a: unknown[]) => unknown).bind(target);
      },
    });
  };
  const delegate = (model: object) =>
    new Proxy(model, {
      get(target, key) {
        const value = Reflect.get(target, key) as unknown;
        return typeof value === "function" ? (...args: unknown[]) => scopedQuery((value as (...a: unknown[]) => unknown).apply(target, args)) : value;
      },
    });
  return new Proxy(db, {
    get(target, key) {
      const value = Reflect.get(target, key) as unknown;
      if (key === "$transaction") return (...args: unknown[]) => asSystem(() => (value as (...a: unknown[]) => unknown).apply(target, args));
      if (key === "$executeRawUnsafe") return asOwner;
      if (typeof value === "function") return (...args: unknown[]) => scopedQuery((value as (...a: unknown[]) => unknown).apply(target, args));
      if (typeof key === "string" && !key.startsWith("$") && !key.startsWith("_") && value && typeof value === "object") return delegate(value);
      return value;
    },
  });
}
