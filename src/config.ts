import net from "node:net";
import os from "node:os";
import path from "node:path";
import { z } from "zod";
import { PREPARED_STATEMENTS } from "./db/prepared.js";

/**
 * The one place that reads the environment. `loadConfig(process.env)` parses it once, derives the
 * flags the app needs and freezes the result; a missing or malformed variable stops the boot with
 * a message naming it. Every variable here is in `.env.example` (and the README's table or docs/operations.md).
 */

const bool = (fallback: boolean) =>
  z
    .enum(["true", "false", "1", "0", "yes", "no"], { error: "must be true or false" })
    .optional()
    .transform((v) => (v === undefined ? fallback : v === "true" || v === "1" || v === "yes"));

const int = (fallback: number, min: number, max: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === "") return fallback;
      const n = Number(v);
      if (!Number.isInteger(n) || n < min || n > max) {
        ctx.addIssue({ code: "custom", message: `must be an integer from ${min} to ${max}` });
        return z.NEVER;
      }
      return n;
    });

/** A percentage with at most two decimals (2.9), as integer basis points (290). */
const percentBps = (fallback: number, max: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === "") return fallback;
      const n = Number(v);
      const bps = Math.round(n * 100);
      if (!Number.isFinite(n) || n < 0 || n > max || Math.abs(bps - n * 100) > 1e-6) {
        ctx.addIssue({ code: "custom", message: `must be a percentage from 0 to ${max} with at most two decimals` });
        return z.NEVER;
      }
      return bps;
    });

const DURATION_UNITS: Record<string, number> = { s: 1, m: 60, h: 3_600, d: 86_400 };

/** Delays like `1h,6h,24h` (s, m, h or d; a bare number is seconds) as seconds; `none` for no delays. */
const durationList = (fallback: number[]) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === "") return fallback;
      if (v.trim() === "none") return [];
      const parts = v.split(",").map((p) => p.trim());
      const seconds = parts.map((p) => {
        const match = /^(\d{1,7})([smhd]?)$/.exec(p);
        return match ? Number(match[1]) * DURATION_UNITS[match[2] || "s"]! : NaN;
      });
      if (parts.length > 10 || seconds.some((n) => !Number.isInteger(n) || n < 1 || n > 30 * 86_400)) {
        ctx.addIssue({ code: "custom", message: "must be up to 10 delays such as 1h,6h,24h (s, m, h or d; from 1 s to 30 d), or none" });
        return z.NEVER;
      }
      return seconds;
    });

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === "" ? undefined : v.trim()));

const optionalUrl = (protocols: string[]) =>
  optionalString.refine(
    (v) => {
      if (v === undefined) return true;
      try {
        return protocols.includes(new URL(v).protocol);
      } catch {
        return false;
      }
    },
    { message: `must be a URL (${protocols.join(", ")})` },
  );

/** Loopback, link-local and private ranges by name (proxy-addr's), an IPv4 or IPv6 address, or a CIDR range. */
const PROXY_NAMES = new Set(["loopback", "linklocal", "uniquelocal"]);
function isProxyAddress(entry: string): boolean {
  if (PROXY_NAMES.has(entry)) return true;
  const [address, bits, extra] = entry.split("/");
  const family = net.isIP(address ?? "");
  if (family === 0 || extra !== undefined) return false;
  if (bits === undefined) return true;
  if (!/^\d{1,3}$/.test(bits) && !(family === 4 && net.isIPv4(bits))) return false;
  return net.isIPv4(bits) || Number(bits) <= (family === 4 ? 32 : 128);
}

/** `true` (trust whoever connects), `false`, or the proxies' addresses and ranges, comma-separated. */
const trustProxy = z
  .string()
  .optional()
  .transform((v, ctx): boolean | string[] => {
    const value = v?.trim() ?? "";
    if (value === "" || ["false", "0", "no"].includes(value)) return false;
    if (["true", "1", "yes"].includes(value)) return true;
    const entries = value
      .split(",")
      .map((p) => p.trim())
      .filter(Boolean);
    const bad = entries.find((p) => !isProxyAddress(p));
    if (bad !== undefined) {
      ctx.addIssue({ code: "custom", message: `must be true, false, or addresses and CIDR ranges separated by commas (or loopback, linklocal, uniquelocal); \`${bad}\` is none` });
      return z.NEVER;
    }
    return entries;
  });

