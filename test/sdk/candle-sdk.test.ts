import type { AddressInfo } from "node:net";
import { createRequire } from "node:module";
import * as CandleModule from "@candle-so/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newId } from "../../src/lib/ids.js";
import { bearer, createTestContext, type TestContext, type TestPlatform, type TestUser } from "../helpers/app.js";
import { addCard, onboardSeller } from "../helpers/contracts.js";
import { PNG_1PX as PNG } from "../helpers/images.js";
import { codeOf, startSmtpServer } from "../helpers/smtp.js";

/**
 * The official SDK, `@candle-so/node` 1.0.29, driven method by method against this server on a real
 * HTTP listener: every method's happy path with ids that exist, and with well-formed ids that name
 * nothing (a 404 in the error envelope). The list of methods is read from the SDK object itself, so
 * a method the suite does not call fails it.
 *
 * The SDK has no base-URL option: in debug mode it calls `http://localhost:5000`, otherwise
 * `https://api.candle.so`. The suite listens on a free port and rewrites that origin in a request
 * interceptor on the SDK's own axios instance (the SDK calls axios's default export).
 */

// The SDK is CommonJS (`exports.default = Candle`): from ESM the class is `default.default` (or `default`, by another interop).
type CandleClassType = typeof CandleModule.default.default;
type Candle = InstanceType<CandleClassType>;
const CandleClass = [CandleModule.default.default, CandleModule.default as unknown].find(
  (c): c is CandleClassType => typeof (c as { init?: unknown } | undefined)?.init === "function",
)!;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;
type SdkResult = { status: number; data?: Json; error?: Json };

const SDK_DEBUG_ORIGIN = "http://localhost:5000";
const EXPECTED_METHOD_COUNT = 95;

let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
let t: TestContext;
let acme: TestPlatform;
let base: string;
let sdk: Candle;
let removeInterceptor: () => void;
/** Every `group.method` the SDK object has, and those the suite called. */
let methods: string[] = [];
const called = new Set<string>();
/** Requests that reached the server, by `METHOD /path`, and the content type of each DELETE. */
const received: string[] = [];
const deleteContentTypes: (string | undefined)[] = [];

let seller: TestUser;
let seller2: TestUser;
let buyer: TestUser;
let buyer2: TestUser;

beforeAll(async () => {
  smtp = await startSmtpServer();
  t = await createTestContext({ SMTP_URL: smtp.url, JOBS_WORKER: "true" });
  acme = await t.createPlatform({ name: "Acme", domain: "acme-sdk.test", feePercent: 2.5 });
  seller = await t.createUser(acme, "member");
  seller2 = await t.createUser(acme, "member");
  buyer = await t.createUser(acme, "member");
  buyer2 = await t.createUser(acme, "member");
  await t.app.listen({ port: 0, host: "127.0.0.1" });
  t.app.server.on("request", (request: { method?: string; url?: string; headers: Record<string, string | string[] | undefined> }) => {
    received.push(`${request.method} ${request.url?.split("?")[0]}`);
    if (request.method === "DELETE") deleteContentTypes.push(request.headers["content-type"] as string | undefined);
  });
  base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;

  // The axios module the SDK itself loads, resolved from the SDK's own location.
  const sdkRequire = createRequire(createRequire(import.meta.url).resolve("@candle-so/node"));
  const axios = sdkRequire("axios") as { interceptors: { request: { use(f: (c: { url?: string }) => unknown): number; eject(id: number): void } } };
  const id = axios.interceptors.request.use((config) => {
    if (config.url?.startsWith(`${SDK_DEBUG_ORIGIN}/`)) config.url = base + config.url.slice(SDK_DEBUG_ORIGIN.length);
    return config;
  });
  removeInterceptor = () => axios.interceptors.request.eject(id);

  const raw = CandleClass.init({ api_key: acme.apiKey, debug: true });
  methods = Object.entries(raw).flatMap(([group, value]) =>
    value && typeof value === "object"
      ? Object.entries(value as Record<string, unknown>)
          .filter(([, f]) => typeof f === "function")
          .map(([name]) => `${group}.${name}`)
      : [],
  );
  // Records each call, so the suite can tell which methods it covered.
  sdk = new Proxy(raw, {
    get(target, group: string) {
      const value = (target as unknown as Record<string, unknown>)[group];
      if (!value || typeof value !== "object") return value;
      return new Proxy(value as Record<string, unknown>, {
        get(g, name: string) {
          const f = g[name];
          if (typeof f !== "function") return f;
          return (...args: unknown[]) => {
            called.add(`${group}.${name}`);
            return (f as (...a: unknown[]) => unknown)(...args);
          };
        },
      });
    },
  }) as Candle;
});

afterAll(async () => {
  removeInterceptor?.();
  await t?.close();
  await smtp?.stop();
});

/** A successful SDK answer: `{ status, data }`; its data. */
function ok(res: SdkResult, status = 200): Json {
  expect(res.error, `${res.status} ${JSON.stringify(res.error)}`).toBeUndefined();
  expect(res.status).toBe(status);
  return res.data!;
}

