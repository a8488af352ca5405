/**
 * Every event type the API records, with the kind of object its `data.object` holds. Modules that
 * add state changes (products, carts, contracts, subscriptions, transactions) add their types here;
 * the events filter, the webhook subscriptions and the docs all read this one list.
 */
export const EVENT_TYPE_LIST = {
  "platform.created": { object: "platform", description: "A platform was created (the CLI, or the demo seed)." },
  "platform.updated": { object: "platform", description: "The platform's settings or logo changed." },
  "api_key.created": { object: "api_key", description: "An API key was created (never with its secret)." },
  "api_key.revoked": { object: "api_key", description: "An API key was revoked." },
  "oauth_app.created": { object: "oauth_app", description: "An OAuth app was registered (never with its secret)." },
  "oauth_app.updated": { object: "oauth_app", description: "An OAuth app's name, logo, redirect URIs or scopes changed, or its secret was rotated (`secret_last4`)." },
  "oauth_app.deleted": { object: "oauth_app", description: "An OAuth app was deleted, and every token it held revoked; the object is the app as it was." },
  "user.created": { object: "user", description: "A user was created by an admin, or signed in for the first time." },
  "user.updated": {
    object: "user",
    description:
      "A user's profile, role, image or links changed, their Stripe customer was created (`stripeCustomerId`), signing in cancelled a scheduled deletion, or its metafields changed.",
  },
  "user.suspended": { object: "user", description: "A user was suspended (`suspended`): no sign-in or session, neither charged nor paid, until unsuspended." },
  "user.unsuspended": { object: "user", description: "A suspended user was unsuspended (`suspended` is null again)." },
  "user.deletion_scheduled": { object: "user", description: "A user was scheduled for deletion (`scheduledDeletion`)." },
  "user.deleted": { object: "user", description: "A user's personal data was erased; the object is what remains." },
  "collaborator.created": { object: "collaborator", description: "A collaborator was created (and, unless managed, its user invited by email)." },
  "collaborator.updated": { object: "collaborator", description: "A collaborator's permissions, payout settings or managed account changed." },
  "collaborator.deleted": { object: "collaborator", description: "A collaborator was deleted (its user can no longer sign in); the object is the collaborator as it was." },
  "waitlist_entry.created": { object: "waitlist_entry", description: "Someone joined the waitlist." },
  "waitlist_entry.granted": { object: "waitlist_entry", description: "A waitlist entry was granted access." },
  "waitlist_entry.removed": { object: "waitlist_entry", description: "A waitlist entry was removed; the object is the entry as it was." },
  "calendar.created": { object: "calendar", description: "A user's calendar was created (on its first use); the object has no events." },
  "calendar.availability_updated": {
    object: "calendar",
    description: "A user's availability was replaced (the whole list); the object is the calendar with its new availability, without events.",
  },
  "calendar.updated": { object: "calendar", description: "A user's calendar's `name`, `description` or `googleCalendarIds` changed; the object is the calendar without events." },
  "calendar_event.created": { object: "calendar_event", description: "An event was added to a user's calendar (by the user, or by a subscription: `subscription_id`)." },
  "calendar_event.updated": { object: "calendar_event", description: "A calendar event changed: moved, cancelled or revived, its details or attendees." },
  "calendar_event.deleted": {
    object: "calendar_event",
    description: "A calendar event was removed (by the user, or a subscription's when it was paused or ended); the object is the event as it was.",
  },
  "payment_method.attached": {
    object: "payment_method",
    description: "A payment method was saved for a user (through the API, or attached at Stripe); a user's first one is their default.",
  },
  "payment_method.updated": { object: "payment_method", description: "A payment method's details (expiry, brand, …) changed at Stripe." },
  "payment_method.default_changed": {
    object: "payment_method",
    description: "A payment method became its user's default (the one that was the default no longer is), other than by being attached as the first.",
  },
  "payment_method.detached": {
    object: "payment_method",
    description: "A payment method was removed from its user (through the API, or detached at Stripe); the object is as it was.",
  },
  "bank_account.created": { object: "bank_account", description: "A user's Stripe Connect account was created (`stripeConnectId`), before onboarding." },
  "bank_account.updated": {
    object: "bank_account",
    description: "What Stripe says of a Connect account changed: `chargesEnabled`, `detailsSubmitted`, the payout schedule or the bank's last 4.",
  },
  "bank_account.deleted": {
    object: "bank_account",
    description: "A user's Connect account was deleted (`DELETE /users/:id/bank_account`); the object is the account as it was. The user has no `stripeConnectId` any more.",
  },
  "payout.created": { object: "payout", description: "Stripe started a payout from a seller's Connect account to their bank (their schedule, or a threshold reached)." },
  "payout.updated": { object: "payout", description: "A payout changed at Stripe (its status went to `in_transit`, or its arrival date moved)." },
  "payout.paid": { object: "payout", description: "A payout reached the seller's bank." },
  "payout.failed": { object: "payout", description: "A payout failed (`failure_code`); the money is back in the seller's balance." },
  "payout.canceled": { object: "payout", description: "A payout was cancelled; the money is back in the seller's balance." },
  "payout_settings.updated": {
    object: "payout_settings",
    description: "A seller's payout schedule or threshold was set; the object is the settings, with the seller's id as `id`.",
  },
  "product.created": { object: "product", description: "A product (or a variant) was created; the object is the product with its seasonal prices and variants." },
  "product.updated": {
    object: "product",
    description:
      "A product's fields changed (`PUT`/`PATCH`: name, price, stock `quantity`, …), its seller (a parent's variants each record their own), its seasonal price usage, its image, its add-ons or its metafields.",
  },
  "product.enabled": { object: "product", description: "A disabled product was enabled (`isEnabled: true`); not recorded when it already was." },
  "product.disabled": { object: "product", description: "An enabled product was disabled (`isEnabled: false`); not recorded when it already was." },
  "product.archived": {
    object: "product",
    description: "A product was archived (`archived` set, once): by its seller or an editor, or because its seller's account was erased (then also disabled).",
  },
  "product.unarchived": { object: "product", description: "An archived product was unarchived (`archived: null`)." },
  "product.deleted": {
    object: "product",
    description: "A product was deleted, with its seasonal prices; the object is the product as it was. Deleting a parent records one for each of its variants too.",
  },
  "product.submitted": {
    object: "product",
    description:
      "A listing was submitted for review (`adminStatus: pending`): created or edited while the platform requires review, or a draft or rejected listing submitted; published at once (`published`) when review is not required.",
  },
  "product.approved": { object: "product", description: "A reviewer approved a listing pending review: it is published (`adminStatus: published`)." },
  "product.rejected": {
    object: "product",
    description: "A reviewer rejected a listing pending review, or took down a published one (`adminStatus: rejected`, `rejectionReason`).",
  },
  "product.price_added": { object: "product", description: "A seasonal price was added; the object is the product after the change, its `seasonalPrices` holding the new one." },
  "product.price_removed": { object: "product", description: "A seasonal price was removed; the object is the product after the change, without it." },
  "shipping_rate.created": { object: "shipping_rate", description: "A shipping rate was added: the platform's, or a seller's." },
  "shipping_rate.updated": {
    object: "shipping_rate",
    description: "A shipping rate's title, prices or bands changed (carts price with it at once; contracts keep their shipping lines).",
  },
  "shipping_rate.deleted": { object: "shipping_rate", description: "A shipping rate was deleted; the object is the rate as it was." },
  "category.created": { object: "category", description: "A category was added to the platform's category tree." },
  "category.updated": {
    object: "category",
    description:
      "A category changed: its name, slug, description, position, image, or its parent (moved). Renaming it also renames `category` on its products (no product events).",
  },
  "category.deleted": { object: "category", description: "A category without subcategories or products was deleted; the object is the category as it was." },
  "collection.created": { object: "collection", description: "A collection (curated or rule-based) was created." },
  "collection.updated": { object: "collection", description: "A collection changed: its title, handle, description, metadata, rules or its curated products." },
  "collection.deleted": { object: "collection", description: "A collection was deleted; the object is the collection as it was." },
  "cart.updated": {
    object: "cart",
    description:
      "An item was added to a user's cart (a new line, or more units on a line it had), or a line was removed; the object is the cart as `GET /v1/carts/auth` renders it.",
  },
  "cart.cleared": { object: "cart", description: "A user emptied their cart (not recorded when it was empty already); the object is the empty cart." },
  "transaction.created": { object: "transaction", description: "A transaction was written: a settlement's charge, transfer or fee, or a refund's `:refund` row." },
  "transaction.updated": {
    object: "transaction",
    description: "A transaction's `status` settled (a refund's rows: processing → succeeded or failed) or its `amountRefunded` changed.",
  },
  "contract.created": { object: "contract", description: "A contract was created (`POST /contracts`, or from a cart)." },
  "contract.updated": {
    object: "contract",
    description: "A contract changed: items, buyers, sellers, pins, custom fees, fee inclusion, currency, notes, due date or metafields; or `sync` moved its figures.",
  },
  "contract.deleted": { object: "contract", description: "A draft contract was deleted; the object is the contract as it was." },
  "contract.voided": { object: "contract", description: "An open contract was voided (`DELETE` of a sent contract): status `void`." },
  "contract.accepted": {
    object: "contract",
    description: "A buyer accepted the contract (`POST /contracts/:id/accept`): their consent to be charged their `acceptedAmount`; any change to the contract's money voids it.",
  },
  "contract.sent": { object: "contract", description: "A contract was emailed to its buyers (the first send opens it; later ones are reminders)." },
  "contract.payment_action_required": {
    object: "contract",
    description:
      "A buyer's on-session charge waits for them to authenticate it (3-D Secure): the contract stays `processing` until they complete it (`contract.paid`, or their share paid) or fail it (`contract.payment_failed`).",
  },
  "contract.payment_failed": { object: "contract", description: "A buyer's charge was declined during settlement; the contract is `open` again with `lastPaymentAttempt` set." },
  "contract.paid": {
    object: "contract",
    description: "Settlement finished: every buyer charged (captured), every seller paid — or, when the platform holds funds, to be paid at completion; status `paid`.",
  },
  "contract.authorized": {
    object: "contract",
    description: "Every buyer's card is authorised (the platform requires the seller's acceptance): status `authorized`, `orderStatus` `awaiting_acceptance` until `acceptBy`.",
  },
  "contract.order_accepted": {
    object: "contract",
    description: "The seller (or the platform) accepted the order: its authorisations are being captured; `orderStatus` `accepted`.",
  },
  "contract.declined": {
    object: "contract",
    description: "The seller (or the platform) declined the order: authorisations released, stock back; status `void`, `orderStatus` `declined`.",
  },
  "contract.expired": { object: "contract", description: "Nobody accepted the order by `acceptBy`: authorisations released, stock back; status `void`, `orderStatus` `expired`." },
  "contract.fulfilled": { object: "contract", description: "The seller (or the platform) fulfilled the order, with its `tracking` if given; `orderStatus` `fulfilled`." },
  "contract.completed": {
    object: "contract",
    description: "The buyer (or the platform, or the auto-completion delay) completed the order; held funds go to the sellers; `orderStatus` `completed`.",
  },
  "contract.canceled": {
    object: "contract",
    description: "The order was canceled: authorisations released, captured charges refunded, stock back; status `void`, `orderStatus` `canceled`.",
  },
  "contract.capture_failed": {
    object: "contract",
    description:
      "Stripe refused to capture a buyer's authorisation after the seller accepted (it lapsed, or the card declined the capture): the order ended — status `void`, `orderStatus` `capture_failed`, stock back, other authorisations released and captured charges refunded.",
  },
  "contract.refund_failed": {
    object: "contract",
    description:
      "A canceled order's refund that Stripe answered `pending` failed (Stripe's `refund.failed` / `refund.updated`): `orderStatus` `refund_failed`, the money still with the platform; canceling again retries the refund.",
  },
  "contract.uncollectible": {
    object: "contract",
    description:
      "The platform wrote off a partly paid contract: what is unpaid is no longer collected (authorisations released), the paid shares go to the sellers in proportion (`contract.funds_released`); status `uncollectible`.",
  },
  "contract.funds_released": {
    object: "contract",
    description: "Held funds were transferred to the sellers (at completion or after the platform's holding delay); the fees are in the ledger.",
  },
  "contract.disputed": { object: "contract", description: "A buyer disputed their charge with their bank (Stripe's `charge.dispute.created`): status `disputed`." },
  "contract.dispute_closed": {
    object: "contract",
    description:
      "A dispute of its charge was closed (Stripe's `charge.dispute.closed`): won, the contract is `paid` again; lost, it stays `disputed` and the ledger has the `dispute` rows.",
  },
  "refund_request.created": { object: "refund_request", description: "A buyer asked to be refunded (part of) what they paid for a contract; the sellers concerned were emailed." },
  "refund_request.approved": {
    object: "refund_request",
    description:
      "A seller or the platform approved a refund request: its refund was made (`refund_transaction_id`); `status` is `refunded` once the money is back, `approved` while it is under way.",
  },
  "refund_request.declined": { object: "refund_request", description: "A seller or the platform declined a refund request (`decline_reason`); the buyer was emailed." },
  "refund_request.canceled": { object: "refund_request", description: "The buyer withdrew their refund request." },
  "refund_request.refunded": {
    object: "refund_request",
    description:
      "The refund of an approved request is done (the payment processor gave the money back at once); a refund the processor holds pending ends in its transactions' events.",
  },
  "subscription.created": { object: "subscription", description: "A buyer subscribed to a contract and its first cycle was charged." },
  "subscription.renewed": { object: "subscription", description: "A renewal was charged and its sellers paid; the object is in its new period." },
  "subscription.renewal_failed": {
    object: "subscription",
    description: "A renewal was declined (or could not be attempted); `failedAttempts` counts them, `nextAttempt` says when it is retried.",
  },
  "subscription.payment_action_required": {
    object: "subscription",
    description:
      "A renewal's card wants its holder to authenticate (3-D Secure): the subscriber was emailed a link to complete it; `nextAttempt` is when, unauthenticated, it becomes past due.",
  },
  "subscription.renewal_skipped": { object: "subscription", description: "A cycle fell due while the subscription was paused: not charged, the period moved on." },
  "subscription.past_due": { object: "subscription", description: "The last retry of a renewal failed: `pastDue`, no more automatic charges; the buyer was emailed." },
  "subscription.paused": {
    object: "subscription",
    description:
      "A subscription was paused (`pausedAt`, and `pausedUntil` when it resumes by itself): by an admin, by its subscriber, or by a renewal that fell due while its subscriber or a seller was suspended.",
  },
  "subscription.resumed": { object: "subscription", description: "A paused subscription resumed: by its subscriber, or by itself at `pausedUntil`." },
  "subscription.ended": { object: "subscription", description: "A subscription ended (`ended`, `isActive` false): by its subscriber, or when the user was erased." },
  "webhook_endpoint.created": { object: "webhook_endpoint", description: "A webhook endpoint was created (never with its secret)." },
  "webhook_endpoint.updated": { object: "webhook_endpoint", description: "A webhook endpoint changed (URL, events, enabled, …)." },
  "webhook_endpoint.deleted": { object: "webhook_endpoint", description: "A webhook endpoint was deleted; the object is the endpoint as it was." },
  "webhook_endpoint.test": {
    object: "webhook_endpoint",
    description: "Sent on request (`POST /v1/webhooks/:id/test`) to that one endpoint, whatever it subscribes to; the object is the endpoint.",
  },
} as const satisfies Record<string, { object: string; description: string }>;

export type EventType = keyof typeof EVENT_TYPE_LIST;
export type EventObjectType = (typeof EVENT_TYPE_LIST)[EventType]["object"];

export const EVENT_TYPES = Object.keys(EVENT_TYPE_LIST) as [EventType, ...EventType[]];

/** What a webhook endpoint may subscribe to: an event type, or `*` for every type. */
export const WILDCARD_EVENT = "*";
