import type { Role } from "../../src/generated/prisma/enums.js";
import { bearer, type TestContext, type TestPlatform, type TestUser } from "./app.js";
import { multipart, PNG_1PX } from "./images.js";
import { newId } from "../../src/lib/ids.js";
import { settleContract } from "./settlement.js";

/**
 * Real objects of every kind the API addresses by id, on one platform, made through the API itself
 * (or, for transactions, the way settlement writes them). The security suite creates one set on
 * each of several platforms and addresses one platform's objects with another's credentials.
 *
 * Objects that belong to "the signed-in user" (links, payment methods, calendar events, cart
 * items) belong to the platform's member, who is also the user of the `/users/:id/…` routes, so
 * every path the API accepts can be filled with objects that belong together.
 */

export const OBJECT_KINDS = [
  "platform",
  "user",
  "apiKey",
  "oauthApp",
  "userLink",
  "paymentMethod",
  "waitlistEntry",
  "collaborator",
  "media",
  "calendarEvent",
  "product",
  "productVariant",
  "seasonalPrice",
  "addOn",
  "category",
  "collection",
  "shippingRate",
  "cartItem",
  "transaction",
  "event",
  "webhookEndpoint",
  "webhookDelivery",
  "cart",
  "contract",
  "contractItem",
  "contractBuyer",
  "contractSeller",
  "contractFee",
  "subscription",
  "payout",
  "refundRequest",
] as const;
export type ObjectKind = (typeof OBJECT_KINDS)[number];

/** Objects made from another one, gone with it. */
const DEPENDENTS: Partial<Record<ObjectKind, ObjectKind[]>> = {
  product: ["productVariant", "seasonalPrice", "addOn", "cartItem"],
  productVariant: ["cartItem"],
  cart: ["cartItem"],
  contract: ["contractItem", "contractBuyer", "contractSeller", "contractFee"],
  webhookEndpoint: ["webhookDelivery"],
};

export interface PlatformWorld {
  platform: TestPlatform;
  /** A user of each role; `member` is the signed-in user of the `/auth` routes and the subject of `/users/:id`. */
  users: Record<Role, TestUser>;
  /** The id of an object of this kind (created on first use, then reused until spent). */
  id(kind: ObjectKind): Promise<string>;
  /** Forgets the object of this kind (a DELETE removed it): the next `id(kind)` makes a new one. */
  spend(kind: ObjectKind): void;
}

let sequence = 0;
const next = () => (sequence += 1);

async function call(t: TestContext, options: { method: string; url: string; headers: Record<string, string>; payload?: unknown }) {
  const res = await t.request({ method: options.method as "POST", url: options.url, headers: options.headers, payload: options.payload as never });
  if (res.statusCode >= 300) throw new Error(`fixture ${options.method} ${options.url} answered ${res.statusCode}: ${res.body}`);
  return res.json();
}