const envSchema = z
  .object({
    PORT: int(5000, 0, 65535),
    HOST: optionalString.transform((v) => v ?? "0.0.0.0"),
    PUBLIC_URL: optionalUrl(["http:", "https:"]),
    LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).optional().default("info"),
    LOG_FORMAT: z.enum(["auto", "json", "pretty"]).optional().default("auto"),
    METRICS_PORT: int(-1, 0, 65535),
    METRICS_HOST: optionalString,
    METRICS_TOKEN: optionalString.refine((v) => v === undefined || v.length >= 16, { message: "must be at least 16 characters" }),
    OTEL_EXPORTER_OTLP_ENDPOINT: optionalUrl(["http:", "https:"]),
    OTEL_SERVICE_NAME: optionalString.transform((v) => v ?? "candle-api"),
    MIGRATE_ON_BOOT: bool(true),
    DATA_DIR: optionalString.transform((v) => path.resolve(v ?? "./.data")),
    DATABASE_URL: optionalUrl(["postgres:", "postgresql:"]),
    DATABASE_POOL_SIZE: int(10, 1, 500),
    DATABASE_TRANSACTION_TIMEOUT: int(10_000, 1_000, 300_000),
    DATABASE_PREPARED_STATEMENTS: int(PREPARED_STATEMENTS, 0, 10_000),
    EMBEDDED_PG_PORT: int(54329, 1, 65535),
    JWT_SECRET: optionalString.refine((v) => v === undefined || v.length >= 32, { message: "must be at least 32 characters" }),
    ACCESS_TOKEN_TTL: int(900, 60, 86_400),
    REFRESH_TOKEN_TTL: int(30 * 86_400, 3_600, 365 * 86_400),
    AUTH_CACHE_TTL: int(30, 0, 3_600),
    CORS_ORIGINS: optionalString.transform((v) =>
      v
        ? v
            .split(",")
            .map((o) => o.trim())
            .filter(Boolean)
        : [],
    ),
    TRUST_PROXY: trustProxy,
    NODE_ENV: optionalString,
    REQUIRE_HTTPS: z.enum(["true", "false", "1", "0", "yes", "no"], { error: "must be true or false" }).optional(),
    TLS_CERT: optionalString,
    TLS_KEY: optionalString,
    HSTS_MAX_AGE: int(31_536_000, 0, 63_072_000),
    MAX_CONNECTIONS: int(-1, 0, 1_000_000),
    BODY_LIMIT: int(1_048_576, 1_024, 100 * 1_048_576),
    UPLOAD_LIMIT: int(5 * 1_048_576, 1_024, 100 * 1_048_576),
    RATE_LIMIT_MAX: int(600, 1, 10_000_000),
    RATE_LIMIT_IP_MAX: int(300, 1, 10_000_000),
    RATE_LIMIT_WINDOW: int(60, 1, 86_400),
    REDIS_URL: optionalUrl(["redis:", "rediss:"]),
    SEED_DEMO_PLATFORM: bool(true),
    SMTP_URL: optionalUrl(["smtp:", "smtps:"]),
    MAIL_FROM: optionalString.transform((v) => v ?? '"Candle" <no-reply@localhost>'),
    OTP_EMAIL_MAX: int(5, 1, 1_000_000),
    OTP_IP_MAX: int(30, 1, 1_000_000),
    OTP_WINDOW: int(300, 1, 86_400),
    OTP_VERIFY_MAX: int(5, 1, 1_000_000),
    OTP_VERIFY_DAILY_MAX: int(10, 1, 1_000_000),
    OTP_VERIFY_EMAIL_MAX: int(100, 1, 1_000_000),
    JOBS_WORKER: bool(true),
    JOBS_CONCURRENCY: int(5, 1, 100),
    WEBHOOKS_ALLOW_PRIVATE: bool(false),
    WEBHOOK_TIMEOUT: int(10_000, 1_000, 60_000),
    WEBHOOK_RETRY_BASE: int(30, 1, 3_600),
    // At least 4 days: a delivery may be retried for 3 days after its event.
    EVENT_RETENTION_DAYS: int(30, 4, 3_650),
    S3_BUCKET: optionalString,
    S3_REGION: optionalString.transform((v) => v ?? "us-east-1"),
    S3_ENDPOINT: optionalUrl(["http:", "https:"]),
    S3_ACCESS_KEY_ID: optionalString,
    S3_SECRET_ACCESS_KEY: optionalString,
    S3_PUBLIC_URL: optionalUrl(["http:", "https:"]),
    S3_FORCE_PATH_STYLE: bool(false),
    SHUTDOWN_TIMEOUT: int(10_000, 0, 600_000),
    REQUEST_TIMEOUT: int(30_000, 1_000, 600_000),
    STRIPE_FEE_PERCENT: percentBps(290, 99.99),
    STRIPE_FEE_FIXED: int(30, 0, 10_000),
    CANDLE_FEE_PERCENT: percentBps(100, 100),
    CONTRACT_SETTLEMENT_LEASE: int(10, 5, 3_600),
    NODE_ID: optionalString,
    LOAD_MAX_IN_FLIGHT: int(defaultMaxInFlight(), 0, 100_000),
    LOAD_TARGET_LATENCY: int(150, 0, 60_000),
    LOAD_MIN_IN_FLIGHT: int(8, 1, 100_000),
    LOAD_MAX_EVENT_LOOP_DELAY: int(0, 0, 60_000),
    LOAD_MAX_HEAP_USED: int(0, 0, 1_000_000),
    LOAD_MAX_RSS: int(0, 0, 1_000_000),
    STOCK_HOLD_MINUTES: int(30, 1, 7 * 24 * 60),
    STOCK_HOLD_MAX_SHARE: int(50, 1, 100),
    SUBSCRIPTION_RETRY_SCHEDULE: durationList([3_600, 21_600, 86_400]),
    GOOGLE_CLIENT_ID: optionalString,
    GOOGLE_CLIENT_SECRET: optionalString,
    GOOGLE_REDIRECT_URL: optionalUrl(["http:", "https:"]),
    HOST_PLATFORM_ID: optionalString,
    STRIPE_SECRET_KEY: optionalString.refine((v) => v === undefined || /^(sk_test_|sk_live_|rk_)\S+$/.test(v), {
      message: "must be a Stripe secret key (sk_test_…, sk_live_… or a restricted rk_… key)",
    }),
    // One secret per Stripe endpoint: a Connect platform has two (its own account's events, and its connected accounts').
    STRIPE_WEBHOOK_SECRET: optionalString.refine((v) => v === undefined || /^whsec_[^\s,]+(,\s*whsec_[^\s,]+)*$/.test(v), {
      message: "must be a webhook signing secret (whsec_…), or several separated by commas",
    }),
  })
  .superRefine((e, ctx) => {
    if (Boolean(e.S3_ACCESS_KEY_ID) !== Boolean(e.S3_SECRET_ACCESS_KEY)) {
      ctx.addIssue({ code: "custom", path: [e.S3_ACCESS_KEY_ID ? "S3_SECRET_ACCESS_KEY" : "S3_ACCESS_KEY_ID"], message: "S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY go together" });
    }
    if (Boolean(e.TLS_CERT) !== Boolean(e.TLS_KEY)) {
      ctx.addIssue({ code: "custom", path: [e.TLS_CERT ? "TLS_KEY" : "TLS_CERT"], message: "TLS_CERT and TLS_KEY go together" });
    }
    if (Boolean(e.GOOGLE_CLIENT_ID) !== Boolean(e.GOOGLE_CLIENT_SECRET)) {
      ctx.addIssue({ code: "custom", path: [e.GOOGLE_CLIENT_ID ? "GOOGLE_CLIENT_SECRET" : "GOOGLE_CLIENT_ID"], message: "GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET go together" });
    }
    if (!e.S3_BUCKET && (e.S3_ENDPOINT || e.S3_ACCESS_KEY_ID || e.S3_PUBLIC_URL)) {
      ctx.addIssue({ code: "custom", path: ["S3_BUCKET"], message: "is required when other S3_* variables are set" });
    }
  });