/** The SDK's answer for an id that names nothing: `{ status: 404, error: <the error envelope> }`. */
function missing(res: SdkResult, param?: string): void {
  expect(res.status, JSON.stringify(res.error ?? res.data)).toBe(404);
  expect(res.error!.error).toMatchObject({ type: "invalid_request_error", code: "resource_missing", request_id: expect.any(String) });
  if (param) expect(res.error!.error.param).toBe(param);
}

const nothing = (kind: Parameters<typeof newId>[0]) => newId(kind);

/** Uploads an image the documented way (multipart, field `media`): the SDK's `uploadMedia` cannot in Node. */
async function uploadImage(): Promise<Json> {
  const form = new FormData();
  form.append("media", new Blob([PNG], { type: "image/png" }), "pixel.png");
  const res = await fetch(`${base}/v1/utils/media/upload`, { method: "POST", headers: { api_key: acme.apiKey, mode: "test" }, body: form });
  expect(res.status, await res.clone().text()).toBe(201);
  return (await res.json()) as Json;
}

describe("the SDK object", () => {
  it(`has ${EXPECTED_METHOD_COUNT} methods, read from the object itself`, () => {
    expect(methods).toHaveLength(EXPECTED_METHOD_COUNT);
    expect(new Set(methods).size).toBe(EXPECTED_METHOD_COUNT);
  });

  it("sends its requests to this server", async () => {
    const before = received.length;
    ok(await sdk.platforms.retrieveAPlatform());
    expect(received.slice(before)).toEqual(["GET /v1/platforms"]);
  });
});

describe("auth", () => {
  const email = "sdk-signin@example.com";
  let refreshToken: string;

  it("requestOtpViaEmail, verifyOTP: the session carries token and refreshToken", async () => {
    const before = smtp.messages.length;
    expect(ok(await sdk.auth.requestOtpViaEmail({ email }))).toMatchObject({ sent: true });
    const message = await smtp.waitFor(email, (m) => smtp.messages.indexOf(m) >= before && / sign-in code$/.test(m.subject));
    const session = ok(await sdk.auth.verifyOTP({ email, token: codeOf(message) }));
    expect(session).toMatchObject({ token: expect.any(String), refreshToken: expect.any(String), user: { email } });
    refreshToken = session.refreshToken;
    expect(ok(await sdk.users.retrieveUser(session.token))).toMatchObject({ email });
  });

  it("refreshSession", async () => {
    const session = ok(await sdk.auth.refreshSession({ refreshToken }));
    expect(session).toMatchObject({ token: expect.any(String), refreshToken: expect.any(String) });
    expect(session.refreshToken).not.toBe(refreshToken);
  });
});

describe("platforms", () => {
  it("getPlatformByDomain", async () => {
    expect(ok(await sdk.platforms.getPlatformByDomain("acme-sdk.test"))).toMatchObject({ id: acme.id, name: "Acme" });
    missing(await sdk.platforms.getPlatformByDomain("nothing-here.test"));
  });

  it("retrieveAPlatform", async () => {
    expect(ok(await sdk.platforms.retrieveAPlatform())).toMatchObject({ id: acme.id, mode: "test", name: "Acme", platformFee: 2.5 });
  });

  it("modifyPlatformById, with platformFee as the string the SDK's types ask for", async () => {
    const changed = ok(await sdk.platforms.modifyPlatformById(acme.id, { name: "Acme SDK", description: "Made by the SDK", platformFee: "3" }));
    expect(changed).toMatchObject({ id: acme.id, name: "Acme SDK", description: "Made by the SDK", platformFee: 3 });
    missing(await sdk.platforms.modifyPlatformById(nothing("platform"), { name: "X", description: "X", platformFee: "1" }));
  });

  it("uploadPlatformImage sends no file (the SDK posts `{}`): a 400 naming media_id; the documented upload works", async () => {
    const res = (await sdk.platforms.uploadPlatformImage(acme.id, new Blob([PNG]) as unknown as File)) as SdkResult;
    expect(res.status).toBe(400);
    expect(res.error!.error).toMatchObject({ code: "parameter_missing", param: "media_id" });
    // The same operation as documented: the media id of an upload.
    const media = await uploadImage();
    const done = await fetch(`${base}/v1/platforms/${acme.id}/image`, {
      method: "POST",
      headers: { api_key: acme.apiKey, mode: "test", "content-type": "application/json" },
      body: JSON.stringify({ media_id: media.id }),
    });
    expect(done.status).toBe(200);
    expect(((await done.json()) as Json).logo).toBe(media.url);
    const unknown = await fetch(`${base}/v1/platforms/${acme.id}/image`, {
      method: "POST",
      headers: { api_key: acme.apiKey, mode: "test", "content-type": "application/json" },
      body: JSON.stringify({ media_id: nothing("media") }),
    });
    expect(unknown.status).toBe(404);
    // Its request shape is refused before any lookup, whatever the id: the SDK sends no file and no media_id.
    const nowhere = (await sdk.platforms.uploadPlatformImage(nothing("platform"), new Blob([PNG]) as unknown as File)) as SdkResult;
    expect(nowhere.status).toBe(400);
    expect(nowhere.error!.error).toMatchObject({ code: "parameter_missing", param: "media_id" });
    const unknownPlatform = await fetch(`${base}/v1/platforms/${nothing("platform")}/image`, {
      method: "POST",
      headers: { api_key: acme.apiKey, mode: "test", "content-type": "application/json" },
      body: JSON.stringify({ media_id: media.id }),
    });
    expect(unknownPlatform.status).toBe(404);
  });

  it("checkCommunityMembership", async () => {
    expect(ok(await sdk.platforms.checkCommunityMembership(seller.id))).toMatchObject({ id: acme.id, membership: { role: "member" } });
    missing(await sdk.platforms.checkCommunityMembership(nothing("user")));
  });
});

