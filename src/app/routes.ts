import type { FastifyInstance } from "fastify";
import { isOfflineGateway } from "../adapters/payments/from-config.js";
import type { Config } from "../config.js";
import type { Db } from "../db/client.js";
import { ServiceUnavailableError } from "../lib/errors.js";
import { authRoutes } from "../modules/auth/index.js";
import { bankAccountsRoutes, connectPagesRoutes } from "../modules/bank-accounts/index.js";
import { calendarsRoutes } from "../modules/calendars/index.js";
import { categoriesRoutes } from "../modules/categories/index.js";
import { collaboratorsRoutes } from "../modules/collaborators/index.js";
import { shippingRoutes } from "../modules/shipping/index.js";
import { collectionsRoutes } from "../modules/collections/index.js";
import { cartsRoutes } from "../modules/carts/index.js";
import { consoleRoutes } from "../modules/console/index.js";
import { contractsRoutes } from "../modules/contracts/index.js";
import { eventsRoutes } from "../modules/events/index.js";
import { healthRoutes } from "../modules/health/index.js";
import { keysRoutes } from "../modules/keys/index.js";
import { appsRoutes, oauthRoutes } from "../modules/oauth/index.js";
import { offlineAuthenticationRoutes, offlineConnectRoutes } from "../modules/offline-connect/index.js";
import { paymentMethodsRoutes } from "../modules/payment-methods/index.js";
import { payoutsRoutes } from "../modules/payouts/index.js";
import { platformsRoutes } from "../modules/platforms/index.js";
import { productsRoutes } from "../modules/products/index.js";
import { stripeWebhooksRoutes } from "../modules/stripe-webhooks/index.js";
import { subscriptionsRoutes } from "../modules/subscriptions/index.js";
import { transactionsRoutes } from "../modules/transactions/index.js";
import { refundRequestsRoutes } from "../modules/refund-requests/index.js";
import { uploadsRoutes } from "../modules/uploads/index.js";
import { usersRoutes } from "../modules/users/index.js";
import { utilsRoutes } from "../modules/utils/index.js";
import { waitlistsRoutes } from "../modules/waitlists/index.js";
import { webhooksRoutes } from "../modules/webhooks/index.js";
import { asSystem } from "../db/tenant.js";
import type { Services } from "./services.js";

/** Health and the pages outside the API (Connect onboarding, the offline simulator's, the console). */
export async function registerSiteRoutes(app: FastifyInstance, deps: { db: Db; publicUrl: string; isShuttingDown: () => boolean }, s: Services): Promise<void> {
  const { db } = deps;
  await app.register(healthRoutes, {
    startedAt: s.clock.now(),
    isShuttingDown: deps.isShuttingDown,
    underPressure: () => app.underPressure(),
    pingDatabase: async () => {
      try {
        await db.$queryRaw`SELECT 1`;
      } catch {
        throw new ServiceUnavailableError("database_unavailable", "The database does not answer.");
      }
    },
  });
  const { payments, bankAccounts } = s;
  if (isOfflineGateway(payments)) {
    // What the simulator's Stripe does on its own (a dispute opened after a charge) reaches the Stripe webhook endpoint's service.
    payments.deliverEventsTo((event) => asSystem(() => s.stripeWebhooks.receive({ rawBody: Buffer.from(event.rawBody), signature: event.signature })));
    await app.register(offlineConnectRoutes, {
      gateway: payments,
      // What Stripe's account.updated webhook does after a real onboarding.
      onboarded: async (accountId) => {
        const account = await payments.retrieveAccount(accountId);
        await asSystem(() => db.$transaction((tx) => bankAccounts.recordAccount(tx, account)));
      },
      deliver: (input) => asSystem(() => s.stripeWebhooks.receive(input)),
    });
    await app.register(offlineAuthenticationRoutes, { gateway: payments, deliver: (input) => asSystem(() => s.stripeWebhooks.receive(input)) });
  }
  await app.register(connectPagesRoutes, { db });
  await app.register(oauthRoutes, { provider: s.oauthServer, apps: s.apps, credentials: s.credentials, publicUrl: deps.publicUrl });
  await app.register(consoleRoutes);
}

/** The API under /v1: each module's routes, with the services they use. */
export async function registerApiRoutes(app: FastifyInstance, config: Readonly<Config>, s: Services): Promise<void> {
  await app.register(
    async (v1) => {
      await v1.register(authRoutes, { otp: s.otp, sessions: s.sessions, platforms: s.platforms, limiter: s.limiter, limits: config.otp });
      await v1.register(platformsRoutes, { platforms: s.platforms });
      await v1.register(keysRoutes, { keys: s.keys });
      await v1.register(appsRoutes, { apps: s.apps });
      await v1.register(usersRoutes, { users: s.users });
      await v1.register(paymentMethodsRoutes, { paymentMethods: s.paymentMethods, users: s.users });
      await v1.register(bankAccountsRoutes, { bankAccounts: s.bankAccounts, users: s.users });
      await v1.register(payoutsRoutes, { payouts: s.payouts });
      await v1.register(stripeWebhooksRoutes, { webhooks: s.stripeWebhooks });
      await v1.register(waitlistsRoutes, { waitlists: s.waitlists, platforms: s.platforms });
      await v1.register(collaboratorsRoutes, { collaborators: s.collaborators });
      await v1.register(utilsRoutes, { utils: s.utils, media: s.media, platforms: s.platforms });
      await v1.register(calendarsRoutes, { calendars: s.calendars, users: s.users, platforms: s.platforms });
      await v1.register(productsRoutes, { products: s.products, images: s.productImages });
      await v1.register(categoriesRoutes, { categories: s.categories });
      await v1.register(collectionsRoutes, { collections: s.collections, products: s.products });
      await v1.register(shippingRoutes, { shipping: s.shipping });
      await v1.register(cartsRoutes, { carts: s.carts });
      await v1.register(contractsRoutes, { contracts: s.contracts, settlement: s.settlement });
      await v1.register(subscriptionsRoutes, { subscriptions: s.subscriptions });
      if (s.storage.kind === "disk") await v1.register(uploadsRoutes, { signer: s.uploadSigner, productImages: s.productImages, uploadLimit: config.uploadLimit });
      await v1.register(transactionsRoutes, { transactions: s.transactions, analytics: s.analytics });
      await v1.register(refundRequestsRoutes, { refundRequests: s.refundRequests });
      await v1.register(eventsRoutes, { events: s.events });
      await v1.register(webhooksRoutes, { webhooks: s.webhooks });
    },
    { prefix: "/v1" },
  );
}