/**
 * The offline simulator's webhook signing secret when STRIPE_WEBHOOK_SECRET is unset (documented
 * in the README): offline there is nothing to keep secret, and tests and tools can sign with it.
 */
export const OFFLINE_WEBHOOK_SECRET = "whsec_candle_offline_development_secret";

/** Stripe when a secret key is set; otherwise the offline simulator (docs/architecture.md, "Payments port"). */
export type PaymentsConfig =
  | { kind: "stripe"; secretKey: string; webhookSecret: string | undefined; livemode: boolean }
  | { kind: "offline"; webhookSecret: string; webhookSecretSource: "config" | "default" };

export type Env = Record<string, string | undefined>;

export interface Config {
  port: number;
  host: string;
  publicUrl: string;
  logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
  /** `auto`: pino-pretty when stdout is a terminal, JSON lines otherwise. */
  logFormat: "auto" | "json" | "pretty";
  /** `/metrics` on a port of its own (off when `port` is undefined); `token`, when set, is required as a bearer token. */
  metrics: { port: number | undefined; host: string; token: string | undefined };
  /** OpenTelemetry traces, exported over OTLP/HTTP when `endpoint` is set (off otherwise). */
  tracing: { endpoint: string | undefined; serviceName: string };
  /** Apply migrations at boot; false when `npm run migrate` runs as a release step instead. */
  migrateOnBoot: boolean;
  dataDir: string;
  /** This node's name for its leases: unique per live node, the same across its restarts (docs/operations.md). */
  nodeId: string;
  /**
   * Load shedding: past any of these a request is answered 503 `server_busy` at once (health
   * routes excepted). `maxInFlight` requests at once; mean event-loop delay (ms); heap used and
   * RSS (MB). 0: that check is off.
   */
  load: { maxInFlight: number; targetLatency: number; minInFlight: number; maxEventLoopDelay: number; maxHeapUsedMb: number; maxRssMb: number };
  database: { url: string | undefined; poolSize: number; transactionTimeout: number; preparedStatements: number; embeddedPort: number };
  auth: { jwtSecret: string | undefined; accessTokenTtl: number; refreshTokenTtl: number; cacheTtl: number };
  cors: { origins: string[] };
  /**
   * Whose X-Forwarded-For and X-Forwarded-Proto are believed: `true` whoever connects (only when
   * nothing but the proxy can reach the node), or the proxies' addresses and CIDR ranges.
   */
  trustProxy: boolean | string[];
  /**
   * HTTPS served by the node itself: the certificate chain and its key, each a file path or the PEM
   * text (docs/operations.md, "HTTPS"). Undefined: plain HTTP (TLS ends at a proxy, or none).
   */
  tls: { cert: string; key: string } | undefined;
  /** `Strict-Transport-Security: max-age` (s) on answers to requests that came over TLS; 0: not sent. */
  hstsMaxAge: number;
  /** Refuse credentials sent over plain HTTP from anywhere but loopback (default: when NODE_ENV=production). */
  requireHttps: boolean;
  /** Connections the node accepts at once (`server.maxConnections`); more are closed as they arrive. 0: no bound. */
  maxConnections: number;
  bodyLimit: number;
  uploadLimit: number;
  rateLimit: { max: number; ipMax: number; windowSeconds: number; store: "redis" | "memory"; redisUrl: string | undefined };
  seedDemoPlatform: boolean;
  mail: { transport: "smtp" | "outbox"; smtpUrl: string | undefined; from: string };
  /**
   * Sign-in code limits. Asking: per email and client, and per client. Verifying: per email and
   * client (per window and per day), per client, and per email over a day whoever asks.
   */
  otp: { perEmail: number; perAddress: number; windowSeconds: number; verifyPerEmail: number; verifyPerEmailDaily: number; verifyPerEmailAll: number };
  jobs: { worker: boolean; concurrency: number };
  /** Outgoing webhooks: `timeout` in ms; `retryBase` (s) is the first retry's delay, doubled after each failure. */
  webhooks: { allowPrivate: boolean; timeout: number; retryBase: number };
  /** Days an event is kept (with its webhook deliveries) before the hourly `prune-events` job deletes it. */
  eventRetentionDays: number;
  storage:
    | { kind: "disk" }
    | { kind: "s3"; bucket: string; region: string; endpoint?: string; accessKeyId?: string; secretAccessKey?: string; publicUrl?: string; forcePathStyle: boolean };
  shutdownTimeout: number;
  requestTimeout: number;
  payments: PaymentsConfig;
  /** Fee rates every contract is priced with (the platform's own fee is per platform). */
  fees: { stripePercentBps: number; stripeFixedCents: number; candleBps: number };
  contracts: { settlementLeaseSeconds: number };
  /** Stock an unpaid contract holds: for how long (minutes), and at most what share (percent) of a product one member holds. */
  stockHolds: { minutes: number; maxSharePercent: number };
  /** A declined renewal is retried after each of these delays (s) in turn; when the last retry fails too, the subscription is past due. */
  /**
   * `hostPlatformId`: the platform whose subscriptions bill the other platforms' owners (a subscription there
   * names the platform it pays for, and that platform's `activeSubscription` follows it); unset, nobody is billed.
   */
  subscriptions: { retrySchedule: number[]; hostPlatformId: string | undefined };
  /** Google Calendar busy times: Google's API with an OAuth client, else the offline fake (src/adapters/google-calendar/). */
  googleCalendar: GoogleCalendarConfig;
}