describe("waitlists", () => {
  let entryId: string;

  it("addToWaitlist, countPeopleInTheWaitlist", async () => {
    const res = await sdk.waitlists.addToWaitlist({ email: "early@example.com" });
    const entry = ok(res, res.status === 201 ? 201 : 200);
    expect(entry).toMatchObject({ email: "early@example.com", position: 1, granted: null });
    entryId = entry.id;
    expect(ok(await sdk.waitlists.countPeopleInTheWaitlist())).toMatchObject({ count: 1, waiting: 1, granted: 0 });
  });

  it("grantAccessToPlatform", async () => {
    expect(ok(await sdk.waitlists.grantAccessToPlatform(entryId))).toMatchObject({ id: entryId, granted: expect.any(String) });
    missing(await sdk.waitlists.grantAccessToPlatform(nothing("waitlist")));
  });

  it("removeFromTheWaitlist", async () => {
    expect(ok(await sdk.waitlists.removeFromTheWaitlist(entryId))).toMatchObject({ id: entryId });
    missing(await sdk.waitlists.removeFromTheWaitlist(entryId));
  });
});

describe("users: the signed-in user", () => {
  let linkId: string;

  it("retrieveUser, modifyUser", async () => {
    expect(ok(await sdk.users.retrieveUser(buyer.token))).toMatchObject({ id: buyer.id, email: buyer.email, role: "member" });
    expect(ok(await sdk.users.modifyUser({ bio: "Buys things", firstName: "Bea" }, buyer.token))).toMatchObject({ id: buyer.id, bio: "Buys things", firstName: "Bea" });
  });

  it("addUserImage", async () => {
    const media = await uploadImage();
    expect(ok(await sdk.users.addUserImage({ media_id: media.id }, buyer.token))).toMatchObject({ id: buyer.id, image: media.url });
    missing(await sdk.users.addUserImage({ media_id: nothing("media") }, buyer.token), "media_id");
  });

  it("addUserLink, removeUserLink", async () => {
    const user = ok(await sdk.users.addUserLink({ label: "Site", url: "https://bea.example" }, buyer.token));
    expect(user.links).toEqual([{ id: expect.any(String), label: "Site", url: "https://bea.example" }]);
    linkId = user.links[0].id;
    expect(ok(await sdk.users.removeUserLink(linkId, buyer.token)).links).toEqual([]);
    missing(await sdk.users.removeUserLink(linkId, buyer.token));
  });

  it("connectUserBankAccount takes no parameters, even on a platform without a url", async () => {
    const user = ok(await sdk.users.connectUserBankAccount({}, seller.token));
    expect(user).toMatchObject({ id: seller.id, stripeConnectId: expect.stringMatching(/^acct_/), url: expect.stringContaining(t.config.publicUrl) });
    expect(user.bankAccount).toMatchObject({ id: user.stripeConnectId, user_id: seller.id });
  });

  it("setUserClientSecret, listUserPaymentMethods, setUserPaymentMethodAsDefault, removeUserPaymentMethod", async () => {
    const secret = ok(await sdk.users.setUserClientSecret(buyer.token));
    expect(secret).toMatchObject({ id: buyer.id, clientSecret: expect.any(String), setupIntentId: expect.any(String) });
    // What Stripe.js's confirmCardSetup does in the browser, played by the offline simulator.
    const confirmed = await t.request({
      method: "POST",
      url: `/offline/setup_intents/${secret.setupIntentId}/confirm`,
      payload: { client_secret: secret.clientSecret, payment_method: "pm_card_visa" },
    });
    expect(confirmed.statusCode, confirmed.body).toBe(200);
    // What the frontend does next: attach the confirmed payment method.
    const attached = await t.request({
      method: "POST",
      url: "/v1/users/auth/payment_methods",
      headers: bearer(buyer.token),
      payload: { payment_method: confirmed.json().payment_method },
    });
    expect(attached.statusCode, attached.body).toBe(200);
    await addCard(t, acme, buyer.id, "pm_card_mastercard");
    const listed = ok(await sdk.users.listUserPaymentMethods(buyer.token));
    const cards = listed.paymentMethods as Json[];
    expect(cards.length).toBeGreaterThanOrEqual(2);
    for (const card of cards) expect(card).toMatchObject({ id: expect.any(String), stripePaymentMethodId: expect.any(String), type: "card", isDefault: expect.any(Boolean) });
    const other = cards.find((c) => !c.isDefault)!;
    const defaulted = ok(await sdk.users.setUserPaymentMethodAsDefault(other.id, buyer.token));
    expect((defaulted.paymentMethods as Json[]).find((c) => c.id === other.id)!.isDefault).toBe(true);
    const spare = cards.find((c) => c.id !== other.id)!;
    const removed = ok(await sdk.users.removeUserPaymentMethod(spare.id, buyer.token));
    expect((removed.paymentMethods as Json[]).map((c) => c.id)).not.toContain(spare.id);
    missing(await sdk.users.removeUserPaymentMethod(spare.id, buyer.token));
    missing(await sdk.users.setUserPaymentMethodAsDefault(nothing("paymentMethod"), buyer.token));
  });

  it("scheduleUserForDeletion", async () => {
    const leaving = await t.createUser(acme, "member");
    expect(ok(await sdk.users.scheduleUserForDeletion(leaving.token))).toMatchObject({ id: leaving.id, scheduledDeletion: expect.any(String) });
  });
});

