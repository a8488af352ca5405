import cors from "@fastify/cors";
import multipart from "@fastify/multipart";
import fastifyStatic from "@fastify/static";
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from "fastify";
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from "fastify-type-provider-zod";
import fs from "node:fs/promises";
import path from "node:path";
import type { Logger } from "pino";
import type { Task, TaskList } from "graphile-worker";
import type { EmailMessage, Mailer } from "./adapters/mailer/mailer.js";
import { createOutboxMailer } from "./adapters/mailer/outbox.js";
import { createPaymentsGateway, isOfflineGateway } from "./adapters/payments/from-config.js";
import type { PaymentsGateway } from "./adapters/payments/gateway.js";
import { MemoryRateLimitStore, type RateLimitStore } from "./adapters/rate-limit/store.js";
import { createDiskStorage } from "./adapters/storage/disk.js";
import type { Storage } from "./adapters/storage/storage.js";
import { createUploadSigner } from "./adapters/storage/upload-signer.js";
import { createHttpSender } from "./adapters/webhooks/http-sender.js";
import { systemResolver, type HostResolver } from "./adapters/webhooks/public-address.js";
import { startWorker } from "./jobs/worker.js";
import type { Config } from "./config.js";
import type { Db } from "./db/client.js";
import { asSystem } from "./db/tenant.js";
import { ServiceUnavailableError } from "./lib/errors.js";
import { uuidv7Hex } from "./lib/ids.js";
import { censoring, createLogger } from "./lib/logging.js";
import { systemClock, type Clock } from "./lib/time.js";
import { authRoutes } from "./modules/auth/auth.routes.js";
import { calendarsRoutes } from "./modules/calendars/calendars.routes.js";
import { createCalendarsService } from "./modules/calendars/calendars.service.js";
import { cartsRoutes } from "./modules/carts/carts.routes.js";
import { createCartsService } from "./modules/carts/carts.service.js";
import { contractsRoutes } from "./modules/contracts/contracts.routes.js";
import { createContractsService, type ContractsService } from "./modules/contracts/contracts.service.js";
import { sweepExpiredHolds } from "./modules/contracts/stock-holds.js";
import { createContractSettlement, type ContractSettlement, type SettleContractJob } from "./modules/contracts/contracts.settlement.js";
import { createCredentialsService } from "./modules/auth/credentials.service.js";
import { KeyCache } from "./modules/auth/key-cache.js";
import { SessionCache } from "./modules/auth/session-cache.js";
import { startInvalidationListener, type InvalidationListener } from "./db/invalidation.js";
import { createOtpService } from "./modules/auth/otp.service.js";
import { createSessionsService } from "./modules/auth/sessions.service.js";
import { createTokenService, type TokenService } from "./modules/auth/tokens.js";
import { bankAccountsRoutes } from "./modules/bank-accounts/bank-accounts.routes.js";
import { createBankAccountsService } from "./modules/bank-accounts/bank-accounts.service.js";
import { connectPagesRoutes } from "./modules/bank-accounts/bank-accounts.pages.js";
import { eventsRoutes } from "./modules/events/events.routes.js";
import { createEventsService } from "./modules/events/events.service.js";
import { healthRoutes } from "./modules/health/health.routes.js";
import { keysRoutes } from "./modules/keys/keys.routes.js";
import { createKeysService } from "./modules/keys/keys.service.js";
import { createMediaService } from "./modules/media/media.service.js";
import { offlineConnectRoutes } from "./modules/offline-connect/offline-connect.routes.js";
import { paymentMethodsRoutes } from "./modules/payment-methods/payment-methods.routes.js";
import { createPaymentMethodsService } from "./modules/payment-methods/payment-methods.service.js";
import { platformsRoutes } from "./modules/platforms/platforms.routes.js";
import { createProductImagesService } from "./modules/products/product-images.service.js";
import { productsRoutes } from "./modules/products/products.routes.js";
import { createProductsService, type ProductsService } from "./modules/products/products.service.js";
import { uploadsRoutes } from "./modules/uploads/uploads.routes.js";
import { createAnalyticsService } from "./modules/transactions/analytics.service.js";
import { transactionsRoutes } from "./modules/transactions/transactions.routes.js";
import { createTransactionsService, type TransactionsService } from "./modules/transactions/transactions.service.js";
import { createPlatformsService, type PlatformsService } from "./modules/platforms/platforms.service.js";
import { stripeWebhooksRoutes } from "./modules/stripe-webhooks/stripe-webhooks.routes.js";
import { createStripeWebhooksService } from "./modules/stripe-webhooks/stripe-webhooks.service.js";
import { createSubscriptionBilling, type RenewSubscriptionJob, type SubscriptionBilling } from "./modules/subscriptions/subscriptions.billing.js";
import { subscriptionsRoutes } from "./modules/subscriptions/subscriptions.routes.js";
import { createSubscriptionsService, type SubscriptionsService } from "./modules/subscriptions/subscriptions.service.js";
import { usersRoutes } from "./modules/users/users.routes.js";
import { createUsersService, type UsersService } from "./modules/users/users.service.js";
import { utilsRoutes } from "./modules/utils/utils.routes.js";
import { createUtilsService } from "./modules/utils/utils.service.js";
import { waitlistsRoutes } from "./modules/waitlists/waitlists.routes.js";
import { createWaitlistsService } from "./modules/waitlists/waitlists.service.js";
import { createDeliveryService } from "./modules/webhooks/delivery.service.js";
import { webhooksRoutes } from "./modules/webhooks/webhooks.routes.js";
import { createWebhooksService } from "./modules/webhooks/webhooks.service.js";
import authPlugin from "./plugins/auth.js";
import errorHandler, { clientErrorHandler, frameworkErrors } from "./plugins/error-handler.js";
import inputGuard from "./plugins/input-guard.js";
import idempotency, { sweepIdempotencyRecords } from "./plugins/idempotency.js";
import openapi from "./plugins/openapi.js";
import { createRateLimiter } from "./plugins/rate-limit.js";

