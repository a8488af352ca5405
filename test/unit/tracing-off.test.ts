import { trace } from "@opentelemetry/api";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { startTracing } from "../../src/observability/tracing.js";

/** Traces are exported only when OTEL_EXPORTER_OTLP_ENDPOINT is set (test/integration/tracing.test.ts); otherwise nothing is started. */
describe("tracing without OTEL_EXPORTER_OTLP_ENDPOINT", () => {
  it("is off — also when set empty, as docker-compose.yml passes it — and spans are no-ops", async () => {
    for (const env of [{}, { OTEL_EXPORTER_OTLP_ENDPOINT: "" }]) {
      const config = loadConfig(env);
      expect(config.tracing.endpoint).toBeUndefined();
      expect(await startTracing(config)).toBeUndefined();
    }
    const span = trace.getTracer("candle-api").startSpan("anything");
    expect(span.isRecording()).toBe(false);
    span.end();
  });
});
