import { randomBytes } from "node:crypto";

/**
 * Documented id prefixes. An id is `<prefix>_` + 32 hex characters of a UUIDv7, so ids sort by
 * creation time (good for b-tree locality and for `sort=created` ties).
 */
export const ID_PREFIXES = {
  platform: "plat",
  apiKey: "key",
  membership: "mem",
  user: "user",
  link: "link",
  paymentMethod: "pmeth",
  otp: "otp",
  refreshToken: "rtok",
  waitlist: "wlist",
  collaborator: "collab",
  media: "media",
  product: "prod",
  seasonalPrice: "sprice",
  addOn: "addon",
  metafield: "mf",
  category: "cat",
  collection: "coll",
  cart: "cart",
  cartItem: "citem",
  contract: "inv",
  contractItem: "item",
  buyer: "buyer",
  seller: "seller",
  fee: "fee",
  shippingRate: "shiprate",
  contractShipping: "ship",
  subscription: "subs",
  subscriptionCharge: "subch",
  calendar: "cal",
  availability: "avail",
  calendarEvent: "calev",
  booking: "book",
  attendee: "attnd",
  googleConnection: "gcal",
  busyTime: "busy",
  transaction: "tran",
  payout: "pout",
  payoutSetting: "poset",
  refundRequest: "rfreq",
  event: "evt",
  webhook: "we",
  webhookDelivery: "whdel",
  idempotency: "idem",
  oauthApp: "app",
  request: "req",
} as const;

export type IdKind = keyof typeof ID_PREFIXES;

let lastMs = 0;
let seq = 0;

/** A UUIDv7 as 32 hex characters (RFC 9562). Monotonic within a process. */
export function uuidv7Hex(now: number = Date.now()): string {
  // Within one millisecond, a 12-bit counter in rand_a keeps ids ordered.
  if (now <= lastMs) {
    seq += 1;
    if (seq > 0xfff) {
      lastMs += 1;
      seq = 0;
    }
  } else {
    lastMs = now;
    seq = 0;
  }
  const bytes = randomBytes(16);
  const ms = lastMs;
  bytes[0] = Math.floor(ms / 2 ** 40) & 0xff;
  bytes[1] = Math.floor(ms / 2 ** 32) & 0xff;
  bytes[2] = (ms >>> 24) & 0xff;
  bytes[3] = (ms >>> 16) & 0xff;
  bytes[4] = (ms >>> 8) & 0xff;
  bytes[5] = ms & 0xff;
  bytes[6] = 0x70 | ((seq >>> 8) & 0x0f);
  bytes[7] = seq & 0xff;
  bytes[8] = 0x80 | (bytes[8]! & 0x3f);
  return bytes.toString("hex");
}

export function newId(kind: IdKind): string {
  return `${ID_PREFIXES[kind]}_${uuidv7Hex()}`;
}

/** True when `value` looks like an id of this kind; a cheap pre-check before touching the DB. */
export function isId(kind: IdKind, value: string): boolean {
  const prefix = ID_PREFIXES[kind];
  return value.length === prefix.length + 33 && value.startsWith(`${prefix}_`) && /^[0-9a-f]{32}$/.test(value.slice(prefix.length + 1));
}
