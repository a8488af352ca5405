import { createServer as createHttpServer, type Server } from "node:http";
import { createServer } from "node:net";
import * as client from "openid-client";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, createTestContext, type TestContext, type TestPlatform, type TestUser } from "../helpers/app.js";
import { codeOf, startSmtpServer } from "../helpers/smtp.js";
import { launchBrowser } from "./console-world.js";

/**
 * The OAuth sign-in and consent pages (docs/api/oauth.md) in a real Chromium: the user signs in
 * with the platform's emailed code through the page's own script, sees the platform's name and the
 * scopes asked for, and allows; the app (openid-client) then exchanges the code with its PKCE
 * verifier. No page error (a CSP violation included) is expected.
 */

/** The app's redirect URI: a listener of the test's, where the browser lands with the code. */
let REDIRECT_URI: string;
let appServer: Server;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

let t: TestContext;
let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
let browser: Browser;
let page: Page;
let base: string;
let platform: TestPlatform;
let buyer: TestUser;
let config: client.Configuration;
const pageErrors: string[] = [];

beforeAll(async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  smtp = await startSmtpServer();
  appServer = createHttpServer((_req, res) => res.end("back at the app"));
  await new Promise<void>((resolve) => appServer.listen(0, "127.0.0.1", resolve));
  REDIRECT_URI = `http://127.0.0.1:${(appServer.address() as { port: number }).port}/callback`;
  [t, browser] = await Promise.all([createTestContext({ PUBLIC_URL: base, SMTP_URL: smtp.url, JOBS_WORKER: "true" }), launchBrowser()]);
  await t.app.listen({ port, host: "127.0.0.1" });
  platform = await t.createPlatform({ name: "Harbour Crafts" });
  buyer = await t.createUser(platform, "member", "rosa@example.com");
  const res = await t.request({
    method: "POST",
    url: `/v1/platforms/${platform.id}/apps`,
    headers: { ...bearer(platform.apiKey), "content-type": "application/json" },
    payload: JSON.stringify({ name: "Stock Sync", redirect_uris: [REDIRECT_URI], scopes: ["products:read", "contracts:read"] }),
  });
  const app = res.json() as { client_id: string; client_secret: string };
  config = await client.discovery(new URL(`${base}/oauth`), app.client_id, undefined, client.ClientSecretBasic(app.client_secret), { execute: [client.allowInsecureRequests] });
  page = await (await browser.newContext()).newPage();
  page.setDefaultTimeout(15_000);
  page.on("pageerror", (err) => pageErrors.push(`pageerror: ${err.message}`));
  page.on("console", (msg) => {
    if (msg.type() === "error") pageErrors.push(`console: ${msg.text()}`);
  });
});

afterAll(async () => {
  await browser?.close();
  await t?.close();
  await smtp?.stop();
  await new Promise((resolve) => appServer?.close(resolve));
});

describe("the OAuth consent page", () => {
  it("signs the user in with an emailed code, lists the scopes, and sends the browser back with a code the app exchanges", async () => {
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI,
      scope: "products:read contracts:read",
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: "S256",
      state,
    });
    await page.goto(url.href);
    await page.getByRole("heading", { name: "Harbour Crafts" }).waitFor();
    expect(await page.textContent("main")).toContain("Stock Sync");

    await page.getByLabel("Email", { exact: true }).fill(buyer.email);
    await page.getByRole("button", { name: "Send me a code" }).click();
    const code = codeOf(await smtp.waitFor(buyer.email, (m) => / sign-in code$/.test(m.subject)));
    await page.getByLabel("The 6-digit code we emailed you").fill(code);
    await page.getByRole("button", { name: "Sign in" }).click();

    await page.getByRole("button", { name: "Allow" }).waitFor();
    const scopes = await page.locator("#scopes li").allTextContents();
    expect(scopes.join("\n")).toContain("products:read");
    expect(scopes.join("\n")).toContain("contracts:read");
    await Promise.all([page.waitForURL(`${REDIRECT_URI}**`), page.getByRole("button", { name: "Allow" }).click()]);

    const tokens = await client.authorizationCodeGrant(config, new URL(page.url()), { pkceCodeVerifier: verifier, expectedState: state });
    const me = await t.request({ method: "GET", url: "/v1/contracts/auth", headers: bearer(tokens.access_token) });
    expect(me.statusCode, me.body).toBe(200);
    expect(pageErrors).toEqual([]);
  });
});
