import fs from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../scripts/lib/scratch-postgres.js";
import { runScript } from "../helpers/process.js";

/**
 * The real server (`npm start`) with OTEL_EXPORTER_OTLP_ENDPOINT pointing at an OTLP/HTTP receiver
 * in this test: one request's trace arrives with the request id on it, Fastify's and pg's spans
 * under it, and the payments gateway call and the outgoing webhook as spans of their own.
 */
interface Span {
  traceId: string;
  name: string;
  kind: number;
  attributes: { key: string; value: Record<string, unknown> }[];
}

const spans: (Span & { scope: string })[] = [];
const hooks: string[] = [];
let receiver: http.Server;
let receiverUrl: string;
let dataDir: string;

beforeAll(async () => {
  receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      if (req.url === "/v1/traces") {
        const parsed = JSON.parse(body) as { resourceSpans: { scopeSpans: { scope: { name: string }; spans: Span[] }[] }[] };
        for (const rs of parsed.resourceSpans) for (const ss of rs.scopeSpans) for (const s of ss.spans) spans.push({ ...s, scope: ss.scope.name });
      } else if (req.url === "/hook") {
        hooks.push(String(req.headers.traceparent ?? ""));
      }
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "candle-traces-"));
  await fs.chmod(dataDir, 0o755);
});
afterAll(async () => {
  await new Promise((resolve) => receiver.close(resolve));
  await fs.rm(dataDir, { recursive: true, force: true });
});

const attr = (s: Span, key: string) => {
  const v = s.attributes.find((a) => a.key === key)?.value;
  return v ? Object.values(v)[0] : undefined;
};

async function until(check: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; spans: ${spans.map((s) => s.name).join(", ")}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("traces", () => {
  it("are exported over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set", async () => {
    const port = await freePort();
    const server = runScript("src/server.ts", [], {
      PORT: String(port),
      DATA_DIR: dataDir,
      EMBEDDED_PG_PORT: String(await freePort()),
      OTEL_EXPORTER_OTLP_ENDPOINT: receiverUrl,
      OTEL_BSP_SCHEDULE_DELAY: "100",
      WEBHOOKS_ALLOW_PRIVATE: "true",
    });
    try {
      const key = (await server.waitFor(/API key \(shown once\): (cndl_test_[A-Za-z0-9]+)/, 90_000)).split(": ")[1]!;
      await server.waitFor(/Server listening/);
      const api = (method: string, p: string, body: unknown, requestId: string) =>
        fetch(`http://127.0.0.1:${port}${p}`, {
          method,
          headers: { authorization: `Bearer ${key}`, "content-type": "application/json", "x-request-id": requestId },
          body: JSON.stringify(body),
        });

      expect((await api("POST", "/v1/webhooks", { url: `${receiverUrl}/hook`, events: ["user.created"] }, "trace-hook")).status).toBe(201);
      const user = await api("POST", "/v1/users", { email: "traced@example.com" }, "trace-user-1");
      expect(user.status).toBe(201);
      const { id } = (await user.json()) as { id: string };
      expect((await api("POST", `/v1/users/${id}/client_secret`, {}, "trace-secret-1")).status).toBe(200);

      await until(() => spans.some((s) => attr(s, "request.id") === "trace-secret-1" && s.scope === "@opentelemetry/instrumentation-http"), "the requests' spans");
      const root = spans.find((s) => attr(s, "request.id") === "trace-user-1" && s.scope === "@opentelemetry/instrumentation-http")!;
      expect(root.name).toBe("POST /v1/users");
      const trace = spans.filter((s) => s.traceId === root.traceId);
      expect(trace.some((s) => s.scope === "@fastify/otel" && attr(s, "http.route") === "/v1/users" && attr(s, "request.id") === "trace-user-1")).toBe(true);
      expect(trace.some((s) => s.scope === "@opentelemetry/instrumentation-pg" && /INSERT/.test(s.name))).toBe(true);

      const secretTrace = spans.find((s) => attr(s, "request.id") === "trace-secret-1")!.traceId;
      expect(spans.some((s) => s.traceId === secretTrace && s.name === "payments.createSetupIntent" && attr(s, "payments.provider") === "offline")).toBe(true);

      // The job worker delivers the user.created webhook: its request is a span, and carries no trace header.
      await until(() => spans.some((s) => s.name === "webhook.deliver"), "the webhook span");
      const deliver = spans.find((s) => s.name === "webhook.deliver")!;
      expect(attr(deliver, "http.response.status_code")).toBe(200);
      expect(hooks.length).toBeGreaterThan(0);
      expect(hooks.every((traceparent) => traceparent === "")).toBe(true);
    } finally {
      server.child.kill("SIGTERM");
      await server.exited;
    }
    expect(server.output()).not.toMatch(/import-in-the-middle|failed to wrap/);
  }, 120_000);
});
