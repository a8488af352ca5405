import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { notifyContract } from "../../src/modules/notifications/index.js";
import { bearer, createTestContext, type TestContext, type TestPlatform, type TestUser } from "../helpers/app.js";
import { addCard, okContract, onboardSeller } from "../helpers/contracts.js";
import { startSmtpServer, type ReceivedEmail } from "../helpers/smtp.js";

/**
 * Notification emails through the job worker and a real SMTP server: a new order and a payout to the
 * seller, a refund request to the seller, its decision and the refund to the buyer — each in the
 * platform's name and colours, plain text and HTML, with the platform's and users' words escaped.
 */

let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
/** Emails go through the job queue: on a loaded machine that takes its time, which is not what is tested. */
const WAIT = 120_000;
let t: TestContext;
let shop: TestPlatform;
let seller: TestUser;
let buyer: TestUser;

beforeAll(async () => {
  smtp = await startSmtpServer();
  t = await createTestContext({ SMTP_URL: smtp.url, JOBS_WORKER: "true" });
  shop = await t.createPlatform({ name: "Tom & Jerry's", url: "https://shop.test" });
  const branded = await t.request({
    method: "PUT",
    url: `/v1/platforms/${shop.id}`,
    headers: bearer(shop.apiKey),
    payload: { name: `Tom & Jerry's <b>Shop</b>`, brandColor: "#123456", accentColor: "#abcdef", logo: "https://shop.test/logo.png?a=1&b=2" },
  });
  expect(branded.statusCode, branded.body).toBe(200);
  expect(branded.json()).toMatchObject({ brandColor: "#123456", accentColor: "#abcdef", disputeFunds: "hold" });
  seller = await t.createUser(shop, "member", "sam@sellers.test");
  buyer = await t.createUser(shop, "member", "bea@buyers.test");
  await onboardSeller(t, shop, seller.id);
  await addCard(t, shop, buyer.id);
});
afterAll(async () => {
  await t.close();
  await smtp.stop();
});

/** The decoded parts of a received message (quoted-printable soft breaks joined). */
function decode(raw: string): string {
  const joined = raw.replace(/=\r?\n/g, "");
  const bytes: number[] = [];
  for (let i = 0; i < joined.length; i += 1) {
    const hex = joined[i] === "=" ? /^[0-9A-F]{2}/.exec(joined.slice(i + 1, i + 3)) : null;
    if (hex) {
      bytes.push(parseInt(hex[0], 16));
      i += 2;
    } else bytes.push(...Buffer.from(joined[i]!, "utf8"));
  }
  return Buffer.from(bytes).toString("utf8");
}

/** The message's whole subject (a long one is folded over lines). */
const subjectOf = (m: ReceivedEmail) => (/^Subject: (.*(?:\r?\n[ \t].*)*)/m.exec(m.raw)?.[1] ?? "").replace(/\r?\n[ \t]+/g, " ");

function expectBranded(m: ReceivedEmail) {
  const body = decode(m.raw);
  expect(body).toContain("text/plain");
  expect(body).toContain("text/html");
  // The platform's name is text: escaped in the HTML, never markup.
  expect(body).toContain("Tom &amp; Jerry&#39;s &lt;b&gt;Shop&lt;/b&gt;");
  expect(body).not.toContain("<b>Shop</b></td>");
  expect(body).toContain("background:#123456");
  expect(body).toContain("background:#abcdef");
  expect(body).toContain('src="https://shop.test/logo.png?a=1&amp;b=2"');
  expect(body).toContain("https://shop.test");
  return body;
}

async function paidContract(): Promise<{ id: string; itemId: string }> {
  const product = await t.request({
    method: "POST",
    url: "/v1/products",
    headers: bearer(shop.apiKey),
    payload: { user_id: seller.id, name: "Oak <chair>", price: 12_500, quantity: 10 },
  });
  expect(product.statusCode, product.body).toBe(201);
  const c = okContract(
    await t.request({
      method: "POST",
      url: "/v1/contracts",
      headers: bearer(shop.apiKey),
      payload: { items: [{ product_id: product.json().id, quantity: 1, description: "Oak <chair>" }], buyers: [{ user_id: buyer.id }] },
    }),
    201,
  );
  const settled = await t.request({ method: "PUT", url: `/v1/contracts/${c.id}/settle`, headers: bearer(shop.apiKey) });
  expect(settled.statusCode, settled.body).toBe(200);
  return { id: c.id as string, itemId: c.items[0].id as string };
}