describe("users: by id, with the platform key", () => {
  let userId: string;
  let linkId: string;

  it("createUser, retrieveUserById, listUsers", async () => {
    const user = ok(await sdk.users.createUser({ email: "made-by-sdk@example.com", name: "Made" }), 201);
    expect(user).toMatchObject({ email: "made-by-sdk@example.com", name: "Made", role: "member" });
    userId = user.id;
    expect(ok(await sdk.users.retrieveUserById(userId))).toMatchObject({ id: userId, email: "made-by-sdk@example.com" });
    missing(await sdk.users.retrieveUserById(nothing("user")));
    const list = ok(await sdk.users.listUsers());
    expect((list.data as Json[]).map((u) => u.id)).toContain(userId);
  });

  it("modifyUserById (the key changes an email directly)", async () => {
    expect(ok(await sdk.users.modifyUserById(userId, { bio: "By key", email: "renamed-by-sdk@example.com" }))).toMatchObject({
      id: userId,
      bio: "By key",
      email: "renamed-by-sdk@example.com",
    });
    missing(await sdk.users.modifyUserById(nothing("user"), { bio: "x" }));
  });

  it("addUserImageById", async () => {
    const media = await uploadImage();
    expect(ok(await sdk.users.addUserImageById(userId, { media_id: media.id }))).toMatchObject({ id: userId, image: media.url });
    missing(await sdk.users.addUserImageById(nothing("user"), { media_id: media.id }));
  });

  it("addUserLinkById, removeUserLinkById", async () => {
    const user = ok(await sdk.users.addUserLinkById(userId, { label: "Shop", url: "https://shop.example" }));
    linkId = user.links[0].id;
    expect(ok(await sdk.users.removeUserLinkById(userId, linkId)).links).toEqual([]);
    missing(await sdk.users.removeUserLinkById(userId, linkId));
    missing(await sdk.users.addUserLinkById(nothing("user"), { label: "x", url: "https://x.example" }));
  });

  it("retrieveUserBankAccountById", async () => {
    await onboardSeller(t, acme, seller.id);
    await onboardSeller(t, acme, seller2.id);
    const user = ok(await sdk.users.retrieveUserBankAccountById(seller.id));
    expect(user.bankAccount).toMatchObject({ id: expect.stringMatching(/^acct_/), user_id: seller.id, chargesEnabled: true, detailsSubmitted: true });
    missing(await sdk.users.retrieveUserBankAccountById(nothing("user")));
  });

  it("listUserPaymentMethodsById, setUserPaymentMethodAsDefaultById, removeUserPaymentMethodById", async () => {
    await addCard(t, acme, buyer2.id, "pm_card_visa");
    await addCard(t, acme, buyer2.id, "pm_card_mastercard");
    const cards = ok(await sdk.users.listUserPaymentMethodsById(buyer2.id)).paymentMethods as Json[];
    expect(cards).toHaveLength(2);
    const other = cards.find((c) => !c.isDefault)!;
    const defaulted = ok(await sdk.users.setUserPaymentMethodAsDefaultById(buyer2.id, other.id));
    expect((defaulted.paymentMethods as Json[]).find((c) => c.id === other.id)!.isDefault).toBe(true);
    const spare = cards.find((c) => c.id !== other.id)!;
    expect((ok(await sdk.users.removeUserPaymentMethodById(buyer2.id, spare.id)).paymentMethods as Json[]).map((c) => c.id)).toEqual([other.id]);
    missing(await sdk.users.removeUserPaymentMethodById(buyer2.id, spare.id));
    missing(await sdk.users.setUserPaymentMethodAsDefaultById(nothing("user"), other.id));
    missing(await sdk.users.listUserPaymentMethodsById(nothing("user")));
  });

  it("scheduleUserForDeletionById", async () => {
    expect(ok(await sdk.users.scheduleUserForDeletionById(userId))).toMatchObject({ id: userId, scheduledDeletion: expect.any(String) });
    missing(await sdk.users.scheduleUserForDeletionById(nothing("user")));
  });
});

let productId: string;
let recurringId: string;

