import { trace } from "@opentelemetry/api";
import fp from "fastify-plugin";
import { answeredErrors } from "../plugins/error-handler.js";
import { httpMetrics, type Metrics } from "./metrics.js";
import { REQUEST_ID } from "./request-id.js";

/**
 * What every request gets: one log line when it is answered (Fastify's own two lines, "incoming
 * request" and "request completed", are turned off in app.ts), its `http_*` series, and its request
 * id on the trace's span.
 */
export const observability = fp<{ metrics: Metrics }>(
  async (app, { metrics }) => {
    await app.register(httpMetrics, { metrics });
    app.addHook("onRequest", async (request) => {
      // @fastify/otel's span for the whole request, when tracing is on (src/observability/tracing.ts).
      const otel = (request as { opentelemetry?: () => { span?: { setAttribute(k: string, v: string): unknown } | null } }).opentelemetry?.();
      (otel?.span ?? trace.getActiveSpan())?.setAttribute("request.id", request.id);
      (request.raw as { [REQUEST_ID]?: string })[REQUEST_ID] = request.id;
    });
    app.addHook("onResponse", async (request, reply) => {
      const error = answeredErrors.get(request);
      request.log.info(
        {
          req: request,
          res: { statusCode: reply.statusCode },
          route: request.routeOptions.url,
          responseTime: Math.round(reply.elapsedTime * 10) / 10,
          ...(error ? { error } : {}),
        },
        "request completed",
      );
    });
  },
  { name: "observability" },
);