export const VERSION = "0.1.0";

export interface AppDeps {
  config: Readonly<Config>;
  db: Db;
  /** The JWT signing secret (config's, or the one generated and kept under DATA_DIR). */
  jwtSecret: string;
  /** Where the job worker connects (the same database as `db`); no worker runs without it. */
  databaseUrl?: string;
  logger?: Logger;
  storage?: Storage;
  mailer?: Mailer;
  rateLimitStore?: RateLimitStore;
  /** Default: what config.payments says (Stripe with STRIPE_SECRET_KEY, else the offline simulator). */
  payments?: PaymentsGateway;
  clock?: Clock;
  /** Resolves webhook hosts for the public-address checks (the system resolver by default). */
  resolveHost?: HostResolver;
}

export interface AppServices {
  platforms: PlatformsService;
  users: UsersService;
  products: ProductsService;
  tokens: TokenService;
  mailer: Mailer;
  /** The job handlers, by name (the worker runs them; tests can too, with graphile-worker's runOnce). */
  tasks: TaskList;
  payments: PaymentsGateway;
  transactions: TransactionsService;
  contracts: ContractsService;
  settlement: ContractSettlement;
  subscriptions: SubscriptionsService;
  billing: SubscriptionBilling;
}

export interface RouteInfo {
  method: string;
  url: string;
  auth: unknown;
  hidden: boolean;
}

