import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, createTestContext, type TestContext, type TestPlatform, type TestUser } from "../helpers/app.js";
import { addCard, okContract, onboardSeller } from "../helpers/contracts.js";
import { freePort } from "../../scripts/lib/scratch-postgres.js";
import { launchBrowser } from "./console-world.js";

/**
 * A buyer-present checkout end to end in a real Chromium: the buyer's checkout answers
 * `requires_action`; the browser opens the authentication page it names (the offline simulator's
 * stand-in for Stripe's 3-D Secure page), presses Complete; the page's form delivers
 * `payment_intent.succeeded` through the Stripe webhook endpoint's path, and the contract is paid
 * by the job that webhook queued. The app listens on loopback with its job worker on.
 */

let t: TestContext;
let base: string;
let browser: Browser;
let acme: TestPlatform;
let seller: TestUser;

beforeAll(async () => {
  // Links the server hands out (the authentication page's) point at where it listens.
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  [t, browser] = await Promise.all([createTestContext({ JOBS_WORKER: "true", PUBLIC_URL: base }), launchBrowser()]);
  await t.app.listen({ port, host: "127.0.0.1" });
  acme = await t.createPlatform({ name: "Acme" });
  seller = await t.createUser(acme, "member");
  await onboardSeller(t, acme, seller.id);
});
afterAll(async () => {
  await browser?.close();
  await t?.close();
});

async function checkoutNeedingAuthentication() {
  const buyer = await t.createUser(acme, "member");
  await addCard(t, acme, buyer.id, "pm_card_authenticationRequired");
  const created = await t.request({
    method: "POST",
    url: "/v1/contracts",
    headers: bearer(acme.apiKey),
    payload: { items: [{ user_id: seller.id, price: 4200, description: "Guided tour" }], buyers: [{ user_id: buyer.id }] },
  });
  const id = okContract(created, 201).id as string;
  // The buyer's own checkout, over HTTP as their browser app would call it.
  const res = await fetch(`${base}/v1/contracts/${id}/checkout`, { method: "POST", headers: { ...bearer(buyer.token), "content-type": "application/json" }, body: "{}" });
  expect(res.status).toBe(202);
  const answer = (await res.json()) as Record<string, any>;
  expect(answer.payment.status).toBe("requires_action");
  expect(answer.contract.status).toBe("processing");
  return { id, url: answer.payment.next_action_url as string, amount: answer.payment.amount as number };
}

const status = async (id: string) => (await t.request({ method: "GET", url: `/v1/contracts/${id}`, headers: bearer(acme.apiKey) })).json().status as string;

describe("3-D Secure in a browser", () => {
  it("checkout → requires_action → the authentication page → Complete → webhook → the contract is paid", async () => {
    const { id, url, amount } = await checkoutNeedingAuthentication();
    expect(url.startsWith(`${base}/offline/payment_intents/`)).toBe(true);
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (err) => errors.push(err.message));
    await page.goto(url);
    await page.getByRole("heading", { name: "Authenticate your payment" }).waitFor();
    expect(await page.locator("#amount").textContent()).toContain((amount / 100).toFixed(2));
    await page.getByRole("button", { name: "Complete authentication" }).click();
    await page.getByRole("heading", { name: "Payment authenticated" }).waitFor();
    expect(await page.locator("#status").textContent()).toBe("succeeded");
    await page.close();
    expect(errors).toEqual([]);
    await expect.poll(() => status(id), { timeout: 15_000 }).toBe("paid");
  });

  it("Fail leaves the contract open for another try", async () => {
    const { id, url } = await checkoutNeedingAuthentication();
    const page = await browser.newPage();
    await page.goto(url);
    await page.getByRole("button", { name: "Fail authentication" }).click();
    await page.getByRole("heading", { name: "Authentication failed" }).waitFor();
    await page.close();
    expect(await status(id)).toBe("open");
  });
});
