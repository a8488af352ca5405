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
  "user.created": { object: "user", description: "A user was created by an admin, or signed in for the first time." },
  "user.updated": {
    object: "user",
    description: "A user's profile, role, image or links changed, or signing in cancelled a scheduled deletion.",
  },
  "user.deletion_scheduled": { object: "user", description: "A user was scheduled for deletion (`scheduledDeletion`)." },
  "user.deleted": { object: "user", description: "A user's personal data was erased; the object is what remains." },
  "waitlist_entry.created": { object: "waitlist_entry", description: "Someone joined the waitlist." },
  "waitlist_entry.granted": { object: "waitlist_entry", description: "A waitlist entry was granted access." },
  "waitlist_entry.removed": { object: "waitlist_entry", description: "A waitlist entry was removed; the object is the entry as it was." },
  "webhook_endpoint.created": { object: "webhook_endpoint", description: "A webhook endpoint was created (never with its secret)." },
  "webhook_endpoint.updated": { object: "webhook_endpoint", description: "A webhook endpoint changed (URL, events, enabled, …)." },
  "webhook_endpoint.deleted": { object: "webhook_endpoint", description: "A webhook endpoint was deleted; the object is the endpoint as it was." },
} as const satisfies Record<string, { object: string; description: string }>;

export type EventType = keyof typeof EVENT_TYPE_LIST;
export type EventObjectType = (typeof EVENT_TYPE_LIST)[EventType]["object"];

export const EVENT_TYPES = Object.keys(EVENT_TYPE_LIST) as [EventType, ...EventType[]];

/** What a webhook endpoint may subscribe to: an event type, or `*` for every type. */
export const WILDCARD_EVENT = "*";
