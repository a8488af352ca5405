import fs from "node:fs/promises";
import path from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer } from "../helpers/app.js";
import { codeOf } from "../helpers/smtp.js";
import { createConsoleWorld, launchBrowser, type ConsoleWorld } from "./console-world.js";

/**
 * The operator console (/console) in a real Chromium, through an operator's journeys: sign in with
 * an emailed code, find a user and change their role, settle a contract, refund it, see its event
 * and its webhook delivery, read a chart. Everything the page shows came from the public API; the
 * checks read the outcome back from the API too.
 *
 * With CONSOLE_SCREENSHOTS=<dir> (`npm run console:screenshots`), the last test saves a picture of
 * every page there (docs/console/ in the repository).
 */

let world: ConsoleWorld;
let browser: Browser;
let context: BrowserContext;
let page: Page;
/** What the page logged as an error (a CSP violation, an uncaught exception): none is expected. */
const pageErrors: string[] = [];

beforeAll(async () => {
  [world, browser] = await Promise.all([createConsoleWorld(), launchBrowser()]);
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.on("pageerror", (err) => pageErrors.push(`pageerror: ${err.message}`));
  page.on("console", (msg) => {
    // A refused API call is logged by Chromium as a failed resource; those are expected answers.
    if (msg.type() === "error" && !/status of [45]\d\d/.test(msg.text())) pageErrors.push(`console: ${msg.text()}`);
  });
  page.on("dialog", (dialog) => void dialog.accept());
});

afterAll(async () => {
  await browser?.close();
  await world?.close();
});

const heading = (name: string | RegExp) => page.getByRole("heading", { level: 1, name });
const api = (method: string, url: string) => world.t.request({ method: method as "GET", url, headers: bearer(world.platform.apiKey) });

async function go(link: string, title: string | RegExp) {
  await page.getByRole("navigation", { name: "Console" }).getByRole("link", { name: link, exact: true }).click();
  await heading(title).waitFor();
}