export async function createWorld(t: TestContext, input: { name: string; mode?: "test" | "live" }): Promise<PlatformWorld> {
  const platform = await t.createPlatform({ name: input.name, mode: input.mode ?? "test", url: "https://market.example" });
  const users = {
    owner: await t.createUser(platform, "owner"),
    admin: await t.createUser(platform, "admin"),
    editor: await t.createUser(platform, "editor"),
    member: await t.createUser(platform, "member"),
    // Without a collaborator record: every view permission false (fail closed), as a deleted collaborator's would be.
    collaborator: await t.createUser(platform, "collaborator"),
  } satisfies Record<Role, TestUser>;
  const key = bearer(platform.apiKey);
  const self = bearer(users.member.token);
  const made = new Map<ObjectKind, Promise<string>>();
  let availabilityOpen = false;
  let sellerOnboarded: Promise<void> | undefined;

  /** The editor sells: a Connect account that can receive transfers, through the offline onboarding page. */
  const onboardEditor = async () => {
    const created = await call(t, { method: "POST", url: `/v1/users/${users.editor.id}/bank_account`, headers: key, payload: { return_url: "https://market.example/payouts" } });
    const link = new URL(created.url as string);
    const page = await t.request({ method: "GET", url: `${link.pathname}${link.search}` });
    if (page.statusCode !== 302) throw new Error(`fixture onboarding page answered ${page.statusCode}: ${page.body}`);
    // Reading the account back records what Stripe now says of it (chargesEnabled).
    const account = await call(t, { method: "GET", url: `/v1/users/${users.editor.id}/bank_account`, headers: key });
    if (account.chargesEnabled !== true) throw new Error(`fixture seller not enabled: ${JSON.stringify(account)}`);
  };

  const makers: Record<ObjectKind, () => Promise<string>> = {
    platform: async () => platform.id,
    user: async () => users.member.id,
    collaborator: async () => {
      const n = next();
      const payload = { first_name: "Cole", last_name: `Laborator ${n}`, account_name: `Studio ${n}`, email: `collab${n}-${platform.id.slice(-6)}@example.com` };
      return (await call(t, { method: "POST", url: "/v1/collaborators", headers: key, payload })).id;
    },
    apiKey: async () => (await call(t, { method: "POST", url: `/v1/platforms/${platform.id}/keys`, headers: key, payload: { name: `extra ${next()}` } })).id,
    oauthApp: async () =>
      (
        await call(t, {
          method: "POST",
          url: `/v1/platforms/${platform.id}/apps`,
          headers: key,
          payload: { name: `App ${next()}`, redirect_uris: ["https://app.example.com/callback"], scopes: ["products:read"] },
        })
      ).id,
    userLink: async () => {
      const user = await call(t, { method: "POST", url: `/v1/users/${users.member.id}/link`, headers: key, payload: { label: `link ${next()}`, url: "https://example.com/me" } });
      return user.links.at(-1).id;
    },
    paymentMethod: async () =>
      (await call(t, { method: "POST", url: `/v1/users/${users.member.id}/payment_methods`, headers: key, payload: { payment_method: "pm_card_visa" } })).paymentMethod.id,
    waitlistEntry: async () => (await call(t, { method: "POST", url: "/v1/waitlists", headers: key, payload: { email: `waiting${next()}@example.com` } })).id,
    media: async () => {
      const upload = multipart("media", "pixel.png", PNG_1PX, "image/png");
      const res = await t.request({ method: "POST", url: "/v1/utils/media/upload", headers: { ...key, ...upload.headers }, payload: upload.payload });
      if (res.statusCode !== 201 && res.statusCode !== 200) throw new Error(`fixture media upload answered ${res.statusCode}: ${res.body}`);
      return res.json().id;
    },
    calendarEvent: async () => {
      if (!availabilityOpen) {
        const days = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];
        await call(t, {
          method: "PUT",
          url: "/v1/calendars/auth/availability",
          headers: self,
          payload: days.map((dayOfWeek) => ({ dayOfWeek, startTime: "00:00", endTime: "24:00" })),
        });
        availabilityOpen = true;
      }
      // A different hour for each event, so they never overlap.
      const start = new Date(Date.UTC(2031, 0, 1) + next() * 3_600_000);
      const end = new Date(start.getTime() + 1_800_000);
      const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, "Z");
      return (await call(t, { method: "POST", url: "/v1/calendars/auth/event", headers: self, payload: { title: "Fixture", eventStart: iso(start), eventEnd: iso(end) } })).id;
    },
    product: async () => (await call(t, { method: "POST", url: "/v1/products", headers: key, payload: { name: `Product ${next()}`, price: 1500, user_id: users.editor.id } })).id,
    productVariant: async () => {
      const parent = await world.id("product");
      return (await call(t, { method: "POST", url: "/v1/products", headers: key, payload: { name: `Variant ${next()}`, price: 1600, parent_product_id: parent } })).id;
    },
    seasonalPrice: async () => {
      const productId = await world.id("product");
      const year = 2040 + next();
      const prices = await call(t, {
        method: "POST",
        url: `/v1/products/${productId}/prices`,
        headers: key,
        payload: { seasonStart: `${year}-01-01T00:00:00Z`, seasonEnd: `${year}-02-01T00:00:00Z`, price: 1200 },
      });
      return prices.seasonalPrices.at(-1).id;
    },
    addOn: async () => {
      const productId = await world.id("product");
      return (await call(t, { method: "POST", url: `/v1/products/${productId}/add_ons`, headers: key, payload: { title: `Add-on ${next()}`, price: 250 } })).id;
    },
    category: async () => (await call(t, { method: "POST", url: "/v1/categories", headers: key, payload: { name: `Category ${next()}` } })).id,
    collection: async () =>
      (await call(t, { method: "POST", url: "/v1/collections", headers: key, payload: { title: `Collection ${next()}`, product_ids: [await world.id("product")] } })).id,
    shippingRate: async () => (await call(t, { method: "POST", url: "/v1/shipping_rates", headers: key, payload: { title: `Rate ${next()}`, kind: "flat", price: 500 } })).id,
    cartItem: async () => {
      // The product comes in variants (productVariant), so the cart holds the variant.
      const [productId, variantId] = [await world.id("product"), await world.id("productVariant")];
      const cart = await call(t, { method: "POST", url: `/v1/carts/auth/product/${productId}`, headers: self, payload: { quantity: 1, variant: variantId } });
      return cart.items.find((i: { product_id: string }) => i.product_id === variantId).id;
    },
    // Every change records an event; the platform's newest will do.
    event: async () => {
      await world.id("product");
      const events = await call(t, { method: "GET", url: "/v1/events?per_page=1", headers: key });
      return events.data[0].id;
    },
    // Needs WEBHOOKS_ALLOW_PRIVATE=true where nothing resolves public host names (tests have no DNS).
    webhookEndpoint: async () => (await call(t, { method: "POST", url: "/v1/webhooks", headers: key, payload: { url: `https://hooks.example.com/${next()}`, events: ["*"] } })).id,
    // A test event's delivery to the endpoint (pending: no worker sends it here).
    webhookDelivery: async () => (await call(t, { method: "POST", url: `/v1/webhooks/${await world.id("webhookEndpoint")}/test`, headers: key })).id,
    // The member's cart (made on first use).
    cart: async () => (await call(t, { method: "GET", url: "/v1/carts/auth", headers: self })).id,
    // A draft contract created by the owner: the editor sells a custom line to the member, with a custom fee.
    contract: async () =>
      (
        await call(t, {
          method: "POST",
          url: "/v1/contracts",
          headers: key,
          payload: {
            user_id: users.owner.id,
            items: [{ user_id: users.editor.id, price: 5_000, description: `Fixture work ${next()}` }],
            buyers: [{ user_id: users.member.id }],
            fees: [{ amount: 100, description: "Fixture fee" }],
          },
        })
      ).id,
    contractItem: async () => (await contractNow()).items[0].id,
    // Buyer and seller path ids are user ids.
    contractBuyer: async () => (await contractNow()).buyers[0].user_id,
    contractSeller: async () => (await contractNow()).sellers[0].user_id,
    contractFee: async () => (await contractNow()).fees.find((f: { type: string }) => f.type === "custom").id,
    // The member subscribes to a contract of its own (a subscription ties its contract up), paying with a
    // default test card, the editor selling.
    subscription: async () => {
      sellerOnboarded ??= onboardEditor();
      await sellerOnboarded;
      const card = await world.id("paymentMethod");
      await call(t, { method: "PUT", url: `/v1/users/${users.member.id}/payment_methods/${card}/default`, headers: key });
      const contract = await call(t, {
        method: "POST",
        url: "/v1/contracts",
        headers: key,
        payload: { user_id: users.owner.id, items: [{ user_id: users.editor.id, price: 5_000, description: `Fixture plan ${next()}` }], buyers: [{ user_id: users.member.id }] },
      });
      return (await call(t, { method: "POST", url: `/v1/subscriptions/auth/contract/${contract.id}`, headers: self })).id;
    },
    // A payout to the editor's bank, as the `payout.*` webhook of their Connect account records it.
    payout: async () => {
      const row = await t.db.payout.create({
        data: {
          id: newId("payout"),
          platformId: platform.id,
          mode: platform.mode,
          userId: users.editor.id,
          stripePayoutId: `po_fixture${next()}`,
          stripeAccountId: "acct_fixture",
          amount: 1_000,
          currency: "usd",
          status: "paid",
          automatic: true,
          arrivalDate: new Date(),
        },
      });
      return row.id;
    },
    transaction: async () => {
      const settled = await settleContract(t, platform, { buyers: [{ userId: users.member.id, amount: 10_000 }], sellers: [{ userId: users.editor.id, weight: 1 }] });
      return settled.charges[0]!.id;
    },
    refundRequest: async () => {
      const settled = await settleContract(t, platform, { buyers: [{ userId: users.member.id, amount: 10_000 }], sellers: [{ userId: users.editor.id, weight: 1 }] });
      return (await call(t, { method: "POST", url: `/v1/contracts/${settled.contractId}/refund_requests`, headers: self, payload: { amount: 100 } })).id;
    },
  };

  const contractNow = async () => call(t, { method: "GET", url: `/v1/contracts/${await world.id("contract")}`, headers: key });

  const world: PlatformWorld = {
    platform,
    users,
    id(kind) {
      let made_ = made.get(kind);
      if (!made_) {
        made_ = makers[kind]();
        made.set(kind, made_);
        made_.catch(() => made.delete(kind));
      }
      return made_;
    },
    spend(kind) {
      if (kind === "platform" || kind === "user") return;
      made.delete(kind);
      for (const dependent of DEPENDENTS[kind] ?? []) world.spend(dependent);
    },
  };
  return world;
}