export type GoogleCalendarConfig = { kind: "google"; clientId: string; clientSecret: string; redirectUrl: string } | { kind: "offline"; redirectUrl: string };

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

export function loadConfig(env: Env): Readonly<Config> {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join(".") || "environment"}: ${i.message}`));
  }
  const e = parsed.data;
  const config: Config = {
    port: e.PORT,
    host: e.HOST,
    publicUrl: (e.PUBLIC_URL ?? `${e.TLS_CERT ? "https" : "http"}://localhost:${e.PORT}`).replace(/\/+$/, ""),
    logLevel: e.LOG_LEVEL,
    logFormat: e.LOG_FORMAT,
    metrics: { port: e.METRICS_PORT < 0 ? undefined : e.METRICS_PORT, host: e.METRICS_HOST ?? e.HOST, token: e.METRICS_TOKEN },
    tracing: { endpoint: e.OTEL_EXPORTER_OTLP_ENDPOINT, serviceName: e.OTEL_SERVICE_NAME },
    migrateOnBoot: e.MIGRATE_ON_BOOT,
    dataDir: e.DATA_DIR,
    nodeId: e.NODE_ID ?? `${os.hostname()}:${e.DATA_DIR}`,
    load: {
      maxInFlight: e.LOAD_MAX_IN_FLIGHT,
      targetLatency: e.LOAD_TARGET_LATENCY,
      minInFlight: e.LOAD_MIN_IN_FLIGHT,
      maxEventLoopDelay: e.LOAD_MAX_EVENT_LOOP_DELAY,
      maxHeapUsedMb: e.LOAD_MAX_HEAP_USED,
      maxRssMb: e.LOAD_MAX_RSS,
    },
    database: {
      url: e.DATABASE_URL,
      poolSize: e.DATABASE_POOL_SIZE,
      transactionTimeout: e.DATABASE_TRANSACTION_TIMEOUT,
      preparedStatements: e.DATABASE_PREPARED_STATEMENTS,
      embeddedPort: e.EMBEDDED_PG_PORT,
    },
    auth: { jwtSecret: e.JWT_SECRET, accessTokenTtl: e.ACCESS_TOKEN_TTL, refreshTokenTtl: e.REFRESH_TOKEN_TTL, cacheTtl: e.AUTH_CACHE_TTL },
    cors: { origins: e.CORS_ORIGINS },
    trustProxy: e.TRUST_PROXY,
    tls: e.TLS_CERT && e.TLS_KEY ? { cert: e.TLS_CERT, key: e.TLS_KEY } : undefined,
    hstsMaxAge: e.HSTS_MAX_AGE,
    requireHttps: e.REQUIRE_HTTPS === undefined ? e.NODE_ENV === "production" : ["true", "1", "yes"].includes(e.REQUIRE_HTTPS),
    maxConnections: e.MAX_CONNECTIONS >= 0 ? e.MAX_CONNECTIONS : defaultMaxConnections(e.LOAD_MAX_IN_FLIGHT),
    bodyLimit: e.BODY_LIMIT,
    uploadLimit: e.UPLOAD_LIMIT,
    rateLimit: {
      max: e.RATE_LIMIT_MAX,
      ipMax: e.RATE_LIMIT_IP_MAX,
      windowSeconds: e.RATE_LIMIT_WINDOW,
      store: e.REDIS_URL ? "redis" : "memory",
      redisUrl: e.REDIS_URL,
    },
    seedDemoPlatform: e.SEED_DEMO_PLATFORM,
    mail: { transport: e.SMTP_URL ? "smtp" : "outbox", smtpUrl: e.SMTP_URL, from: e.MAIL_FROM },
    otp: {
      perEmail: e.OTP_EMAIL_MAX,
      perAddress: e.OTP_IP_MAX,
      windowSeconds: e.OTP_WINDOW,
      verifyPerEmail: e.OTP_VERIFY_MAX,
      verifyPerEmailDaily: e.OTP_VERIFY_DAILY_MAX,
      verifyPerEmailAll: e.OTP_VERIFY_EMAIL_MAX,
    },
    jobs: { worker: e.JOBS_WORKER, concurrency: e.JOBS_CONCURRENCY },
    webhooks: { allowPrivate: e.WEBHOOKS_ALLOW_PRIVATE, timeout: e.WEBHOOK_TIMEOUT, retryBase: e.WEBHOOK_RETRY_BASE },
    eventRetentionDays: e.EVENT_RETENTION_DAYS,
    storage: e.S3_BUCKET
      ? {
          kind: "s3",
          bucket: e.S3_BUCKET,
          region: e.S3_REGION,
          endpoint: e.S3_ENDPOINT,
          accessKeyId: e.S3_ACCESS_KEY_ID,
          secretAccessKey: e.S3_SECRET_ACCESS_KEY,
          publicUrl: e.S3_PUBLIC_URL,
          forcePathStyle: e.S3_FORCE_PATH_STYLE,
        }
      : { kind: "disk" },
    shutdownTimeout: e.SHUTDOWN_TIMEOUT,
    requestTimeout: e.REQUEST_TIMEOUT,
    payments: e.STRIPE_SECRET_KEY
      ? { kind: "stripe", secretKey: e.STRIPE_SECRET_KEY, webhookSecret: e.STRIPE_WEBHOOK_SECRET, livemode: /^(sk|rk)_live_/.test(e.STRIPE_SECRET_KEY) }
      : { kind: "offline", webhookSecret: e.STRIPE_WEBHOOK_SECRET ?? OFFLINE_WEBHOOK_SECRET, webhookSecretSource: e.STRIPE_WEBHOOK_SECRET ? "config" : "default" },
    fees: { stripePercentBps: e.STRIPE_FEE_PERCENT, stripeFixedCents: e.STRIPE_FEE_FIXED, candleBps: e.CANDLE_FEE_PERCENT },
    contracts: { settlementLeaseSeconds: e.CONTRACT_SETTLEMENT_LEASE },
    stockHolds: { minutes: e.STOCK_HOLD_MINUTES, maxSharePercent: e.STOCK_HOLD_MAX_SHARE },
    subscriptions: { retrySchedule: e.SUBSCRIPTION_RETRY_SCHEDULE, hostPlatformId: e.HOST_PLATFORM_ID },
    googleCalendar: googleCalendarConfig(
      e.GOOGLE_CLIENT_ID,
      e.GOOGLE_CLIENT_SECRET,
      e.GOOGLE_REDIRECT_URL ?? `${(e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, "")}/v1/calendars/google/callback`,
    ),
  };
  return deepFreeze(config);
}

