import type { GoogleCalendarGateway } from "../adapters/google-calendar/gateway.js";
import type { CalendarsService } from "../modules/calendars/index.js";
import type { LeaseHolder } from "../lib/lease-holder.js";
import type { TaskList } from "graphile-worker";
import type { Logger } from "pino";
import type { Mailer } from "../adapters/mailer/mailer.js";
import type { PaymentsGateway } from "../adapters/payments/gateway.js";
import type { RateLimitStore } from "../adapters/rate-limit/store.js";
import type { Storage } from "../adapters/storage/storage.js";
import type { HostResolver } from "../adapters/webhooks/public-address.js";
import type { Config } from "../config.js";
import type { Db } from "../db/client.js";
import type { Clock } from "../lib/time.js";
import type { TokenService } from "../modules/auth/index.js";
import type { ContractSettlement, ContractsService } from "../modules/contracts/index.js";
import type { PlatformsService } from "../modules/platforms/index.js";
import type { ProductsService } from "../modules/products/index.js";
import type { SubscriptionBilling, SubscriptionsService } from "../modules/subscriptions/index.js";
import type { TransactionsService } from "../modules/transactions/index.js";
import type { UsersService } from "../modules/users/index.js";
import type { UserErasure } from "../workflows/erase-user.js";

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
  /** Google Calendar (busy times); default from the configuration: Google's API, or the offline fake. */
  googleCalendar?: GoogleCalendarGateway;
  clock?: Clock;
  /** Who this app is in the settlement leases it takes (default: config.nodeId, a fresh boot). */
  leases?: LeaseHolder;
  /** Resolves webhook hosts for the public-address checks (the system resolver by default). */
  resolveHost?: HostResolver;
}

/** What the app exposes of its services (`app.services`): for the CLI, the demo seed and the tests. */
export interface AppServices {
  platforms: PlatformsService;
  /** The users service, and erasing the users whose deletion fell due (a workflow over the modules). */
  users: UsersService & UserErasure;
  products: ProductsService;
  tokens: TokenService;
  mailer: Mailer;
  /** The job handlers, by name (the worker runs them; tests can too, with graphile-worker's runOnce). */
  tasks: TaskList;
  /** This boot's name in the settlement leases it takes. */
  leases: LeaseHolder;
  payments: PaymentsGateway;
  transactions: TransactionsService;
  contracts: ContractsService;
  settlement: ContractSettlement;
  subscriptions: SubscriptionsService;
  billing: SubscriptionBilling;
  calendars: CalendarsService;
  /** Google Calendar, or the offline fake whose busy times tests set. */
  googleCalendar: GoogleCalendarGateway;
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
