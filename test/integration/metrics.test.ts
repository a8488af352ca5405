import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMetricsServer, type MetricsServer } from "../../src/observability/metrics.js";
import { bearer, createTestContext, type TestContext, type TestPlatform } from "../helpers/app.js";
import { startReceiver } from "../helpers/receiver.js";

/**
 * `/metrics` scraped over HTTP from the admin listener, as Prometheus would, after traffic that
 * touches each named series: requests by route pattern and status, errors, rate-limit refusals,
 * the database pool, the job queue and its runs, webhook deliveries, settlements.
 */
const TOKEN = "metrics-token-0123456789";
let t: TestContext;
let acme: TestPlatform;
let server: MetricsServer;
let receiver: Awaited<ReturnType<typeof startReceiver>>;

beforeAll(async () => {
  t = await createTestContext({ RATE_LIMIT_IP_MAX: "3", WEBHOOKS_ALLOW_PRIVATE: "true" });
  acme = await t.createPlatform();
  receiver = await startReceiver();
  server = await startMetricsServer({ metrics: t.app.metrics, port: 0, host: "127.0.0.1", token: TOKEN });
});
afterAll(async () => {
  await server.close();
  await receiver.close();
  await t.close();
});

async function scrape(): Promise<string> {
  const res = await fetch(server.url, { headers: { authorization: `Bearer ${TOKEN}` } });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
  return res.text();
}

/** The value of one sample, its labels given in any order. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split("\n")) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const have = Object.fromEntries([...(match[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(match[3]);
  }
  return undefined;
}

describe("/metrics", () => {
  it("refuses a scrape without the token, and answers only GET /metrics", async () => {
    expect((await fetch(server.url)).status).toBe(401);
    expect((await fetch(server.url, { headers: { authorization: "Bearer wrong" } })).status).toBe(401);
    expect((await fetch(server.url.replace("/metrics", "/v1/platforms"), { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(404);
  });

  it("counts requests by route pattern and status, never by raw URL", async () => {
    const created = await t.request({ method: "POST", url: "/v1/users", headers: bearer(acme.apiKey), payload: { email: "metrics@example.com" } });
    expect(created.statusCode).toBe(201);
    const id = created.json().id as string;
    expect((await t.request({ method: "GET", url: `/v1/users/${id}`, headers: bearer(acme.apiKey) })).statusCode).toBe(200);
    expect((await t.request({ method: "GET", url: "/v1/users/user_nope", headers: bearer(acme.apiKey) })).statusCode).toBe(404);
    expect((await t.request({ method: "GET", url: "/no/such/path/123" })).statusCode).toBe(404);

    const text = await scrape();
    expect(sample(text, "http_requests_total", { method: "POST", route: "/v1/users", status_code: "201" })).toBe(1);
    expect(sample(text, "http_requests_total", { method: "GET", route: "/v1/users/:id", status_code: "200" })).toBe(1);
    expect(sample(text, "http_request_errors_total", { method: "GET", route: "/v1/users/:id", status_code: "404", code: "resource_missing" })).toBe(1);
    expect(sample(text, "http_requests_total", { method: "GET", route: "unmatched", status_code: "404" })).toBe(1);
    expect(sample(text, "http_request_duration_seconds_count", { method: "POST", route: "/v1/users", status_code: "201" })).toBe(1);
    expect(sample(text, "http_request_duration_seconds_bucket", { method: "POST", route: "/v1/users", status_code: "201", le: "+Inf" })).toBe(1);
    expect(text).not.toContain(id);
    expect(text).not.toContain("/no/such/path");
  });

  it("counts rate-limit refusals by the limit that refused", async () => {
    let refused = 0;
    for (let i = 0; i < 5; i += 1) {
      const res = await t.request({ method: "GET", url: "/v1/platforms", headers: { "x-forwarded-for": "203.0.113.9" } });
      if (res.statusCode === 429) refused += 1;
    }
    expect(refused).toBeGreaterThan(0);
    expect(sample(await scrape(), "rate_limit_refusals_total", { scope: "address" })).toBe(refused);
  });

  it("shows the database pool, the job queue, job runs, webhook deliveries and settlements", async () => {
    const endpoint = await t.request({ method: "POST", url: "/v1/webhooks", headers: bearer(acme.apiKey), payload: { url: `${receiver.url}/hook`, events: ["*"] } });
    expect(endpoint.statusCode, endpoint.body).toBe(201);
    expect((await t.request({ method: "POST", url: "/v1/users", headers: bearer(acme.apiKey), payload: { email: "hooked@example.com" } })).statusCode).toBe(201);
    await t.db.$executeRaw`SELECT graphile_worker.add_job('sweep-webhooks', '{}'::json, run_at => now() + interval '1 hour')`;

    let text = await scrape();
    expect(sample(text, "jobs_queued", { task: "sweep-webhooks", state: "scheduled" })).toBeGreaterThanOrEqual(1);

    await t.app.services.tasks["deliver-webhooks"]!({ endpointId: endpoint.json().id }, { abortSignal: new AbortController().signal } as never);
    await t.app.services.tasks["release-stock-holds"]!({}, {} as never);
    const settle = await t.request({ method: "PUT", url: "/v1/contracts/contract_missing/settle", headers: bearer(acme.apiKey), payload: {} });
    expect(settle.statusCode).toBe(404);

    text = await scrape();
    expect(receiver.requests.length).toBeGreaterThan(0);
    expect(sample(text, "webhook_deliveries_total", { outcome: "delivered" })).toBe(receiver.requests.length);
    expect(sample(text, "jobs_total", { task: "deliver-webhooks", outcome: "success" })).toBe(1);
    expect(sample(text, "jobs_total", { task: "release-stock-holds", outcome: "success" })).toBe(1);
    expect(sample(text, "settlements_total", { kind: "contract", outcome: "refused" })).toBe(1);
    expect(sample(text, "db_pool_max_connections")).toBe(5);
    expect(sample(text, "db_pool_connections", { state: "idle" })).toBeGreaterThanOrEqual(0);
    expect(sample(text, "db_pool_waiting")).toBe(0);
    expect(sample(text, "db_pool_acquire_seconds_count")).toBeGreaterThan(0);
    for (const name of ["payments_requests_total", "process_cpu_seconds_total", "nodejs_eventloop_lag_seconds"]) expect(text).toContain(`# TYPE ${name}`);
  });
});