/**
 * Requests in flight per node when LOAD_MAX_IN_FLIGHT is unset: 16 per core the process may use (32
 * on two). An accepted request waits about bound ÷ throughput, and throughput grows with the cores;
 * on two cores 64 let the overload bench's accepted p99 at 1000 connections pass 250 ms, 32 kept it
 * under at the same throughput (bench/RESULTS.md, "Overload").
 */
export function defaultMaxInFlight(cores = os.availableParallelism()): number {
  return 16 * Math.max(1, cores);
}

/**
 * Connections a node accepts when MAX_CONNECTIONS is unset: four per request it answers at once
 * (idle keep-alive connections of the proxy and the clients hold a slot too), at least 1024; no
 * bound when the in-flight bound is off.
 */
export function defaultMaxConnections(maxInFlight: number): number {
  return maxInFlight > 0 ? Math.max(1024, 4 * maxInFlight) : 0;
}

function googleCalendarConfig(clientId: string | undefined, clientSecret: string | undefined, redirectUrl: string): GoogleCalendarConfig {
  return clientId && clientSecret ? { kind: "google", clientId, clientSecret, redirectUrl } : { kind: "offline", redirectUrl };
}

function deepFreeze<T extends object>(value: T): Readonly<T> {
  for (const v of Object.values(value)) if (v && typeof v === "object") deepFreeze(v as object);
  return Object.freeze(value);
}
