import type { Prisma } from "../generated/prisma/client.js";

/**
 * Who owns each table: the only code that may name it, in a Prisma call (`<client>.<model>.…`, an
 * `include`/`select`/`where` through a relation to it) or in SQL. Everyone else asks the owner,
 * through its index.ts. A module owns a table as `src/modules/<name>/`; infrastructure owns its own
 * as the file that keeps it. test/unit/table-ownership.test.ts scans src/ and enforces it, with
 * its few exceptions. Typed by the schema's models: a new model without an owner does not compile.
 */
export const TABLE_OWNERS = {
  Platform: "src/modules/platforms/",
  PlatformDomain: "src/modules/platforms/",
  ApiKey: "src/modules/keys/",
  Membership: "src/modules/users/",
  User: "src/modules/users/",
  UserLink: "src/modules/users/",
  PaymentMethod: "src/modules/payment-methods/",
  OtpCode: "src/modules/auth/",
  RefreshToken: "src/modules/auth/",
  WaitlistEntry: "src/modules/waitlists/",
  Media: "src/modules/media/",
  Product: "src/modules/products/",
  SeasonalPrice: "src/modules/products/",
  SearchTerm: "src/modules/products/",
  SearchTermListing: "src/modules/products/",
  ProductAddOn: "src/modules/products/",
  // Metafields of products, contracts and users: those modules render and filter them through its index.ts.
  Metafield: "src/modules/metafields/",
  Category: "src/modules/categories/",
  Collection: "src/modules/collections/",
  CollectionProduct: "src/modules/collections/",
  Cart: "src/modules/carts/",
  CartItem: "src/modules/carts/",
  Contract: "src/modules/contracts/",
  ContractItem: "src/modules/contracts/",
  ContractBuyer: "src/modules/contracts/",
  ContractSeller: "src/modules/contracts/",
  ContractFee: "src/modules/contracts/",
  ContractShipping: "src/modules/contracts/",
  ContractCounter: "src/modules/contracts/",
  ShippingRate: "src/modules/shipping/",
  Subscription: "src/modules/subscriptions/",
  SubscriptionCharge: "src/modules/subscriptions/",
  Calendar: "src/modules/calendars/",
  Availability: "src/modules/calendars/",
  CalendarEvent: "src/modules/calendars/",
  EventAttendee: "src/modules/calendars/",
  GoogleCalendarConnection: "src/modules/calendars/",
  CalendarBusyTime: "src/modules/calendars/",
  Booking: "src/modules/calendars/",
  // The ledger: settlement writes it (every movement of money), the transactions module reads it.
  Transaction: "src/modules/settlement/",
  RefundRequest: "src/modules/refund-requests/",
  Event: "src/modules/events/",
  WebhookEndpoint: "src/modules/webhooks/",
  WebhookDelivery: "src/modules/webhooks/",
  StripeEvent: "src/modules/stripe-webhooks/",
  PaymentIntentOutcome: "src/modules/stripe-webhooks/",
  IdempotencyRecord: "src/plugins/idempotency.ts",
  OauthApp: "src/modules/oauth/",
  OauthPayload: "src/modules/oauth/",
  // The offline payment simulator's own state.
  SimCustomer: "src/adapters/payments/offline/",
  SimPaymentMethod: "src/adapters/payments/offline/",
  SimSetupIntent: "src/adapters/payments/offline/",
  SimPaymentIntent: "src/adapters/payments/offline/",
  SimRefund: "src/adapters/payments/offline/",
  SimAccount: "src/adapters/payments/offline/",
  Payout: "src/modules/payouts/",
  PayoutSetting: "src/modules/payouts/",
  SimAccountLink: "src/adapters/payments/offline/",
  SimTransfer: "src/adapters/payments/offline/",
  SimPayout: "src/adapters/payments/offline/",
  SimTransferReversal: "src/adapters/payments/offline/",
  SimIdempotencyKey: "src/adapters/payments/offline/",
  // Analytics roll-ups, kept by triggers on the ledger and contracts (migrations); read by analytics.
  TransactionFlowDelta: "src/modules/transactions/",
  TransactionFlowDay: "src/modules/transactions/",
  TransactionFlowUser: "src/modules/transactions/",
  ContractValueDelta: "src/modules/transactions/",
  ContractValueBucket: "src/modules/transactions/",
} as const satisfies Record<Prisma.ModelName, string>;

export type OwnedModel = keyof typeof TABLE_OWNERS;
