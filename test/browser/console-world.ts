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

  // Independent set-up runs side by side (the file's time is mostly this).
  const people = await Promise.all(
    (
      [
        ["owner", "olivia", "Olivia Owner"],
        ["admin", "arthur", "Arthur Admin"],
        ["member", "ada", "Ada Buyer"],
        ["member", "sam", "Sam Seller"],
        ["member", "mia", "Mia Member"],
        ["member", "ben", "Ben Buyer"],
      ] as const
    ).map(async ([role, username, fullName]) => {
      const user = await t.createUser(platform, role, `${username}@lakeside.test`);
      await call("PUT", `/v1/users/${user.id}`, { name: fullName, username });
      return user;
    }),
  );
  const [owner, admin, buyer, seller, mia, other] = people as [TestUser, TestUser, TestUser, TestUser, TestUser, TestUser];
  const [webhook, cabin, kayak] = await Promise.all([
    call("POST", "/v1/webhooks", { url: `${receiver.url}/candle`, events: ["contract.paid", "transaction.updated"], name: "Back office" }),
    call("POST", "/v1/products", { user_id: seller.id, name: "Lake cabin", description: "Two nights by the lake", price: 12000, quantity: 5, type: "service", category: "Stays" }),
    call("POST", "/v1/products", { user_id: seller.id, name: "Kayak rental", price: 3500, quantity: 12, category: "Gear" }),
    call("POST", "/v1/products", { user_id: seller.id, name: "Guided hike", price: 4500, category: "Tours" }),
    addCard(t, platform, buyer.id),
    addCard(t, platform, other.id),
    onboardSeller(t, platform, seller.id),
  ]);

  // History for the charts: a contract Ben paid (settled by the key), and a monthly subscription.
  const paid = await call("POST", "/v1/contracts", { user_id: owner.id, buyers: [{ user_id: other.id }], items: [{ product_id: kayak.id, quantity: 2 }] });
  await call("PUT", `/v1/contracts/${paid.id}/settle`);
  await call("PUT", `/v1/products/${kayak.id}/disable`);
  const terms = await call("POST", "/v1/contracts", {
    user_id: owner.id,
    buyers: [{ user_id: other.id }],
    items: [{ user_id: seller.id, price: 2500, description: "Boat mooring, monthly" }],
  });
  await call("POST", `/v1/subscriptions/auth/contract/${terms.id}`, { cycle: "monthly" }, bearer(other.token));

  // The contract the journeys settle and refund.
  const open = await call("POST", "/v1/contracts", { user_id: owner.id, notes: "Summer stay", buyers: [{ user_id: buyer.id }], items: [{ product_id: cabin.id, quantity: 1 }] });
  await call("POST", `/v1/contracts/${open.id}/send`);
  await call("POST", "/v1/contracts", { user_id: owner.id, buyers: [{ user_id: other.id }], items: [{ user_id: seller.id, price: 9900, description: "Canoe lessons" }] });

  // Listing review on from here: the seller's next listings wait in the moderation queue.
  await call("PUT", `/v1/platforms/${platform.id}`, { requireListingReview: true });
  for (const name of ["Canoe paddle", "Fishing rod", "Camp stove"]) await call("POST", "/v1/products", { name, price: 1500, category: "Gear" }, bearer(seller.token));

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
