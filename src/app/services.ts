import type { FastifyBaseLogger } from "fastify";
import path from "node:path";
import type { Mailer } from "../adapters/mailer/mailer.js";
import { createOutboxMailer } from "../adapters/mailer/outbox.js";
import { createGoogleCalendarGateway } from "../adapters/google-calendar/from-config.js";
import { createPaymentsGateway } from "../adapters/payments/from-config.js";
import { MemoryRateLimitStore } from "../adapters/rate-limit/store.js";
import { createDiskStorage } from "../adapters/storage/disk.js";
import type { Storage } from "../adapters/storage/storage.js";
import { createUploadSigner } from "../adapters/storage/upload-signer.js";
import { createHttpSender } from "../adapters/webhooks/http-sender.js";
import { systemResolver } from "../adapters/webhooks/public-address.js";
import { createLeaseHolder } from "../lib/lease-holder.js";
import { systemClock } from "../lib/time.js";
import { createCredentialsService, createOtpService, createSessionsService, createTokenService, KeyCache, SessionCache } from "../modules/auth/index.js";
import { createBankAccountsService } from "../modules/bank-accounts/index.js";
import { createCalendarsService } from "../modules/calendars/index.js";
import { createCategoriesService } from "../modules/categories/index.js";
import { createCollaboratorAccess, createCollaboratorsService } from "../modules/collaborators/index.js";
import { createShippingService } from "../modules/shipping/index.js";
import { createCollectionsService } from "../modules/collections/index.js";
import { createCartsService, removeProductsFromCarts } from "../modules/carts/index.js";
import {
  contractExists,
  contractsOwingSeller,
  contractsSoldBySql,
  countSentContractItems,
  createContractSettlement,
  createContractsService,
  cancelBookingsOfRefundedOrder,
  expiredHoldsSql,
  releaseExpiredHolds,
} from "../modules/contracts/index.js";
import { pendingPayoutsTo } from "../modules/settlement/index.js";
import { createEventsService, listenToEvents } from "../modules/events/index.js";
import { createKeysService } from "../modules/keys/index.js";
import { createAccessTokenAuthenticator, createAppsService, createOAuthServer } from "../modules/oauth/index.js";
import { createMediaService } from "../modules/media/index.js";
import { createPaymentMethodsService, paymentMethodsOf } from "../modules/payment-methods/index.js";
import { createPlatformsService } from "../modules/platforms/index.js";
import { countProductsInCategory, createProductImagesService, createProductsService, existingProductIds, renameCategoryOnProducts } from "../modules/products/index.js";
import { createPayoutsService } from "../modules/payouts/index.js";
import { createStripeWebhooksService } from "../modules/stripe-webhooks/index.js";
import {
  createSubscriptionAccess,
  createSubscriptionBilling,
  createSubscriptionsService,
  hasLiveSubscriptions,
  hasSubscriptions,
  liveSubscriptionsTo,
  SubscriptionAccessCache,
} from "../modules/subscriptions/index.js";
import { createAnalyticsService, createTransactionsService } from "../modules/transactions/index.js";
import { createRefundRequestsService } from "../modules/refund-requests/index.js";
import { notifyOnEvent } from "../modules/notifications/index.js";
import { createUsersService } from "../modules/users/index.js";
import { createUtilsService } from "../modules/utils/index.js";
import { createWaitlistsService, isWaitlistGranted } from "../modules/waitlists/index.js";
import { createDeliveryService, createWebhooksService } from "../modules/webhooks/index.js";
import { createRateLimiter } from "../plugins/rate-limit.js";
import { countSettlement, instrumentPayments, instrumentWebhookSender } from "../observability/instrument.js";
import { countRefusals, createMetrics, type Metrics } from "../observability/metrics.js";
import { createUserErasure } from "../workflows/erase-user.js";
import type { AppDeps } from "./types.js";

/** The version the API reports (health, OpenAPI, webhook user agent). */
export const VERSION = "0.1.0";

/**
 * The composition root's first step: the adapters (storage, mail, payments, rate limits) and every
 * module's service, each given only what it uses.
 */