declare module "fastify" {
  interface FastifyInstance {
    services: AppServices;
    /** Every route the app serves, for introspection (the OpenAPI coverage and security suites). */
    routeCatalog: readonly RouteInfo[];
  }
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The composition root: builds a ready-to-listen app from its dependencies. Only server.ts listens. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config, db } = deps;
  const clock = deps.clock ?? systemClock;
  const app = Fastify({
    // Whatever logger is handed in, the app's lines go through the same censoring (credentials in
    // headers, bodies and query strings).
    loggerInstance: censoring(deps.logger ?? createLogger({ level: config.logLevel })) as FastifyBaseLogger,
    bodyLimit: config.bodyLimit,
    trustProxy: config.trustProxy,
    requestTimeout: config.requestTimeout,
    logController: new LogController({ requestIdLogLabel: "request_id" }),
    genReqId: (req) => {
      const incoming = req.headers["x-request-id"];
      return typeof incoming === "string" && REQUEST_ID.test(incoming) ? incoming : `req_${uuidv7Hex()}`;
    },
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 300 },
    frameworkErrors,
    clientErrorHandler,
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  const routeCatalog: RouteInfo[] = [];
  app.decorate("routeCatalog", routeCatalog);
  app.addHook("onRequest", async (request, reply) => {
    reply.header("request-id", request.id);
    // No answer is ever content-sniffed into something else (a GIF with a script in it is a GIF).
    reply.header("x-content-type-options", "nosniff");
  });

  // ── adapters and services ────────────────────────────────────────────────
  // Pre-signed upload URLs on our own server when there is no bucket to sign them (disk storage).
  const uploadSigner = createUploadSigner({ secret: deps.jwtSecret, baseUrl: `${config.publicUrl}/v1/uploads`, clock });
  // The S3 and SMTP clients are loaded only when configured: together they are ~40 MB of a node's memory.
  const storage =
    deps.storage ??
    (config.storage.kind === "s3"
      ? (await import("./adapters/storage/s3.js")).createS3Storage(config.storage)
      : createDiskStorage({ root: path.join(config.dataDir, "media"), publicUrl: config.publicUrl, uploads: uploadSigner }));
  const mailer =
    deps.mailer ??
    (config.mail.smtpUrl
      ? (await import("./adapters/mailer/smtp.js")).createSmtpMailer({ url: config.mail.smtpUrl, from: config.mail.from })
      : createOutboxMailer({ dir: path.join(config.dataDir, "outbox"), from: config.mail.from, logger: app.log }));
  const rateLimitStore = deps.rateLimitStore ?? new MemoryRateLimitStore();
  const limiter = createRateLimiter({ store: rateLimitStore, windowSeconds: config.rateLimit.windowSeconds });
  const tokens = createTokenService({ secret: deps.jwtSecret, accessTokenTtl: config.auth.accessTokenTtl });
  const keyCache = new KeyCache(config.auth.cacheTtl * 1000);
  const sessionCache = new SessionCache(config.auth.cacheTtl * 1000);
  const invalidate = (message: string) => {
    keyCache.invalidate(message);
    sessionCache.invalidate(message);
  };
  const credentials = createCredentialsService({ db, tokens, keyCache, sessionCache });
  const keys = createKeysService({ db, invalidate });
  const media = createMediaService({ db, storage });
  const platforms = createPlatformsService({ db, keys, media, invalidate });
  const payments = deps.payments ?? createPaymentsGateway({ payments: config.payments, publicUrl: config.publicUrl, db, clock });
  const users = createUsersService({ db, media, clock, secret: deps.jwtSecret, invalidate });
  const sessions = createSessionsService({ db, tokens, users, clock, refreshTokenTtl: config.auth.refreshTokenTtl, invalidate });
  const otp = createOtpService({ db, users, sessions, clock, secret: deps.jwtSecret });
  const paymentMethods = createPaymentMethodsService({ db, payments, users, log: app.log });
  const bankAccounts = createBankAccountsService({ db, payments, users, publicUrl: config.publicUrl });
  const contracts = createContractsService({ db, clock, rates: config.fees, holds: config.stockHolds });
  const settlement = createContractSettlement({ db, payments, clock, rates: config.fees, leaseSeconds: config.contracts.settlementLeaseSeconds, log: app.log, holds: config.stockHolds });
  // Subscriptions' charges run through the settlement engine too, with the same lease.
  const billing = createSubscriptionBilling({
    db,
    payments,
    clock,
    leaseSeconds: config.contracts.settlementLeaseSeconds,
    retrySchedule: config.subscriptions.retrySchedule,
    log: app.log,
  });
  const subscriptions = createSubscriptionsService({ db, clock, rates: config.fees, billing, holds: config.stockHolds });
  const stripeWebhooks = createStripeWebhooksService({
    db,
    payments,
    bankAccounts,
    paymentMethods,
    // Contract settlement and subscription billing register their PaymentOutcomeHandlers here, to learn how their charges ended.
    onPaymentOutcome: [settlement.onPaymentOutcome, billing.onPaymentOutcome],
    // The offline simulator plays Stripe's test mode.
    livemode: config.payments.kind === "stripe" && config.payments.livemode,
    clock,
    log: app.log,
  });
  const waitlists = createWaitlistsService({ db, clock });
  const utils = createUtilsService({ db, rates: config.fees });
  const calendars = createCalendarsService({ db, clock });
  const products = createProductsService({ db, clock });
  const productImages = createProductImagesService({ db, storage, products, uploadLimit: config.uploadLimit, publicUrl: config.publicUrl });
  const carts = createCartsService({ db, clock });
  const transactions = createTransactionsService({ db, payments, clock });
  const analytics = createAnalyticsService({ db, clock });
  const events = createEventsService({ db });
  const resolveHost = deps.resolveHost ?? systemResolver;
  const webhooks = createWebhooksService({ db, allowPrivate: config.webhooks.allowPrivate, resolve: resolveHost });
  const deliveries = createDeliveryService({
    db,
    clock,
    send: createHttpSender({ timeoutMs: config.webhooks.timeout, allowPrivate: config.webhooks.allowPrivate, resolve: resolveHost, userAgent: `Candle-Webhooks/${VERSION}` }),
    retryBaseSeconds: config.webhooks.retryBase,
    timeoutMs: config.webhooks.timeout,
  });

  const handlers: TaskList = {
    "send-email": async (payload) => {
      await mailer.send(payload as EmailMessage);
    },
    "erase-due-users": async () => {
      while ((await users.eraseDueUsers(100)) === 100);
    },
    "sweep-idempotency": async () => {
      await sweepIdempotencyRecords(db, clock.now());
      await stripeWebhooks.sweep(clock.now());
    },
    "complete-refund": async (payload) => {
      await transactions.resumeRefund((payload as { refundId: string }).refundId);
    },
    "deliver-webhooks": async (payload, helpers) => {
      await deliveries.flush((payload as { endpointId: string }).endpointId, helpers.abortSignal);
    },
    "sweep-webhooks": async () => {
      await deliveries.sweep();
    },
    "settle-contract": async (payload) => {
      await settlement.resume(payload as SettleContractJob);
    },
    "renew-subscriptions": async () => {
      await billing.sweep();
    },
    "compact-analytics": async () => {
      await analytics.compact();
    },
    "release-stock-holds": async () => {
      await sweepExpiredHolds(db, clock.now());
    },
    "renew-subscription": async (payload) => {
      await billing.bringUpToDate(payload as RenewSubscriptionJob);
    },
  };
  // Jobs sweep every platform, or carry ids found across platforms: the system scope (docs/tenancy.md).
  const tasks: TaskList = Object.fromEntries(
    Object.entries(handlers).map(([name, handler]) => [name, ((payload, helpers) => asSystem(() => handler!(payload, helpers))) satisfies Task]),
  );
  app.decorate("services", { platforms, users, products, tokens, mailer, tasks, payments, transactions, contracts, settlement, subscriptions, billing });

  // ── infrastructure plugins ───────────────────────────────────────────────
  await app.register(errorHandler);
  await app.register(inputGuard);
  await app.register(cors, {
    origin: corsOrigin(config.cors.origins, platforms, clock),
    methods: ["GET", "POST", "PUT", "PATCH", "DELETE"],
    allowedHeaders: ["authorization", "api_key", "mode", "content-type", "idempotency-key", "x-request-id"],
    exposedHeaders: ["request-id", "ratelimit-limit", "ratelimit-remaining", "ratelimit-reset", "retry-after", "idempotent-replayed"],
    credentials: false,
    maxAge: 600,
  });
  await app.register(multipart, { limits: { fileSize: config.uploadLimit, files: 1, fields: 10, parts: 11 } });
  if (storage.kind === "disk") {
    await fs.mkdir(path.join(config.dataDir, "media"), { recursive: true });
    await app.register(fastifyStatic, {
      root: path.join(config.dataDir, "media"),
      prefix: "/media/",
      decorateReply: false,
      index: false,
      // Uploads are user content on our own origin: never sniffed, and anything but an image is
      // downloaded rather than rendered (so an HTML or SVG file cannot run script here).
      setHeaders: (reply, file) => {
        reply.header("x-content-type-options", "nosniff");
        if (!isInlineImage(file)) reply.header("content-disposition", "attachment");
      },
    });
  }
  await app.register(authPlugin, {
    credentials,
    limiter,
    limits: { perCredential: config.rateLimit.max, perAddress: config.rateLimit.ipMax },
  });
  await app.register(idempotency, { db });
  await app.register(openapi, { version: VERSION, publicUrl: config.publicUrl });
  // Registered last among the hooks so it sees each route's final config (auth defaults included).
  app.addHook("onRoute", (route) => {
    for (const method of [route.method].flat()) {
      if (method === "HEAD" || method === "OPTIONS") continue;
      routeCatalog.push({ method, url: route.url, auth: route.config?.auth, hidden: Boolean((route.schema as { hide?: boolean } | undefined)?.hide) });
    }
  });

  // ── routes ───────────────────────────────────────────────────────────────
  let shuttingDown = false;
  app.addHook("preClose", async () => {
    shuttingDown = true;
  });
  await app.register(healthRoutes, {
    startedAt: clock.now(),
    isShuttingDown: () => shuttingDown,
    pingDatabase: async () => {
      try {
        await db.$queryRaw`SELECT 1`;
      } catch (err) {
        throw new ServiceUnavailableError("The database does not answer.", "database_unavailable");
      }
    },
  });
  if (isOfflineGateway(payments)) {
    await app.register(offlineConnectRoutes, {
      gateway: payments,
      // What Stripe's account.updated webhook does after a real onboarding.
      onboarded: async (accountId) => {
        const account = await payments.retrieveAccount(accountId);
        await asSystem(() => db.$transaction((tx) => bankAccounts.recordAccount(tx, account)));
      },
    });
  }
  await app.register(connectPagesRoutes, { db });
  await app.register(
    async (v1) => {
      await v1.register(authRoutes, {
        otp,
        sessions,
        platforms,
        limiter,
        limits: config.otp,
      });
      await v1.register(platformsRoutes, { platforms });
      await v1.register(keysRoutes, { keys });
      await v1.register(usersRoutes, { users });
      await v1.register(paymentMethodsRoutes, { paymentMethods, users });
      await v1.register(bankAccountsRoutes, { bankAccounts, users });
      await v1.register(stripeWebhooksRoutes, { webhooks: stripeWebhooks });
      await v1.register(waitlistsRoutes, { waitlists, platforms });
      await v1.register(utilsRoutes, { utils, media, platforms });
      await v1.register(calendarsRoutes, { calendars, users });
      await v1.register(productsRoutes, { products, images: productImages });
      await v1.register(cartsRoutes, { carts });
      await v1.register(contractsRoutes, { contracts, settlement });
      await v1.register(subscriptionsRoutes, { subscriptions });
      if (storage.kind === "disk") await v1.register(uploadsRoutes, { signer: uploadSigner, productImages, uploadLimit: config.uploadLimit });
      await v1.register(transactionsRoutes, { transactions, analytics });
      await v1.register(eventsRoutes, { events });
      await v1.register(webhooksRoutes, { webhooks });
    },
    { prefix: "/v1" },
  );

  // ── background work ──────────────────────────────────────────────────────
  let worker: Awaited<ReturnType<typeof startWorker>> | undefined;
  if (config.jobs.worker && deps.databaseUrl) {
    const connectionString = deps.databaseUrl;
    app.addHook("onReady", async () => {
      worker = await startWorker({ connectionString, tasks, concurrency: config.jobs.concurrency, logger: app.log as unknown as Logger });
    });
  }
  // Key and session lookups are cached only while this node can hear invalidations (LISTEN/NOTIFY).
  let invalidations: InvalidationListener | undefined;
  if (config.auth.cacheTtl > 0 && deps.databaseUrl) {
    const connectionString = deps.databaseUrl;
    app.addHook("onReady", async () => {
      invalidations = startInvalidationListener({
        connectionString,
        onMessage: invalidate,
        onConnected: () => {
          keyCache.setLive(true);
          sessionCache.setLive(true);
        },
        onDisconnected: () => {
          keyCache.setLive(false);
          sessionCache.setLive(false);
        },
        logger: app.log as unknown as Logger,
      });
    });
  }
  app.addHook("onClose", async () => {
    await invalidations?.stop();
    await worker?.stop();
    await rateLimitStore.close();
    await mailer.close();
  });

  return app;
}

