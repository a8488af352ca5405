import { ConfigError, loadConfig } from "./config.js";
import { asSystem } from "./db/tenant.js";
import { startRuntime, createLogger } from "./runtime.js";

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
  const logger = createLogger(config);
  const runtime = await startRuntime(config, logger);
  const { app } = runtime;

  if (config.seedDemoPlatform) {
    const demo = await asSystem(() => app.services.platforms.createIfNone({ name: "Demo Marketplace", mode: "test", description: "Created on first start." }));
    if (demo) {
      // Printed once, on the first start of an empty database: only its hash is stored.
      process.stdout.write(
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
    runtime.close().then(
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

  await app.listen({ port: config.port, host: config.host });
  logger.info(`API docs at ${config.publicUrl}/docs`);
}

main().catch((err) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exit(1);
});