describe("products", () => {
  let priceId: string;

  it("createProduct, retrieveProductById, listProducts, listUserProducts, listProductCategories", async () => {
    const product = ok(await sdk.products.createProduct({ name: "Lesson", price: 5000, user_id: seller.id, category: "music" }), 201);
    expect(product).toMatchObject({ name: "Lesson", price: 5000, user_id: seller.id, currency: "usd", isEnabled: true });
    productId = product.id;
    recurringId = ok(await sdk.products.createProduct({ name: "Monthly lessons", price: 8000, user_id: seller.id, type: "service", cycle: "monthly" }), 201).id;
    missing(await sdk.products.createProduct({ name: "Nobody's", price: 100, user_id: nothing("user") }));
    expect(ok(await sdk.products.retrieveProductById(productId))).toMatchObject({ id: productId, name: "Lesson" });
    missing(await sdk.products.retrieveProductById(nothing("product")));
    expect((ok(await sdk.products.listProducts()).data as Json[]).map((p) => p.id)).toEqual(expect.arrayContaining([productId, recurringId]));
    expect((ok(await sdk.products.listUserProducts(seller.id)).data as Json[]).map((p) => p.id)).toEqual(expect.arrayContaining([productId, recurringId]));
    missing(await sdk.products.listUserProducts(nothing("user")));
    expect(JSON.stringify(ok(await sdk.products.listProductCategories()).data)).toContain("music");
  });

  it("modifyProductById", async () => {
    expect(ok(await sdk.products.modifyProductById(productId, { description: "One hour" }))).toMatchObject({ id: productId, description: "One hour" });
    missing(await sdk.products.modifyProductById(nothing("product"), { description: "x" }));
  });

  it("listProductPrices, addSeasonalPrice, setSeasonalPriceUsage, removeSeasonalPrice", async () => {
    expect(ok(await sdk.products.listProductPrices(productId))).toMatchObject({ product_id: productId, price: 5000, seasonalPrices: [] });
    missing(await sdk.products.listProductPrices(nothing("product")));
    const added = ok(await sdk.products.addSeasonalPrice(productId, { seasonStart: "2030-06-01T00:00:00Z", seasonEnd: "2030-09-01T00:00:00Z", price: 6000 }));
    const seasonal = (added.seasonalPrices as Json[])[0]!;
    expect(seasonal).toMatchObject({ id: expect.any(String), price: 6000 });
    priceId = seasonal.id;
    missing(await sdk.products.addSeasonalPrice(nothing("product"), { seasonStart: "2030-06-01T00:00:00Z", seasonEnd: "2030-09-01T00:00:00Z", price: 1 }));
    expect(ok(await sdk.products.setSeasonalPriceUsage(productId, { useSeasonalPrices: true }))).toMatchObject({ useSeasonalPrices: true });
    missing(await sdk.products.setSeasonalPriceUsage(nothing("product"), { useSeasonalPrices: true }));
    expect(ok(await sdk.products.removeSeasonalPrice(productId, priceId)).seasonalPrices).toEqual([]);
    missing(await sdk.products.removeSeasonalPrice(productId, priceId));
  });

  it("disableProduct, enableProduct", async () => {
    expect(ok(await sdk.products.disableProduct(productId))).toMatchObject({ id: productId, isEnabled: false });
    expect(ok(await sdk.products.enableProduct(productId))).toMatchObject({ id: productId, isEnabled: true });
    missing(await sdk.products.disableProduct(nothing("product")));
    missing(await sdk.products.enableProduct(nothing("product")));
  });

  it("deleteProduct", async () => {
    const doomed = ok(await sdk.products.createProduct({ name: "Doomed", price: 100, user_id: seller.id }), 201);
    expect(ok(await sdk.products.deleteProduct(doomed.id))).toMatchObject({ id: doomed.id });
    missing(await sdk.products.retrieveProductById(doomed.id));
    missing(await sdk.products.deleteProduct(doomed.id));
  });
});

let cartId: string;

describe("carts", () => {
  it("addProductToUserCart, retrieveUserCart, removeItemFromUserCart, clearUserCart", async () => {
    const cart = ok(await sdk.carts.addProductToUserCart(productId, { quantity: 2 }, buyer.token));
    expect(cart).toMatchObject({ user_id: buyer.id, total: 10000 });
    const item = (cart.items as Json[])[0]!;
    expect(item).toMatchObject({ id: expect.any(String), cart_id: cart.id, product_id: productId, quantity: 2, price: 5000 });
    missing(await sdk.carts.addProductToUserCart(nothing("product"), { quantity: 1 }, buyer.token));
    expect(ok(await sdk.carts.retrieveUserCart(buyer.token))).toMatchObject({ id: cart.id, items: [{ id: item.id }] });
    expect(ok(await sdk.carts.removeItemFromUserCart(item.id, buyer.token)).items).toEqual([]);
    missing(await sdk.carts.removeItemFromUserCart(item.id, buyer.token));
    ok(await sdk.carts.addProductToUserCart(productId, { quantity: 1 }, buyer.token));
    expect(ok(await sdk.carts.clearUserCart(buyer.token)).items).toEqual([]);
    cartId = ok(await sdk.carts.addProductToUserCart(productId, { quantity: 1 }, buyer.token)).id;
  });
});

let settledId: string;