describe("the console page", () => {
  it("is served with a strict content security policy, and names every file it loads", async () => {
    const res = await fetch(`${world.base}/console`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    const csp = res.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain("unsafe");
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    for (const file of ["console.css", "app.js", "api.js", "ui.js", "pages.js"]) {
      const asset = await fetch(`${world.base}/console/${file}`);
      expect(asset.status, file).toBe(200);
      expect(asset.headers.get("content-security-policy"), file).toContain("default-src 'none'");
    }
  });
});

describe("an owner's journeys", () => {
  it("signs in with a code emailed to them", async () => {
    await page.goto(`${world.base}/console?platform=${world.platform.id}`);
    await heading("Sign in to the console").waitFor();
    await expect.poll(() => page.getByLabel("Platform ID").inputValue(), { timeout: 15_000 }).toBe(world.platform.id);
    await page.getByLabel("Email", { exact: true }).fill(world.owner.email);
    await page.getByRole("button", { name: "Email me a code" }).click();
    const code = codeOf(await world.smtp.waitFor(world.owner.email, (m) => / sign-in code$/.test(m.subject)));
    await page.getByLabel("Code from the email").fill(code);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await heading("Platform settings").waitFor();
    await expect(page.locator("#platform-name").textContent()).resolves.toBe(world.platform.name);
    await expect(page.locator("#who-name").textContent()).resolves.toContain(`${world.owner.email} (owner)`);
    // The token is kept in this tab's sessionStorage only.
    const stored = await page.evaluate(() => sessionStorage.getItem("candle-console-session"));
    expect(JSON.parse(stored!).kind).toBe("user");
    expect(await context.cookies()).toEqual([]);
  });

  it("finds a user and changes their role", async () => {
    await go("Users", "Users");
    await page.getByLabel("Search").fill("mia");
    await page.getByRole("button", { name: "Search" }).click();
    const row = page.getByRole("link", { name: world.mia.email });
    await row.click();
    await heading(world.mia.email).waitFor();
    await page.getByLabel("Role", { exact: true }).selectOption("editor");
    await page.getByRole("button", { name: "Change role" }).click();
    await page.getByText("Role is now editor.").waitFor();
    expect((await api("GET", `/v1/users/${world.mia.id}`)).json().role).toBe("editor");
  });

  it("suspends that user, and lifts the suspension", async () => {
    await page.getByRole("button", { name: "Suspend", exact: true }).click();
    await page
      .locator(".facts")
      .getByText(/^since /)
      .waitFor();
    const suspended = (await api("GET", `/v1/users/${world.mia.id}`)).json();
    expect(suspended.suspended).toMatch(/Z$/);
    // The suspended user's own session is refused by the API from now on.
    const theirs = await world.t.request({ method: "GET", url: "/v1/users/auth", headers: bearer(world.mia.token) });
    expect(theirs.statusCode).toBe(403);
    await go("Users", "Users");
    await page.getByLabel("Suspension").selectOption("true");
    await page.getByRole("button", { name: "Search" }).click();
    await page.getByRole("link", { name: world.mia.email }).click();
    await heading(world.mia.email).waitFor();
    await page.getByRole("button", { name: "Unsuspend", exact: true }).click();
    await page.getByRole("button", { name: "Suspend", exact: true }).waitFor();
    expect((await api("GET", `/v1/users/${world.mia.id}`)).json().suspended).toBeNull();
    const types = (await api("GET", `/v1/events?filter[object_id]=${world.mia.id}`)).json().data.map((e: { type: string }) => e.type);
    expect(types).toEqual(expect.arrayContaining(["user.suspended", "user.unsuspended"]));
  });

  it("settles an open contract", async () => {
    await go("Contracts", "Contracts");
    await page.getByLabel("Status").selectOption("open");
    await page.getByRole("button", { name: "Filter" }).click();
    await page.getByRole("link", { name: world.openContractId }).click();
    await heading(`Contract ${world.openContractId}`).waitFor();
    await page.getByRole("button", { name: "Settle", exact: true }).click();
    // The page is drawn again from the API: paid, and the buyer's payment is listed.
    await page.locator(".facts").getByText("paid", { exact: true }).waitFor();
    const contract = (await api("GET", `/v1/contracts/${world.openContractId}`)).json();
    expect(contract.status).toBe("paid");
    await page.getByRole("region", { name: "Payments" }).getByText("incoming").waitFor();
  });

  it("refunds part of its payment", async () => {
    const payments = page.getByRole("region", { name: "Payments" });
    await payments.getByRole("spinbutton").fill("2500");
    await payments.getByRole("button", { name: "Refund" }).click();
    await page.getByText(/^Refunded \$25\.00/).waitFor();
    await page.getByRole("region", { name: "Refunds" }).getByText("incoming:refund").waitFor();
    const refunds = (await api("GET", `/v1/transactions?filter[contract_id]=${world.openContractId}&filter[type]=incoming:refund`)).json();
    expect(refunds.data.map((r: { amount: number }) => r.amount)).toEqual([2500]);
  });

  it("sees the contract's events and the webhook delivery of contract.paid", async () => {
    const history = page.getByRole("region", { name: "Events of this contract" });
    await history.getByText("contract.paid", { exact: true }).waitFor();
    await history.getByText("contract.sent", { exact: true }).waitFor();
    await world.receiver.waitFor(1, (r) => r.headers["candle-event-type"] === "contract.paid" && r.body.includes(world.openContractId));

    await go("Webhooks", "Webhook endpoints");
    await page.getByRole("link", { name: "Back office" }).click();
    await heading("Back office").waitFor();
    const deliveries = page.getByRole("region", { name: /^Deliveries/ });
    // The delivery's record is written once the receiver answered: the page shows it when the API has it.
    await expect
      .poll(
        async () => {
          await page.reload();
          await heading("Back office").waitFor();
          return deliveries.locator("tr", { hasText: "contract.paid" }).filter({ hasText: "succeeded" }).count();
        },
        { timeout: 20_000, interval: 250 },
      )
      .toBeGreaterThan(0);

    // Resend it: the receiver gets contract.paid a second time.
    const event = (await api("GET", `/v1/events?filter[object_id]=${world.openContractId}&filter[type]=contract.paid`)).json().data[0];
    const delivery = (await api("GET", `/v1/webhooks/${world.webhookId}/deliveries?per_page=100`)).json().data.find((d: { event_id: string }) => d.event_id === event.id);
    await deliveries.getByRole("button", { name: `Resend delivery ${delivery.id} (contract.paid)` }).click();
    await page.getByText(/is pending again\.$/).waitFor();
    await world.receiver.waitFor(2, (r) => r.headers["candle-event-type"] === "contract.paid" && r.body.includes(world.openContractId));
  });

  it("lists every subscription of the platform, filtered by state and subscriber", async () => {
    await go("Subscriptions", "Subscriptions");
    await page.getByLabel("State").selectOption("active");
    await page.getByLabel("Subscriber").fill("ben@lakeside.test");
    await page.getByRole("button", { name: "Filter" }).click();
    const table = page.getByRole("region", { name: "Subscriptions (1)" });
    await table.getByRole("link", { name: "ben@lakeside.test" }).waitFor();
    await table.getByText("active", { exact: true }).waitFor();
    await page.getByLabel("State").selectOption("ended");
    await page.getByRole("button", { name: "Filter" }).click();
    await page.getByText("Subscriptions (0): none.").waitFor();
    await page.getByLabel("State").selectOption("");
    await page.getByLabel("Subscriber").fill("");
    await page.getByRole("button", { name: "Filter" }).click();
    await page.getByRole("region", { name: "Subscriptions (1)" }).waitFor();
  });

  it("reads the volume chart and the top buyers", async () => {
    await go("Transactions", "Transactions and analytics");
    const volume = (await api("GET", "/v1/transactions/volume?currency=usd")).json();
    const amount = volume.totals[0].amount as number;
    const shown = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" }).format(amount / 100);
    await page.locator(".tiles li", { hasText: "Volume" }).getByText(shown).waitFor();
    // The chart's text alternative holds the same figures as its bars: this month's is the volume.
    const month = new Date().toISOString().slice(0, 7);
    const chart = page.getByRole("figure").filter({ hasText: "Volume: what buyers paid" });
    await expect(chart.locator("svg[role=img]").count()).resolves.toBe(1);
    const bars = await chart.locator("rect.bar").count();
    expect(bars).toBe(12);
    const cell = chart.locator("table tr", { has: page.locator(`th:text-is("${month}")`) }).locator("td");
    expect((await cell.textContent())!.replace(/\s/g, "")).toMatch(/^\$[\d.,]+K?$/);
    await page.getByRole("figure").filter({ hasText: "Top buyers" }).getByText("ada@lakeside.test").waitFor();
    await page.getByRole("figure").filter({ hasText: "Top sellers" }).getByText("sam@lakeside.test").waitFor();
  });

  it("reviews listings: filters the pending ones, approves one, rejects one with a reason", async () => {
    await go("Products", "Products");
    await page.getByLabel("Review", { exact: true }).selectOption("pending");
    await page.getByRole("button", { name: "Search" }).click();
    const queue = page.getByRole("region", { name: "Products (3)" });
    await queue.getByText("Canoe paddle").waitFor();
    await queue.getByRole("button", { name: "Approve Canoe paddle" }).click();
    await page.getByText("Canoe paddle approved: published.").waitFor();
    await page.getByLabel("Reason to reject Fishing rod").fill("Show the reel in the photo.");
    await page.getByRole("button", { name: "Reject Fishing rod" }).click();
    await page.getByText("Fishing rod rejected.").waitFor();
    // The queue is drawn again from the API: one listing is left in it.
    await page.getByRole("region", { name: "Products (1)" }).getByText("Camp stove").waitFor();
    const [paddle, rod] = await Promise.all(
      ["Canoe paddle", "Fishing rod"].map(
        async (name) => (await api("GET", `/v1/products?search=${encodeURIComponent(name)}&filter[adminStatus]=published,rejected`)).json().data[0],
      ),
    );
    expect(paddle.adminStatus).toBe("published");
    expect(rod).toMatchObject({ adminStatus: "rejected", rejectionReason: "Show the reel in the photo." });
    await page.getByLabel("Review", { exact: true }).selectOption("rejected");
    await page.getByRole("button", { name: "Search" }).click();
    await page.getByRole("region", { name: "Products (1)" }).getByText("Show the reel in the photo.").waitFor();
    const types = (await api("GET", `/v1/events?filter[object_id]=${rod.id}`)).json().data.map((e: { type: string }) => e.type);
    expect(types).toEqual(expect.arrayContaining(["product.submitted", "product.rejected"]));
    // Back to every state, for the pages after this one.
    await page.getByLabel("Review", { exact: true }).selectOption("");
    await page.getByRole("button", { name: "Search" }).click();
    await page.getByRole("region", { name: /^Products \(\d+\)$/ }).waitFor();
  });

  it("manages the waitlist and API keys", async () => {
    await go("Waitlist", "Waitlist");
    const row = page.locator("tr", { hasText: "early@example.com" });
    await row.getByRole("button", { name: "Grant" }).click();
    await page.getByText("early@example.com may sign in.").waitFor();

    await go("Settings", "Platform settings");
    await page.getByLabel("New key's name").fill("Console test");
    await page.getByRole("button", { name: "Create key" }).click();
    const secret = await page.locator(".key-secret").textContent();
    expect(secret).toMatch(/^cndl_test_/);
    const keyRow = page.locator("tr", { hasText: "Console test" });
    await keyRow.getByRole("button", { name: "Revoke" }).click();
    await keyRow.getByText(/^revoked/).waitFor();
    expect((await fetch(`${world.base}/v1/platforms`, { headers: bearer(secret!) })).status).toBe(401);
  });

  it("labels every control, and logged no error", async () => {
    for (const link of ["Users", "Products", "Contracts", "Subscriptions", "Transactions", "Events", "Webhooks", "Waitlist", "Settings"]) {
      await page.getByRole("navigation", { name: "Console" }).getByRole("link", { name: link, exact: true }).click();
      await page.locator("main h1").waitFor();
      await page.locator("main .loading").waitFor({ state: "detached" });
      // Run in the page (a string: the project's TypeScript has no DOM types).
      const unlabelled = await page.evaluate<string[]>(
        `[...document.querySelectorAll("main input, main select, main textarea")].filter((el) => !el.labels?.length && !el.getAttribute("aria-label")).map((el) => el.outerHTML)`,
      );
      expect(unlabelled, link).toEqual([]);
    }
    expect(pageErrors).toEqual([]);
  });
});

/** Text whose colour against its background is below WCAG AA (4.5:1; 3:1 for large text), on the current page. */
const LOW_CONTRAST = `(() => {
  const rgb = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = (v) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const low = [];
  for (const el of document.querySelectorAll("body *")) {
    if (![...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim())) continue;
    const style = getComputedStyle(el);
    if (style.visibility === "hidden" || style.display === "none" || el.getClientRects().length === 0) continue;
    if (el.closest(".visually-hidden, svg")) continue;
    const fg = lum(rgb(style.color).slice(0, 3));
    const bg = lum(background(el));
    const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
    if (ratio < (large ? 3 : 4.5)) low.push(el.tagName + " " + el.textContent.trim().slice(0, 40) + " " + ratio.toFixed(2));
  }
  return low;
})()`;

describe("keyboard and contrast", () => {
  it("goes from the skip link to a user's page with the keyboard alone", async () => {
    // A fresh load: the page is drawn once, and its heading takes focus then.
    await page.goto(`${world.base}/console#/settings`);
    await page.reload();
    await heading("Platform settings").waitFor();
    // A page's heading takes focus when it is drawn; going back from it reaches every control of the header, then the skip link.
    const focused = () => page.evaluate<string>(`document.activeElement.textContent.trim()`);
    const seen: string[] = [];
    for (let i = 0; i < 20 && seen.at(-1) !== "Skip to content"; i++) {
      await page.keyboard.press("Shift+Tab");
      seen.push(await focused());
    }
    expect(seen.reverse()).toEqual([
      "Skip to content",
      "Settings",
      "Users",
      "Products",
      "Contracts",
      "Subscriptions",
      "Transactions",
      "Events",
      "Webhooks",
      "Waitlist",
      "Sign out",
    ]);
    // The menu's links come next, in order: Users is the second.
    await page.keyboard.press("Tab");
    await page.keyboard.press("Tab");
    await expect(focused()).resolves.toBe("Users");
    await page.keyboard.press("Enter");
    await heading("Users").waitFor();
    await page.getByLabel("Search").focus();
    await page.keyboard.type("sam");
    await page.keyboard.press("Enter");
    // The search's answer replaces the list: its link is the one to follow.
    const link = page.getByRole("region", { name: "Users (1)" }).getByRole("link", { name: "sam@lakeside.test" });
    await link.focus();
    await page.keyboard.press("Enter");
    await heading("sam@lakeside.test").waitFor();
  });

  it("every page's text meets WCAG AA contrast", async () => {
    for (const [hash, title] of [
      ["#/settings", "Platform settings"],
      ["#/users", "Users"],
      [`#/users/${world.buyer.id}`, world.buyer.email],
      ["#/products", "Products"],
      ["#/contracts", "Contracts"],
      [`#/contracts/${world.openContractId}`, `Contract ${world.openContractId}`],
      ["#/subscriptions", "Subscriptions"],
      ["#/transactions", "Transactions and analytics"],
      ["#/events", "Events"],
      [`#/webhooks/${world.webhookId}`, "Back office"],
      ["#/waitlist", "Waitlist"],
    ] as const) {
      await page.goto(`${world.base}/console${hash}`);
      await heading(title).waitFor();
      await page.locator("main .loading").waitFor({ state: "detached" });
      expect(await page.evaluate<string[]>(LOW_CONTRAST), hash).toEqual([]);
    }
  });
});

describe("an admin", () => {
  it("sees no more than the API lets an admin see: no keys, no webhook endpoints", async () => {
    const admin = await browser.newContext();
    const p = await admin.newPage();
    p.setDefaultTimeout(15_000);
    await p.goto(`${world.base}/console`);
    const user = (await world.t.request({ method: "GET", url: "/v1/users/auth", headers: bearer(world.admin.token) })).json();
    await p.evaluate((signedIn) => sessionStorage.setItem("candle-console-session", JSON.stringify(signedIn)), {
      kind: "user",
      token: world.admin.token,
      refreshToken: "unused",
      user,
    });
    await p.reload();
    await p.getByRole("heading", { level: 1, name: "Platform settings" }).waitFor();
    await p
      .getByRole("region", { name: "API keys" })
      .getByRole("alert")
      .getByText(/insufficient_role/)
      .waitFor();
    await p.getByRole("navigation", { name: "Console" }).getByRole("link", { name: "Webhooks", exact: true }).click();
    await p.getByRole("heading", { level: 1, name: "Webhook endpoints" }).waitFor();
    await p
      .getByRole("alert")
      .getByText(/insufficient_role/)
      .waitFor();
    await expect(p.getByText("Back office").count()).resolves.toBe(0);
    // What an admin may do, it does: the waitlist.
    await p.getByRole("navigation", { name: "Console" }).getByRole("link", { name: "Waitlist", exact: true }).click();
    await p.getByText("second@example.com").waitFor();
    await admin.close();
  });
});

describe("on a phone", () => {
  it("signs in with the API key and opens the menu", async () => {
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    const p = await phone.newPage();
    p.setDefaultTimeout(15_000);
    await p.goto(`${world.base}/console`);
    await p.getByLabel("API key", { exact: true }).fill(world.platform.apiKey);
    await p.getByRole("button", { name: "Sign in with the key" }).click();
    await p.getByRole("heading", { level: 1, name: "Platform settings" }).waitFor();
    const nav = p.getByRole("navigation", { name: "Console" });
    await expect(nav.isVisible()).resolves.toBe(false);
    await p.getByRole("button", { name: "Menu" }).click();
    await nav.getByRole("link", { name: "Products", exact: true }).click();
    await p.getByRole("heading", { level: 1, name: "Products" }).waitFor();
    // Tables are cards on a phone; a product's stock is still a labelled field.
    await p.getByLabel("Stock of Lake cabin", { exact: true }).fill("7");
    await p.getByRole("button", { name: "Save stock of Lake cabin" }).click();
    await p.getByText("Lake cabin: stock 7.").waitFor();
    expect((await api("GET", "/v1/products?search=cabin")).json().data[0].quantity).toBe(7);
    await phone.close();
  });
});

describe.runIf(process.env.CONSOLE_SCREENSHOTS)("screenshots", () => {
  it("saves a picture of every page", async () => {
    const dir = path.resolve(process.env.CONSOLE_SCREENSHOTS!);
    await fs.mkdir(dir, { recursive: true });
    const shots: [string, string, string][] = [
      ["settings", "#/settings", "Platform settings"],
      ["users", "#/users", "Users"],
      ["user", `#/users/${world.buyer.id}`, world.buyer.email],
      ["products", "#/products", "Products"],
      ["contracts", "#/contracts", "Contracts"],
      ["contract", `#/contracts/${world.openContractId}`, `Contract ${world.openContractId}`],
      ["subscriptions", "#/subscriptions", "Subscriptions"],
      ["transactions", "#/transactions", "Transactions and analytics"],
      ["events", "#/events", "Events"],
      ["webhooks", "#/webhooks", "Webhook endpoints"],
      ["webhook", `#/webhooks/${world.webhookId}`, "Back office"],
      ["waitlist", "#/waitlist", "Waitlist"],
    ];
    for (const [name, hash, title] of shots) {
      await page.goto(`${world.base}/console${hash}`);
      await heading(title).waitFor();
      await page.locator("main .loading").waitFor({ state: "detached" });
      await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: true });
    }
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, deviceScaleFactor: 2 });
    const p = await phone.newPage();
    await p.goto(`${world.base}/console`);
    await p.evaluate((key) => sessionStorage.setItem("candle-console-session", JSON.stringify({ kind: "key", key })), world.platform.apiKey);
    await p.goto(`${world.base}/console#/contracts/${world.openContractId}`);
    await p.reload();
    await p.getByRole("heading", { level: 1, name: `Contract ${world.openContractId}` }).waitFor();
    await p.screenshot({ path: path.join(dir, "phone-contract.png"), fullPage: false });
    await phone.close();
    await page.goto(`${world.base}/console`);
    await page.evaluate(() => sessionStorage.clear());
    await page.goto(`${world.base}/console?platform=${world.platform.id}`);
    await heading("Sign in to the console").waitFor();
    await page.screenshot({ path: path.join(dir, "sign-in.png") });
  });
});