export async function createServices(deps: AppDeps, log: FastifyBaseLogger, metrics: Metrics = createMetrics()) {
  const { config, db } = deps;
  const clock = deps.clock ?? systemClock;

  // ── adapters ──
  // Pre-signed upload URLs on our own server when there is no bucket to sign them (disk storage).
  const uploadSigner = createUploadSigner({ secret: deps.jwtSecret, baseUrl: `${config.publicUrl}/v1/uploads`, clock });
  // The S3 and SMTP clients are loaded only when configured: together they are ~40 MB of a node's memory.
  const storage: Storage =
    deps.storage ??
    (config.storage.kind === "s3"
      ? (await import("../adapters/storage/s3.js")).createS3Storage(config.storage)
      : createDiskStorage({ root: path.join(config.dataDir, "media"), publicUrl: config.publicUrl, uploads: uploadSigner }));
  const mailer: Mailer =
    deps.mailer ??
    (config.mail.smtpUrl
      ? (await import("../adapters/mailer/smtp.js")).createSmtpMailer({ url: config.mail.smtpUrl, from: config.mail.from })
      : createOutboxMailer({ dir: path.join(config.dataDir, "outbox"), from: config.mail.from, logger: log }));
  const rateLimitStore = deps.rateLimitStore ?? new MemoryRateLimitStore();
  const limiter = countRefusals(createRateLimiter({ store: rateLimitStore, windowSeconds: config.rateLimit.windowSeconds }), metrics);
  const payments = instrumentPayments(deps.payments ?? createPaymentsGateway({ payments: config.payments, publicUrl: config.publicUrl, db, clock }), metrics);
  const resolveHost = deps.resolveHost ?? systemResolver;
  const googleCalendar = deps.googleCalendar ?? (await createGoogleCalendarGateway(config.googleCalendar));

  // ── auth: tokens, and the key and session caches every node keeps ──
  const tokens = createTokenService({ secret: deps.jwtSecret, accessTokenTtl: config.auth.accessTokenTtl });
  const keyCache = new KeyCache(config.auth.cacheTtl * 1000);
  const sessionCache = new SessionCache(config.auth.cacheTtl * 1000);
  // Whether a member has a live subscription to their platform's plan: the gates on buying and members-only products.
  const accessCache = new SubscriptionAccessCache(config.auth.cacheTtl * 1000);
  const invalidate = (message: string) => {
    keyCache.invalidate(message);
    sessionCache.invalidate(message);
    accessCache.invalidate(message);
  };
  const access = createSubscriptionAccess({ db, cache: accessCache });
  // OAuth apps and the OAuth server (docs/api/oauth.md): its access tokens authenticate like keys and sessions.
  const apps = createAppsService({ db, secret: deps.jwtSecret });
  const oauthServer = createOAuthServer({ db, apps, secret: deps.jwtSecret, publicUrl: config.publicUrl, trustProxy: config.trustProxy !== false });
  const accessTokens = createAccessTokenAuthenticator({ db, provider: oauthServer, apps, publicUrl: config.publicUrl });
  const credentials = createCredentialsService({ db, tokens, keyCache, sessionCache, accessTokens: { authenticateAccessToken: accessTokens } });

  // ── platforms, users and what is theirs ──
  const keys = createKeysService({ db, invalidate });
  const media = createMediaService({ db, storage });
  const platforms = createPlatformsService({
    db,
    keys,
    media,
    invalidate,
    planExists: async (tx, tenant, id) => (id.startsWith("prod_") ? (await existingProductIds(tx, [id])).size > 0 : contractExists(tx, tenant, id)),
  });
  const users = createUsersService({ db, media, clock, secret: deps.jwtSecret, invalidate, isWaitlistGranted, paymentMethodsOf });
  const erasure = createUserErasure({ db, clock, invalidate });
  const sessions = createSessionsService({ db, tokens, users, clock, refreshTokenTtl: config.auth.refreshTokenTtl, invalidate });
  const otp = createOtpService({ db, users, sessions, clock, secret: deps.jwtSecret });
  const paymentMethods = createPaymentMethodsService({ db, payments, users, log });
  const bankAccounts = createBankAccountsService({
    db,
    payments,
    users,
    publicUrl: config.publicUrl,
    // Money still coming to a seller's payout account, or at stake, stops its deletion.
    moneyPending: async (tx, tenant, userId) => {
      const contracts = await contractsOwingSeller(tx, tenant, userId);
      if (contracts.length > 0) return `the user sells on contracts not yet paid out to them (${contracts.join(", ")})`;
      const payouts = await pendingPayoutsTo(tx, tenant, userId);
      if (payouts.length > 0) return `transfers to the user are on their way (${payouts.join(", ")})`;
      const subscriptions = await liveSubscriptionsTo(tx, contractsSoldBySql(tenant, userId));
      if (subscriptions.length > 0) return `live subscriptions pay the user at each renewal (${subscriptions.join(", ")})`;
      return null;
    },
    // The bank account route's payout schedule is set through the payout settings (made below; called only once serving).
    setPayoutSchedule: (auth, userId, schedule) => payouts.setSchedule(auth, userId, schedule),
  });
  const waitlists = createWaitlistsService({ db, clock });
  // Collaborators (docs/api/collaborators.md): read-only users whose answers are redacted by their view permissions.
  const collaborators = createCollaboratorsService({ db, clock, publicUrl: config.publicUrl, invalidate });
  const collaboratorAccess = createCollaboratorAccess(collaborators);
  const utils = createUtilsService({ db, rates: config.fees });
  const calendars = createCalendarsService({ db, clock, google: googleCalendar, secret: deps.jwtSecret, publicUrl: config.publicUrl });

  // ── the catalogue and selling ──
  const products = createProductsService({ db, clock, references: { countSentContractItems, removeProductsFromCarts }, access });
  const categories = createCategoriesService({ db, clock, references: { countProducts: countProductsInCategory, renameProducts: renameCategoryOnProducts } });
  const collections = createCollectionsService({ db, products });
  const shipping = createShippingService({ db });
  const productImages = createProductImagesService({ db, storage, products, uploadLimit: config.uploadLimit, publicUrl: config.publicUrl });
  const carts = createCartsService({ db, clock, releaseExpiredHolds, expiredHoldsSql, purchaseGate: access.assertMayBuy });
  const contracts = createContractsService({ db, clock, rates: config.fees, holds: config.stockHolds, hasSubscriptions, purchaseGate: access.assertMayBuy });
  // This app's boot, named in every settlement lease it takes (a restart resumes the earlier boots' at once).
  const leases = deps.leases ?? createLeaseHolder(config.nodeId);
  const settlementEngine = createContractSettlement({
    db,
    payments,
    clock,
    rates: config.fees,
    leaseSeconds: config.contracts.settlementLeaseSeconds,
    leases,
    log,
    holds: config.stockHolds,
    billedBySubscriptions: hasLiveSubscriptions,
    purchaseGate: access.assertMayBuy,
  });
  const settlement: typeof settlementEngine = {
    ...settlementEngine,
    settle: (auth, id) =>
      countSettlement(
        metrics,
        "contract",
        () => settlementEngine.settle(auth, id),
        (r) => r.complete,
      ),
    resume: (job) => countSettlement(metrics, "contract_resume", () => settlementEngine.resume(job)),
  };
  // Subscriptions' charges run through the settlement engine too, with the same lease.
  const billing = createSubscriptionBilling({
    db,
    payments,
    clock,
    leaseSeconds: config.contracts.settlementLeaseSeconds,
    leases,
    retrySchedule: config.subscriptions.retrySchedule,
    log,
  });
  const subscriptions = createSubscriptionsService({
    db,
    clock,
    rates: config.fees,
    billing,
    holds: config.stockHolds,
    access,
    hostPlatformId: config.subscriptions.hostPlatformId,
  });
  const transactions = createTransactionsService({ db, payments, clock });
  const analytics = createAnalyticsService({ db, clock });
  const payouts = createPayoutsService({ db, clock, payments, recordAccount: bankAccounts.recordAccount });
  const refundRequests = createRefundRequestsService({ db, clock, refunds: transactions });
  // Orders, payouts and refunds email the people they concern, as their events are recorded.
  listenToEvents(notifyOnEvent);
  // An order refunded in full gives its booked time back.
  listenToEvents(cancelBookingsOfRefundedOrder);
  const stripeWebhooks = createStripeWebhooksService({
    db,
    payments,
    bankAccounts,
    paymentMethods,
    // Contract settlement and subscription billing register their PaymentOutcomeHandlers here, to learn how their charges ended.
    onPaymentOutcome: [settlement.onPaymentOutcome, billing.onPaymentOutcome],
    // Refunds Stripe answered `pending` end by webhook: the ledger first, then an ended order whose refund failed.
    onRefundOutcome: [transactions.onRefundOutcome, settlement.onRefundOutcome],
    // A dispute: the ledger first (it may ask Stripe to retry a dispute of a charge not recorded yet), then the contract.
    onDispute: [transactions.onDispute, settlement.onDispute],
    // Payouts of sellers' Connect accounts.
    onPayout: [payouts.recordPayout],
    // The offline simulator plays Stripe's test mode.
    livemode: config.payments.kind === "stripe" && config.payments.livemode,
    clock,
    log,
  });

  // ── events and webhooks ──
  const events = createEventsService({ db });
  const webhooks = createWebhooksService({ db, allowPrivate: config.webhooks.allowPrivate, resolve: resolveHost, clock });
  const deliveries = createDeliveryService({
    db,
    clock,
    send: instrumentWebhookSender(
      createHttpSender({ timeoutMs: config.webhooks.timeout, allowPrivate: config.webhooks.allowPrivate, resolve: resolveHost, userAgent: `Candle-Webhooks/${VERSION}` }),
      metrics,
    ),
    retryBaseSeconds: config.webhooks.retryBase,
    timeoutMs: config.webhooks.timeout,
  });

  return {
    clock,
    leases,
    payouts,
    uploadSigner,
    storage,
    mailer,
    rateLimitStore,
    limiter,
    payments,
    googleCalendar,
    tokens,
    keyCache,
    sessionCache,
    accessCache,
    access,
    invalidate,
    credentials,
    keys,
    apps,
    oauthServer,
    media,
    platforms,
    users,
    erasure,
    sessions,
    otp,
    paymentMethods,
    bankAccounts,
    waitlists,
    collaborators,
    collaboratorAccess,
    utils,
    calendars,
    products,
    categories,
    collections,
    shipping,
    productImages,
    carts,
    contracts,
    settlement,
    billing,
    subscriptions,
    transactions,
    analytics,
    refundRequests,
    stripeWebhooks,
    events,
    webhooks,
    deliveries,
  };
}

export type Services = Awaited<ReturnType<typeof createServices>>;