describe("contracts", () => {
  let contractId: string;

  it("createContract, createContractFromCart", async () => {
    const contract = ok(await sdk.contracts.createContract({ items: [{ user_id: seller.id, price: 10000, description: "Work" }], buyers: [{ user_id: buyer.id }] }), 201);
    expect(contract).toMatchObject({ status: "draft", total: expect.any(Number), items: [{ user_id: seller.id, price: 10000 }], buyers: [{ user_id: buyer.id }] });
    contractId = contract.id;
    missing(await sdk.contracts.createContract({ items: [{ user_id: nothing("user"), price: 100 }] }));
    const fromCart = ok(await sdk.contracts.createContractFromCart(cartId, {}), 201);
    expect(fromCart).toMatchObject({ cart_id: cartId, items: [{ product_id: productId }], buyers: [{ user_id: buyer.id }] });
    missing(await sdk.contracts.createContractFromCart(nothing("cart"), {}));
  });

  it("retrieveContractById, listContracts, listContractsByBuyer, listContractsBySeller, listAuthenticatedUserContracts", async () => {
    expect(ok(await sdk.contracts.retrieveContractById(contractId))).toMatchObject({ id: contractId });
    missing(await sdk.contracts.retrieveContractById(nothing("contract")));
    expect((ok(await sdk.contracts.listContracts()).data as Json[]).map((c) => c.id)).toContain(contractId);
    expect((ok(await sdk.contracts.listContractsByBuyer(buyer.id)).data as Json[]).map((c) => c.id)).toContain(contractId);
    missing(await sdk.contracts.listContractsByBuyer(nothing("user")));
    expect((ok(await sdk.contracts.listContractsBySeller(seller.id)).data as Json[]).map((c) => c.id)).toContain(contractId);
    missing(await sdk.contracts.listContractsBySeller(nothing("user")));
    expect((ok(await sdk.contracts.listAuthenticatedUserContracts(buyer.token)).data as Json[]).map((c) => c.id)).toContain(contractId);
  });

  it("modifyContractById", async () => {
    expect(ok(await sdk.contracts.modifyContractById(contractId, { notes: "Thanks" }))).toMatchObject({ id: contractId, notes: "Thanks" });
    missing(await sdk.contracts.modifyContractById(nothing("contract"), { notes: "x" }));
  });

  it("addItemToContract, removeItemFromContract", async () => {
    const added = ok(await sdk.contracts.addItemToContract(contractId, { product_id: productId }));
    const item = (added.items as Json[]).find((i) => i.product_id === productId)!;
    expect(item).toMatchObject({ id: expect.any(String), contract_id: contractId, user_id: seller.id, quantity: 1, price: 5000, total: 5000 });
    missing(await sdk.contracts.addItemToContract(contractId, { product_id: nothing("product") }));
    missing(await sdk.contracts.addItemToContract(nothing("contract"), { user_id: seller.id, price: 100 }));
    expect((ok(await sdk.contracts.removeItemFromContract(contractId, item.id)).items as Json[]).map((i) => i.id)).not.toContain(item.id);
    missing(await sdk.contracts.removeItemFromContract(contractId, item.id));
  });

  it("addBuyerToContract, modifyBuyerDueAmount, removeBuyerFromContract", async () => {
    const added = ok(await sdk.contracts.addBuyerToContract(contractId, { user_id: buyer2.id }));
    const second = (added.buyers as Json[]).find((b) => b.user_id === buyer2.id)!;
    expect(second).toMatchObject({ id: expect.any(String), user_id: buyer2.id, email: buyer2.email, amountDue: expect.any(Number), amountPaid: 0 });
    missing(await sdk.contracts.addBuyerToContract(contractId, { user_id: nothing("user") }));
    missing(await sdk.contracts.addBuyerToContract(nothing("contract"), { user_id: buyer2.id }));
    // `:buyer_id` is the buyer's user id.
    const modified = ok(await sdk.contracts.modifyBuyerDueAmount(contractId, buyer2.id, { dueAmount: 2500 }));
    expect((modified.buyers as Json[]).find((b) => b.id === second.id)).toMatchObject({ amountDue: 2500 });
    missing(await sdk.contracts.modifyBuyerDueAmount(contractId, nothing("user"), { dueAmount: 1 }));
    missing(await sdk.contracts.modifyBuyerDueAmount(nothing("contract"), buyer2.id, { dueAmount: 1 }));
    expect((ok(await sdk.contracts.removeBuyerFromContract(contractId, buyer2.id)).buyers as Json[]).map((b) => b.user_id)).toEqual([buyer.id]);
    missing(await sdk.contracts.removeBuyerFromContract(contractId, buyer2.id));
  });

  it("addSellerToContract, modifySellerOwedAmount, removeSellerFromContract", async () => {
    const added = ok(await sdk.contracts.addSellerToContract(contractId, { user_id: seller2.id }));
    const second = (added.sellers as Json[]).find((s) => s.user_id === seller2.id)!;
    expect(second).toMatchObject({ id: expect.any(String), user_id: seller2.id, email: seller2.email, amountOwed: expect.any(Number), amountReceived: 0 });
    missing(await sdk.contracts.addSellerToContract(contractId, { user_id: nothing("user") }));
    // `:seller_id` is the seller's user id.
    const modified = ok(await sdk.contracts.modifySellerOwedAmount(contractId, seller2.id, { owedAmount: 1000 }));
    expect((modified.sellers as Json[]).find((s) => s.id === second.id)).toMatchObject({ amountOwed: 1000 });
    missing(await sdk.contracts.modifySellerOwedAmount(contractId, nothing("user"), { owedAmount: 1 }));
    expect((ok(await sdk.contracts.removeSellerFromContract(contractId, seller2.id)).sellers as Json[]).map((s) => s.user_id)).toEqual([seller.id]);
    missing(await sdk.contracts.removeSellerFromContract(contractId, seller2.id));
  });

  it("addFeeToContract, modifyContractFees, removeFeeFromContract, setFeeInclusion", async () => {
    const added = ok(await sdk.contracts.addFeeToContract(contractId, { amount: 300, description: "Booking" }));
    const fee = (added.fees as Json[]).find((f) => f.type === "custom")!;
    expect(fee).toMatchObject({ id: expect.any(String), type: "custom", amount: 300, description: "Booking" });
    missing(await sdk.contracts.addFeeToContract(nothing("contract"), { amount: 1 }));
    expect((ok(await sdk.contracts.modifyContractFees(contractId, fee.id, { amount: 400 })).fees as Json[]).find((f) => f.id === fee.id)).toMatchObject({ amount: 400 });
    missing(await sdk.contracts.modifyContractFees(contractId, nothing("fee"), { amount: 1 }));
    expect((ok(await sdk.contracts.removeFeeFromContract(contractId, fee.id)).fees as Json[]).map((f) => f.id)).not.toContain(fee.id);
    missing(await sdk.contracts.removeFeeFromContract(contractId, fee.id));
    expect(ok(await sdk.contracts.setFeeInclusion(contractId, { feeInclusion: true }))).toMatchObject({
      includeStripeFees: true,
      includeCandleFees: true,
      includePlatformFees: true,
    });
    missing(await sdk.contracts.setFeeInclusion(nothing("contract"), { feeInclusion: true }));
  });

  it("rebalanceAContract (PUT sync, as the SDK sends it)", async () => {
    expect(ok(await sdk.contracts.rebalanceAContract(contractId))).toMatchObject({ id: contractId });
    // Candle's docs say GET: both are served.
    const documented = await fetch(`${base}/v1/contracts/${contractId}/sync`, { headers: bearer(acme.apiKey) });
    expect(documented.status).toBe(200);
    missing(await sdk.contracts.rebalanceAContract(nothing("contract")));
  });

  it("sendContract, settleContract (with the platform key), then the transactions", async () => {
    expect(ok(await sdk.contracts.sendContract(contractId))).toMatchObject({ id: contractId, status: "open", sent: expect.any(String) });
    missing(await sdk.contracts.sendContract(nothing("contract")));
    const settled = await sdk.contracts.settleContract(contractId);
    expect(settled.error, JSON.stringify(settled.error)).toBeUndefined();
    expect([200, 202]).toContain(settled.status);
    expect(settled.data).toMatchObject({ id: contractId });
    missing(await sdk.contracts.settleContract(nothing("contract")));
    settledId = contractId;
    expect(ok(await sdk.contracts.retrieveContractById(contractId))).toMatchObject({ status: "paid" });
  });

  it("deleteContract", async () => {
    const draft = ok(await sdk.contracts.createContract({ items: [{ user_id: seller.id, price: 100 }] }), 201);
    expect(ok(await sdk.contracts.deleteContract(draft.id))).toMatchObject({ id: draft.id });
    missing(await sdk.contracts.deleteContract(draft.id));
  });
});