/** The raster images we store and let browsers show inline (SVG can carry script: not one of them). */
const INLINE_IMAGE = /\.(?:png|jpe?g|gif|webp)$/i;
function isInlineImage(file: string): boolean {
  return INLINE_IMAGE.test(file);
}

/** CORS: configured origins, plus each platform's own `url` and domains (cached for a minute). */
function corsOrigin(configured: readonly string[], platforms: Pick<PlatformsService, "isKnownOrigin">, clock: Clock) {
  const fixed = new Set(configured);
  const cache = new Map<string, { allowed: boolean; until: number }>();
  return (origin: string | undefined, callback: (err: Error | null, allow: boolean) => void) => {
    if (!origin) return callback(null, true); // not a browser request
    if (fixed.has("*") || fixed.has(origin)) return callback(null, true);
    const now = clock.now().getTime();
    const cached = cache.get(origin);
    if (cached && cached.until > now) return callback(null, cached.allowed);
    // Any platform's origin may call: looked up across platforms (docs/tenancy.md).
    asSystem(() => platforms.isKnownOrigin(origin)).then(
      (allowed) => {
        if (cache.size > 10_000) cache.clear();
        cache.set(origin, { allowed, until: now + 60_000 });
        callback(null, allowed);
      },
      () => callback(null, false),
    );
  };
}
