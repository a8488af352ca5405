import { execFileSync } from "node:child_process";
import fs from "node:fs/promises";
import https from "node:https";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rawRequest } from "../helpers/http-client.js";
import { createTestContext, json, type TestContext, type TestPlatform } from "../helpers/app.js";

/**
 * HTTPS (docs/operations.md, "HTTPS"): the node's own TLS from TLS_CERT / TLS_KEY (a file path or
 * the PEM text), `Strict-Transport-Security` on what came over TLS — directly or through a trusted
 * proxy's `X-Forwarded-Proto`, never an untrusted one's — and, in production, credentials over plain
 * HTTP refused (403 https_required) unless they come from loopback.
 */

let dir: string;
let cert: string;
const contexts: TestContext[] = [];

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "candle-tls-"));
  // A self-signed certificate for 127.0.0.1, as an operator trying TLS locally would make one.
  execFileSync(
    "openssl",
    ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj", "/CN=localhost"].concat([
      "-addext",
      "subjectAltName=DNS:localhost,IP:127.0.0.1",
      "-keyout",
      path.join(dir, "key.pem"),
      "-out",
      path.join(dir, "cert.pem"),
    ]),
    { stdio: "ignore" },
  );
  cert = await fs.readFile(path.join(dir, "cert.pem"), "utf8");
});

afterAll(async () => {
  for (const t of contexts.reverse()) await t.close();
  await fs.rm(dir, { recursive: true, force: true });
});

async function context(env: Record<string, string>, shared?: TestContext): Promise<TestContext> {
  const t = await createTestContext(env, shared ? { sharedDatabaseUrl: shared.databaseUrl } : {});
  contexts.push(t);
  return t;
}

async function listen(t: TestContext): Promise<number> {
  await t.app.listen({ port: 0, host: "127.0.0.1" });
  return (t.app.server.address() as AddressInfo).port;
}