describe("transactions", () => {
  it("retrieveUsersRevenue, retrieveUserSpend", async () => {
    expect(settledId).toBeDefined();
    const revenue = ok(await sdk.transactions.retrieveUsersRevenue(seller.id));
    expect(revenue).toMatchObject({ user_id: seller.id, count: expect.any(Number), totals: expect.anything() });
    expect(revenue.count).toBeGreaterThan(0);
    missing(await sdk.transactions.retrieveUsersRevenue(nothing("user")));
    const spend = ok(await sdk.transactions.retrieveUserSpend(buyer.id));
    expect(spend).toMatchObject({ user_id: buyer.id });
    expect(spend.count).toBeGreaterThan(0);
    missing(await sdk.transactions.retrieveUserSpend(nothing("user")));
  });
});

describe("subscriptions", () => {
  let subscriptionId: string;

  it("createSubscriptionFromContract, listUserSubscriptions, retrieveSubscription", async () => {
    const contract = ok(await sdk.contracts.createContract({ items: [{ product_id: recurringId }], buyers: [{ user_id: buyer2.id }] }), 201);
    const res = await sdk.subscriptions.createSubscriptionFromContract(contract.id, {}, buyer2.token);
    const sub = ok(res, 201);
    expect(sub).toMatchObject({ user_id: buyer2.id, contract_id: contract.id, cycle: "monthly", isActive: true, isPaused: false });
    subscriptionId = sub.id;
    missing(await sdk.subscriptions.createSubscriptionFromContract(nothing("contract"), {}, buyer2.token));
    expect((ok(await sdk.subscriptions.listUserSubscriptions(buyer2.id)).data as Json[]).map((s) => s.id)).toContain(subscriptionId);
    missing(await sdk.subscriptions.listUserSubscriptions(nothing("user")));
    expect(ok(await sdk.subscriptions.retrieveSubscription(subscriptionId))).toMatchObject({ id: subscriptionId });
    missing(await sdk.subscriptions.retrieveSubscription(nothing("subscription")));
  });

  it("pauseSubscription, resumeSubscription, endSubscription", async () => {
    expect(ok(await sdk.subscriptions.pauseSubscription(subscriptionId))).toMatchObject({ id: subscriptionId, isPaused: true });
    missing(await sdk.subscriptions.pauseSubscription(nothing("subscription")));
    expect(ok(await sdk.subscriptions.resumeSubscription(subscriptionId, buyer2.token))).toMatchObject({ id: subscriptionId, isPaused: false });
    missing(await sdk.subscriptions.resumeSubscription(nothing("subscription"), buyer2.token));
    expect(ok(await sdk.subscriptions.endSubscription(subscriptionId, buyer2.token))).toMatchObject({ id: subscriptionId, isActive: false, ended: expect.any(String) });
    missing(await sdk.subscriptions.endSubscription(nothing("subscription"), buyer2.token));
  });
});

