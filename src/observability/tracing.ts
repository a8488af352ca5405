import { register } from "node:module";
import type { Config } from "../config.js";
import { REQUEST_ID } from "./request-id.js";

export interface Tracing {
  /** Flushes the spans still buffered, then stops exporting. */
  shutdown(): Promise<void>;
}

/**
 * OpenTelemetry traces over OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT is set; otherwise nothing is
 * loaded and nothing is patched (the API calls in instrument.ts are then no-ops).
 *
 * Must run before the modules it instruments are imported (server.ts imports the rest of the app
 * afterwards): `pg` is patched as it loads (Prisma's queries go through it, via @prisma/adapter-pg),
 * through import-in-the-middle's ESM hook; Fastify through @fastify/otel, which attaches itself to
 * every instance as it is created. Spans: each request (Fastify's route, hooks and handler, under
 * the HTTP server span, with `request.id`), each SQL statement, each payments gateway call (Stripe)
 * and each outgoing webhook. Outgoing HTTP is not instrumented, so no `traceparent` header leaks to
 * webhook receivers or Stripe.
 */
export async function startTracing(config: Readonly<Config>): Promise<Tracing | undefined> {
  const endpoint = config.tracing.endpoint;
  if (!endpoint) return undefined;
  // Only the modules instrumented here are wrapped (not every module of the app).
  register("@opentelemetry/instrumentation/hook.mjs", import.meta.url, { data: { include: ["pg", "pg-pool"] } });
  const [{ NodeSDK }, { OTLPTraceExporter }, { HttpInstrumentation }, { PgInstrumentation }, { FastifyOtelInstrumentation }] = await Promise.all([
    import("@opentelemetry/sdk-node"),
    import("@opentelemetry/exporter-trace-otlp-http"),
    import("@opentelemetry/instrumentation-http"),
    import("@opentelemetry/instrumentation-pg"),
    import("@fastify/otel"),
  ]);
  const sdk = new NodeSDK({
    serviceName: config.tracing.serviceName,
    traceExporter: new OTLPTraceExporter({ url: `${endpoint.replace(/\/+$/, "")}/v1/traces` }),
    instrumentations: [
      new HttpInstrumentation({
        disableOutgoingRequestInstrumentation: true,
        ignoreIncomingRequestHook: (req) => req.url === "/health" || req.url === "/ready",
        // The request id (noted on the raw request by plugin.ts) on the trace's root span too.
        applyCustomAttributesOnSpan: (span, req) => {
          const id = (req as { [REQUEST_ID]?: string })[REQUEST_ID];
          if (id) span.setAttribute("request.id", id);
        },
      }),
      new PgInstrumentation({ requireParentSpan: true }),
      new FastifyOtelInstrumentation({ registerOnInitialization: true, ignorePaths: (opts) => opts.url === "/health" || opts.url === "/ready" }),
    ],
  });
  sdk.start();
  return { shutdown: () => sdk.shutdown() };
}
