import fs from "node:fs";
import path from "node:path";
import type { AddressInfo } from "node:net";
import { chromium, type Browser } from "playwright-core";
import { expect } from "vitest";
import { bearer, createTestContext, type TestContext, type TestPlatform, type TestUser } from "../helpers/app.js";
import { addCard, onboardSeller } from "../helpers/contracts.js";
import { startReceiver, type Receiver } from "../helpers/receiver.js";
import { startSmtpServer } from "../helpers/smtp.js";

/**
 * A marketplace for the console's browser tests: the real app listening on loopback (job worker on,
 * so emails and webhooks go out), a real SMTP server for sign-in codes, a real webhook receiver, and
 * a platform with people, products, contracts, a subscription and a waitlist — all made through
 * the API, as an operator's platform would have them.
 */

/** Debian's headless Chromium (`chromium-headless-shell`), or its full `chromium`; CHROMIUM_PATH wins. */
export function chromiumPath(): string {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  const dirs = (process.env.PATH ?? "").split(path.delimiter).filter(Boolean);
  const candidates = ["chromium-headless-shell", "chromium"].flatMap((name) => dirs.map((dir) => path.join(dir, name)));
  const found = candidates.find((p) => fs.existsSync(p));
  if (!found) throw new Error("No Chromium: install Debian's chromium-headless-shell (npm test does, as root) or set CHROMIUM_PATH.");
  return found;
}

export function launchBrowser(): Promise<Browser> {
  // --no-sandbox: the tests run as root in a container, where Chromium's sandbox cannot start.
  return chromium.launch({ executablePath: chromiumPath(), args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"] });
}

export interface ConsoleWorld {
  t: TestContext;
  base: string;
  smtp: Awaited<ReturnType<typeof startSmtpServer>>;
  receiver: Receiver;
  platform: TestPlatform & { name: string };
  owner: TestUser;
  admin: TestUser;
  buyer: TestUser;
  seller: TestUser;
  mia: TestUser;
  /** An open contract, ready to settle: one buyer with a card, one onboarded seller. */
  openContractId: string;
  webhookId: string;
  close(): Promise<void>;
}

export async function createConsoleWorld(): Promise<ConsoleWorld> {
  const smtp = await startSmtpServer();
  const receiver = await startReceiver();
  const t = await createTestContext({
    SMTP_URL: smtp.url,
    JOBS_WORKER: "true",
    WEBHOOKS_ALLOW_PRIVATE: "true",
    WEBHOOK_RETRY_BASE: "1",
    WEBHOOK_TIMEOUT: "2000",
  });
  await t.app.listen({ port: 0, host: "127.0.0.1" });
  const base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;

  const name = "Lakeside Market";
  const platform = { ...(await t.createPlatform({ name, feePercent: 2.5, domain: "lakeside.test", url: "https://lakeside.test" })), name };
  const key = bearer(platform.apiKey);
  const call = async (method: string, url: string, payload?: unknown, headers = key) => {
    const res = await t.request({ method: method as "GET", url, headers, payload: payload as Record<string, unknown> });
    expect(res.statusCode, `${method} ${url}: ${res.body}`).toBeLessThan(300);
    return res.json();
  };

  const owner = await t.createUser(platform, "owner", "olivia@lakeside.test");
  const admin = await t.createUser(platform, "admin", "arthur@lakeside.test");
  const buyer = await t.createUser(platform, "member", "ada@lakeside.test");
  const seller = await t.createUser(platform, "member", "sam@lakeside.test");
  const mia = await t.createUser(platform, "member", "mia@lakeside.test");
  const other = await t.createUser(platform, "member", "ben@lakeside.test");
  for (const [user, fullName, username] of [
    [owner, "Olivia Owner", "olivia"],
    [admin, "Arthur Admin", "arthur"],
    [buyer, "Ada Buyer", "ada"],
    [seller, "Sam Seller", "sam"],
    [mia, "Mia Member", "mia"],
    [other, "Ben Buyer", "ben"],
  ] as const) {
    await call("PUT", `/v1/users/${user.id}`, { name: fullName, username });
  }
  await addCard(t, platform, buyer.id);
  await addCard(t, platform, other.id);
  await onboardSeller(t, platform, seller.id);

  const webhook = await call("POST", "/v1/webhooks", { url: `${receiver.url}/candle`, events: ["contract.paid", "transaction.updated"], name: "Back office" });

  const cabin = await call("POST", "/v1/products", { user_id: seller.id, name: "Lake cabin", description: "Two nights by the lake", price: 12000, quantity: 5, type: "service", category: "Stays" });
  const kayak = await call("POST", "/v1/products", { user_id: seller.id, name: "Kayak rental", price: 3500, quantity: 12, category: "Gear" });
  await call("POST", "/v1/products", { user_id: seller.id, name: "Guided hike", price: 4500, category: "Tours" });

  // History for the charts: a contract Ben paid (settled by the key), and a monthly subscription.
  const paid = await call("POST", "/v1/contracts", { user_id: owner.id, buyers: [{ user_id: other.id }], items: [{ product_id: kayak.id, quantity: 2 }] });
  await call("PUT", `/v1/contracts/${paid.id}/settle`);
  await call("PUT", `/v1/products/${kayak.id}/disable`);
  const terms = await call("POST", "/v1/contracts", { user_id: owner.id, buyers: [{ user_id: other.id }], items: [{ user_id: seller.id, price: 2500, description: "Boat mooring, monthly" }] });
  await call("POST", `/v1/subscriptions/auth/contract/${terms.id}`, { cycle: "monthly" }, bearer(other.token));

  // The contract the journeys settle and refund.
  const open = await call("POST", "/v1/contracts", { user_id: owner.id, notes: "Summer stay", buyers: [{ user_id: buyer.id }], items: [{ product_id: cabin.id, quantity: 1 }] });
  await call("POST", `/v1/contracts/${open.id}/send`);
  await call("POST", "/v1/contracts", { user_id: owner.id, buyers: [{ user_id: other.id }], items: [{ user_id: seller.id, price: 9900, description: "Canoe lessons" }] });

  for (const [email, person] of [
    ["early@example.com", "Early Bird"],
    ["second@example.com", "Second Comer"],
    ["third@example.com", undefined],
  ] as const) {
    await call("POST", "/v1/waitlists", { email, ...(person ? { name: person } : {}) });
  }

  return {
    t,
    base,
    smtp,
    receiver,
    platform,
    owner,
    admin,
    buyer,
    seller,
    mia,
    openContractId: open.id,
    webhookId: webhook.id,
    async close() {
      await t.close();
      await receiver.close();
      await smtp.stop();
    },
  };
}