describe("calendars", () => {
  let eventId: string;
  const monday = { dayOfWeek: "monday", startTime: "09:00:00", endTime: "17:00:00" };

  it("setUserAvailability, modifyUserAvailability, retrieveUserAvailability, retrieveUserCalendar", async () => {
    const set = ok(await sdk.calendars.setUserAvailability({ availability: [monday] }, seller.token));
    expect(set).toMatchObject({ user_id: seller.id, availability: [{ id: expect.any(String), ...monday }] });
    const friday = { dayOfWeek: "friday", startTime: "10:00:00", endTime: "12:00:00" };
    expect(ok(await sdk.calendars.modifyUserAvailability({ availability: [monday, friday] }, seller.token)).availability).toHaveLength(2);
    expect(ok(await sdk.calendars.retrieveUserAvailability(seller.id))).toMatchObject({ user_id: seller.id, availability: [{ dayOfWeek: "monday" }, { dayOfWeek: "friday" }] });
    missing(await sdk.calendars.retrieveUserAvailability(nothing("user")));
    expect(ok(await sdk.calendars.retrieveUserCalendar(seller.token))).toMatchObject({ user_id: seller.id, events: expect.any(Array) });
  });

  it("addEventToCalendar, retrieveCalendarEvent, modifyCalendarEvent, removeCalendarEvent", async () => {
    const event = ok(await sdk.calendars.addEventToCalendar({ title: "Lesson", eventStart: "2030-01-07T10:00:00Z", eventEnd: "2030-01-07T11:00:00Z" }, seller.token), 201);
    expect(event).toMatchObject({ id: expect.any(String), user_id: seller.id, title: "Lesson", cancelled: false, attendees: [] });
    eventId = event.id;
    expect(ok(await sdk.calendars.retrieveCalendarEvent(eventId, seller.token))).toMatchObject({ id: eventId, title: "Lesson" });
    missing(await sdk.calendars.retrieveCalendarEvent(nothing("calendarEvent"), seller.token));
    expect(ok(await sdk.calendars.modifyCalendarEvent(eventId, { title: "Long lesson", eventEnd: "2030-01-07T12:00:00Z" }, seller.token))).toMatchObject({ title: "Long lesson" });
    missing(await sdk.calendars.modifyCalendarEvent(nothing("calendarEvent"), { title: "x" }, seller.token));
    expect(ok(await sdk.calendars.removeCalendarEvent(eventId, seller.token))).toMatchObject({ id: eventId });
    missing(await sdk.calendars.removeCalendarEvent(eventId, seller.token));
  });
});

describe("utils", () => {
  it("generateUsername, estimateFeeForANumber", async () => {
    expect(ok(await sdk.utils.generateUsername("Jane Doe"))).toMatchObject({ username: expect.stringMatching(/^[a-z0-9_]+$/), alternatives: expect.any(Array) });
    const fee = ok(await sdk.utils.estimateFeeForANumber(10000));
    expect(fee).toMatchObject({ amount: 10000, total: expect.any(Number), stripeFee: expect.any(Number), candleFee: expect.any(Number), platformFee: expect.any(Number) });
  });

  it("uploadMedia fails in Node before any request (axios 0.24 cannot send Node's FormData); the multipart upload it means works", async () => {
    const before = received.length;
    const outcome = await sdk.utils.uploadMedia(new Blob([PNG], { type: "image/png" })).then(
      (res: SdkResult) => ({ res }),
      (err: unknown) => ({ err }),
    );
    expect(received.slice(before).filter((r) => r.startsWith("POST /v1/utils/media/upload"))).toEqual([]);
    expect("err" in outcome || (outcome as { res: SdkResult }).res.status === undefined).toBe(true);
    expect(await uploadImage()).toMatchObject({ id: expect.any(String), url: expect.any(String), type: "image/png" });
  });
});

describe("coverage", () => {
  it("sent its DELETEs with the JSON content type and no body, and they were served", () => {
    expect(deleteContentTypes.length).toBeGreaterThan(10);
    expect(new Set(deleteContentTypes)).toEqual(new Set(["application/json"]));
  });

  it("called every method of the SDK", () => {
    expect(methods).toHaveLength(EXPECTED_METHOD_COUNT);
    expect(methods.filter((m) => !called.has(m))).toEqual([]);
  });
});
