import { ConfigError, loadConfig } from "./config.js";
import { startTracing } from "./observability/tracing.js";

/** Starts a node: the runtime, the demo platform of a fresh install, the listener, graceful shutdown. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
  // Tracing patches modules as they load: start it before the rest of the app is imported.
  const tracing = await startTracing(config);
  const { startRuntime, createLogger } = await import("./runtime.js");
  const { asSystem } = await import("./db/tenant.js");
  const logger = createLogger(config);
  if (tracing) logger.info(`traces: exported over OTLP to ${config.tracing.endpoint}`);
  const runtime = await startRuntime(config, logger);
  const { app } = runtime;

  if (config.seedDemoPlatform) {
    const demo = await asSystem(() => app.services.platforms.createIfNone({ name: "Demo Marketplace", mode: "test", description: "Created on first start." }));
    if (demo) {
      // Printed once, on the first start of an empty database (only its hash is stored): plain text
      // on stderr — the terminal, or `docker compose logs` — never a line of the JSON log stream.
      logger.info({ platformId: demo.platform.id }, "demo platform created; its API key is printed on stderr");
      process.stderr.write(
        `\n  Demo platform created: ${demo.platform.name} (${demo.platform.id}, test mode)\n` +
          `  API key (shown once): ${demo.apiKey}\n` +
          `  Try: curl -H "Authorization: Bearer ${demo.apiKey}" ${config.publicUrl}/v1/platforms\n\n`,
      );
    }
  }

  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, "shutting down: draining requests");
    const timer = setTimeout(() => {
      logger.error("shutdown timed out; exiting");
      process.exit(1);
    }, config.shutdownTimeout);
    timer.unref();
    runtime
      .close()
      .then(() => tracing?.shutdown())
      .then(
        () => {
          logger.info("shut down cleanly");
          process.exit(0);
        },
        (err) => {
          logger.error({ err }, "error while shutting down");
          process.exit(1);
        },
      );
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));

  // A long accept queue (the kernel caps it at net.core.somaxconn): under a flood of new
  // connections the node accepts them only between bursts of work, and with Node's default of 511
  // (or even 1024) the queue overflowed at 1000 clients — each dropped SYN waits the kernel's
  // one-second retransmission, then two, then four (bench/RESULTS.md, "Overload").
  await app.listen({ port: config.port, host: config.host, backlog: Math.max(4096, config.maxConnections) });
  logger.info(`API docs at ${config.publicUrl}/docs`);
}

main().catch((err) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exit(1);
});