function httpsGet(port: number, pathname: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request({ host: "127.0.0.1", port, path: pathname, method: "GET", headers, ca: cert, servername: "localhost", agent: false }, (res) => {
      let body = "";
      res.on("data", (c: Buffer) => (body += c.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("a node serving HTTPS itself (TLS_CERT, TLS_KEY)", () => {
  let t: TestContext;
  let port: number;
  let platform: TestPlatform;

  beforeAll(async () => {
    // The certificate as a path, the key as its PEM text: both forms are accepted.
    t = await context({ TLS_CERT: path.join(dir, "cert.pem"), TLS_KEY: await fs.readFile(path.join(dir, "key.pem"), "utf8"), NODE_ENV: "production" });
    port = await listen(t);
    platform = await t.createPlatform();
  });

  it("answers over TLS with Strict-Transport-Security, and serves the API", async () => {
    const health = await httpsGet(port, "/health");
    expect(health.status).toBe(200);
    expect(health.headers["strict-transport-security"]).toBe("max-age=31536000");
    const platforms = await httpsGet(port, "/v1/platforms", { authorization: `Bearer ${platform.apiKey}` });
    expect(platforms.status).toBe(200);
    expect(platforms.headers["strict-transport-security"]).toBe("max-age=31536000");
    expect(t.config.publicUrl).toBe(`https://localhost:${t.config.port}`);
  });

  it("sends HSTS on error answers too", async () => {
    const missing = await httpsGet(port, "/v1/nothing-here", { authorization: `Bearer ${platform.apiKey}` });
    expect(missing.status).toBe(404);
    expect(missing.headers["strict-transport-security"]).toBe("max-age=31536000");
  });

  it("speaks no plain HTTP on its port", async () => {
    await expect(rawRequest(port, { method: "GET", path: "/health", timeoutMs: 5_000 })).rejects.toThrow();
  });
});

describe("plain HTTP behind a trusted proxy, in production (TRUST_PROXY=127.0.0.1, NODE_ENV=production)", () => {
  let t: TestContext;
  let port: number;
  let platform: TestPlatform;
  const auth = () => ({ authorization: `Bearer ${platform.apiKey}` });

  beforeAll(async () => {
    t = await context({ TRUST_PROXY: "127.0.0.1", NODE_ENV: "production" });
    port = await listen(t);
    platform = await t.createPlatform();
    expect(t.config.requireHttps).toBe(true);
  });

  it("sends no HSTS over plain HTTP", async () => {
    const res = await rawRequest(port, { method: "GET", path: "/health" });
    expect(res.status).toBe(200);
    expect(res.headers["strict-transport-security"]).toBeUndefined();
  });

  it("takes a key over plain HTTP from loopback (a health probe, a CLI on the host)", async () => {
    const res = await rawRequest(port, { method: "GET", path: "/v1/platforms", headers: auth() });
    expect(res.status).toBe(200);
    expect(res.headers["strict-transport-security"]).toBeUndefined();
  });

  it("refuses a key that reached the proxy over plain HTTP from a client elsewhere: 403 https_required", async () => {
    for (const headers of [auth(), { api_key: platform.apiKey, mode: "test" }]) {
      const res = await rawRequest(port, {
        method: "GET",
        path: "/v1/platforms",
        headers: { ...headers, "x-forwarded-for": "203.0.113.7", "x-forwarded-proto": "http" },
      });
      expect(res.status).toBe(403);
      expect(JSON.parse(res.body).error).toMatchObject({ code: "https_required", type: "permission_error" });
      expect(res.headers["strict-transport-security"]).toBeUndefined();
    }
    // Nothing else changes for a request without credentials (the API's own 401 says what is missing).
    const anonymous = await rawRequest(port, { method: "GET", path: "/v1/platforms", headers: { "x-forwarded-for": "203.0.113.7", "x-forwarded-proto": "http" } });
    expect(anonymous.status).toBe(401);
  });

  it("refuses a key over plain HTTP from a non-loopback address connecting directly", async () => {
    const res = await t.request({ method: "GET", url: "/v1/platforms", headers: auth(), remoteAddress: "198.51.100.4" });
    expect(res.statusCode).toBe(403);
    expect(json<{ error: { code: string } }>(res).error.code).toBe("https_required");
  });

  it("serves a request the trusted proxy received over HTTPS, with HSTS", async () => {
    const res = await rawRequest(port, { method: "GET", path: "/v1/platforms", headers: { ...auth(), "x-forwarded-for": "203.0.113.7", "x-forwarded-proto": "https" } });
    expect(res.status).toBe(200);
    expect(res.headers["strict-transport-security"]).toBe("max-age=31536000");
  });
});

describe("an untrusted proxy's X-Forwarded-Proto (TRUST_PROXY names another address)", () => {
  let t: TestContext;
  let port: number;
  let platform: TestPlatform;

  beforeAll(async () => {
    t = await context({ TRUST_PROXY: "10.1.2.3,192.168.0.0/16", NODE_ENV: "production", HSTS_MAX_AGE: "600" }, contexts[0]);
    port = await listen(t);
    platform = await t.createPlatform();
  });

  it("is ignored: no HSTS for a plain HTTP request that claims https", async () => {
    const res = await rawRequest(port, { method: "GET", path: "/health", headers: { "x-forwarded-proto": "https", "x-forwarded-for": "203.0.113.7" } });
    expect(res.status).toBe(200);
    expect(res.headers["strict-transport-security"]).toBeUndefined();
  });

  it("does not make a key over plain HTTP acceptable, nor its X-Forwarded-For the client's address", async () => {
    const res = await t.request({
      method: "GET",
      url: "/v1/platforms",
      headers: { authorization: `Bearer ${platform.apiKey}`, "x-forwarded-proto": "https", "x-forwarded-for": "127.0.0.1" },
      remoteAddress: "198.51.100.4",
    });
    expect(res.statusCode).toBe(403);
    expect(json<{ error: { code: string } }>(res).error.code).toBe("https_required");
  });

  it("is believed from a trusted proxy of a listed range", async () => {
    const res = await t.request({ method: "GET", url: "/health", headers: { "x-forwarded-proto": "https", "x-forwarded-for": "203.0.113.7" }, remoteAddress: "192.168.4.5" });
    expect(res.headers["strict-transport-security"]).toBe("max-age=600");
  });
});

describe("outside production", () => {
  it("takes credentials over plain HTTP from anywhere (REQUIRE_HTTPS defaults to NODE_ENV=production)", async () => {
    const t = await context({}, contexts[0]);
    expect(t.config.requireHttps).toBe(false);
    const platform = await t.createPlatform();
    const res = await t.request({ method: "GET", url: "/v1/platforms", headers: { authorization: `Bearer ${platform.apiKey}` }, remoteAddress: "198.51.100.4" });
    expect(res.statusCode).toBe(200);
  });
});