describe("notifications", () => {
  it("a paid contract: the seller is emailed the new order and the payout, in the platform's colours", { timeout: 300_000 }, async () => {
    const c = await paidContract();
    const order = await smtp.waitFor(seller.email, (m) => subjectOf(m).includes(`New order ${c.id}`), WAIT);
    const body = expectBranded(order);
    expect(body).toContain("You have a new order");
    expect(body).toContain("- Oak <chair> × 1: 125.00 USD");
    expect(body).toContain("Oak &lt;chair&gt; × 1");
    const payout = await smtp.waitFor(seller.email, (m) => subjectOf(m).includes("Payout of") && decode(m.raw).includes(c.id), WAIT);
    expect(decode(payout.raw)).toContain("transferred to your payout account");
    // The buyer is not told of the seller's payout.
    expect(smtp.messages.filter((m) => m.to.includes(buyer.email) && subjectOf(m).includes("Payout"))).toHaveLength(0);
  });

  it("a refund request: the seller is told; declined, then approved — the buyer is told each time", { timeout: 400_000 }, async () => {
    const c = await paidContract();
    const asked = await t.request({
      method: "POST",
      url: `/v1/contracts/${c.id}/refund_requests`,
      headers: bearer(buyer.token),
      payload: { amount: 2_500, reason: "Wobbly <leg>" },
    });
    expect(asked.statusCode, asked.body).toBe(201);
    const toSeller = await smtp.waitFor(seller.email, (m) => subjectOf(m).includes(`Refund requested for order ${c.id}`), WAIT);
    expect(decode(toSeller.raw)).toContain("Their reason: Wobbly <leg>");
    expect(decode(toSeller.raw)).toContain("Their reason: Wobbly &lt;leg&gt;");

    const declined = await t.request({ method: "POST", url: `/v1/refund_requests/${asked.json().id}/decline`, headers: bearer(seller.token), payload: { reason: "Not faulty" } });
    expect(declined.statusCode, declined.body).toBe(200);
    const no = await smtp.waitFor(buyer.email, (m) => subjectOf(m).includes(`Refund request declined for order ${c.id}`), WAIT);
    expect(decode(no.raw)).toContain("Reason: Not faulty");

    const again = await t.request({ method: "POST", url: `/v1/contracts/${c.id}/refund_requests`, headers: bearer(buyer.token), payload: { items: [{ item_id: c.itemId }] } });
    expect(again.statusCode, again.body).toBe(201);
    const approved = await t.request({ method: "POST", url: `/v1/refund_requests/${again.json().id}/approve`, headers: bearer(seller.token) });
    expect(approved.statusCode, approved.body).toBe(200);
    const amount = (again.json().amount / 100).toFixed(2);
    const refunded = await smtp.waitFor(buyer.email, (m) => subjectOf(m).includes(`Refund of ${amount} USD`), WAIT);
    const body = expectBranded(refunded);
    expect(body).toContain(`of what you paid for order ${c.id} is on its way back`);
  });

  it("the lifecycle's hook: notifyContract(kind, contract) emails the buyers", { timeout: 300_000 }, async () => {
    const c = await paidContract();
    const queued = await t.db.$transaction((tx) => notifyContract(tx, { platformId: shop.id, mode: shop.mode, kind: "order.fulfilled", contractId: c.id }));
    expect(queued).toBe(1);
    const m = await smtp.waitFor(buyer.email, (x) => subjectOf(x).includes(`Order ${c.id} fulfilled`), WAIT);
    expectBranded(m);
    // Another platform's contract: nothing.
    expect(await t.db.$transaction((tx) => notifyContract(tx, { platformId: "plat_nope", mode: shop.mode, kind: "order.accepted", contractId: c.id }))).toBe(0);
  });
});
