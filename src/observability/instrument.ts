import { SpanKind, SpanStatusCode, trace, type Span } from "@opentelemetry/api";
import type { TaskList } from "graphile-worker";
import type { PaymentsGateway } from "../adapters/payments/gateway.js";
import type { WebhookSender } from "../adapters/webhooks/http-sender.js";
import { AppError } from "../lib/errors.js";
import type { Metrics } from "./metrics.js";

/**
 * Wrappers the composition root (app.ts) puts around what leaves the process or runs in the
 * background: each call counted (metrics) and, when tracing is on, a span. With no OpenTelemetry SDK
 * registered the API's tracer is a no-op, so tracing costs nothing when off.
 */
const tracer = trace.getTracer("candle-api");

async function inSpan<T>(name: string, attributes: Record<string, string | number>, run: (span: Span) => Promise<T>): Promise<T> {
  return tracer.startActiveSpan(name, { kind: SpanKind.CLIENT, attributes }, async (span) => {
    try {
      return await run(span);
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
      throw err;
    } finally {
      span.end();
    }
  });
}

/** Every gateway call (Stripe's API, or the offline simulator) as a `payments.<operation>` span, counted by outcome. */
export function instrumentPayments<G extends PaymentsGateway>(gateway: G, metrics: Metrics): G {
  return new Proxy(gateway, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== "function" || typeof property !== "string") return value;
      const method = value as (...args: unknown[]) => unknown;
      return (...args: unknown[]) => {
        const result = method.apply(target, args);
        if (!(result instanceof Promise)) return result;
        return inSpan(`payments.${property}`, { "payments.provider": target.kind, "payments.operation": property }, async () => {
          try {
            const answer = await result;
            metrics.paymentsCalls.inc({ operation: property, outcome: "ok" });
            return answer;
          } catch (err) {
            metrics.paymentsCalls.inc({ operation: property, outcome: err instanceof AppError ? err.code : "error" });
            throw err;
          }
        });
      };
    },
  });
}

/** Each outgoing webhook request as a `webhook.deliver` span, counted by outcome. */
export function instrumentWebhookSender(send: WebhookSender, metrics: Metrics): WebhookSender {
  return (post) => {
    let host = "invalid";
    try {
      host = new URL(post.url).host;
    } catch {
      // counted as failed below
    }
    return inSpan("webhook.deliver", { "server.address": host, "http.request.method": "POST" }, async (span) => {
      const end = metrics.webhookDuration.startTimer();
      const outcome = await send(post);
      const label = "status" in outcome ? (outcome.status >= 200 && outcome.status < 300 ? "delivered" : "rejected") : outcome.interrupted ? "interrupted" : "failed";
      end({ outcome: label });
      metrics.webhookDeliveries.inc({ outcome: label });
      if ("status" in outcome) span.setAttribute("http.response.status_code", outcome.status);
      if (label !== "delivered") span.setStatus({ code: SpanStatusCode.ERROR, message: "error" in outcome ? outcome.error : `status ${outcome.status}` });
      return outcome;
    });
  };
}

/** Each job's run counted by task and outcome, timed, and a span when tracing is on. */
export function instrumentTasks(tasks: TaskList, metrics: Metrics): TaskList {
  return Object.fromEntries(
    Object.entries(tasks).map(([name, task]) => [
      name,
      async (payload: unknown, helpers: Parameters<NonNullable<TaskList[string]>>[1]) => {
        const end = metrics.jobDuration.startTimer({ task: name });
        try {
          const result = await tracer.startActiveSpan(`job ${name}`, { kind: SpanKind.CONSUMER, attributes: { "job.task": name } }, async (span) => {
            try {
              return await task!(payload, helpers);
            } catch (err) {
              span.recordException(err as Error);
              span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
              throw err;
            } finally {
              span.end();
            }
          });
          end({ outcome: "success" });
          metrics.jobs.inc({ task: name, outcome: "success" });
          return result;
        } catch (err) {
          end({ outcome: "failure" });
          metrics.jobs.inc({ task: name, outcome: "failure" });
          throw err;
        }
      },
    ]),
  );
}

/** A settlement's end: complete, pending (a charge processing), refused (the error's code) or error. */
export async function countSettlement<T>(metrics: Metrics, kind: string, run: () => Promise<T>, complete: (result: T) => boolean = () => true): Promise<T> {
  try {
    const result = await run();
    metrics.settlements.inc({ kind, outcome: complete(result) ? "complete" : "pending", code: "" });
    return result;
  } catch (err) {
    const refused = err instanceof AppError && err.status < 500;
    metrics.settlements.inc({ kind, outcome: refused ? "refused" : "error", code: err instanceof AppError ? err.code : "" });
    throw err;
  }
}
