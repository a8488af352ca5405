import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from "fastify";
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from "fastify-type-provider-zod";
import { databasePool } from "./db/client.js";
import { instrumentTasks } from "./observability/instrument.js";
import { createMetrics, type Metrics, observeJobQueue, observePool } from "./observability/metrics.js";
import { observability } from "./observability/plugin.js";
import { requestIdOf } from "./observability/request-id.js";
import { censoring, createLogger } from "./lib/logging.js";
import { loadTls } from "./lib/tls.js";
import { clientErrorHandler, frameworkErrors } from "./plugins/error-handler.js";
import { Admission, admittingServer } from "./plugins/load-shedding.js";
import { registerLifecycle } from "./app/lifecycle.js";
import { registerPlugins } from "./app/plugins.js";
import { registerApiRoutes, registerSiteRoutes } from "./app/routes.js";
import { createServices, VERSION } from "./app/services.js";
import { createTasks } from "./app/tasks.js";
import type { AppDeps, RouteInfo } from "./app/types.js";

export { VERSION };
export type { AppDeps, AppServices, RouteInfo } from "./app/types.js";

/**
 * The composition root: builds a ready-to-listen app from its dependencies. Only server.ts listens.
 * Five steps: the server, the services, the plugins, the routes, what runs beside them.
 */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config, db } = deps;
  // Prometheus series (src/observability): served by the admin listener runtime.ts starts (METRICS_PORT).
  const metrics = createMetrics();
  const app = createServer(deps, config.tls ? await loadTls(config.tls) : undefined, metrics);
  app.decorate("metrics", metrics);
  // Past MAX_CONNECTIONS, Node closes a new connection as it arrives (its 'drop' event) before any
  // byte is read: the client sees the connection closed, never a 500, and the open ones go on.
  if (config.maxConnections > 0) app.server.maxConnections = config.maxConnections;
  app.server.on("drop", () => metrics.connectionsRefused.inc());
  const pool = databasePool(db);
  if (pool) observePool(metrics, pool);
  observeJobQueue(metrics, db);
  await app.register(observability, { metrics });

  const services = await createServices(deps, app.log, metrics);
  const tasks = instrumentTasks(createTasks(db, services, deps.config, deps.jwtSecret), metrics);
  const { platforms, users, erasure, products, tokens, mailer, payments, transactions, contracts, settlement, subscriptions, billing } = services;
  app.decorate("services", {
    platforms,
    users: { ...users, ...erasure },
    products,
    tokens,
    mailer,
    tasks,
    leases: services.leases,
    payments,
    transactions,
    contracts,
    settlement,
    subscriptions,
    billing,
    calendars: services.calendars,
    googleCalendar: services.googleCalendar,
  });

  const routeCatalog: RouteInfo[] = [];
  app.decorate("routeCatalog", routeCatalog);
  await registerPlugins(app, { config, db, version: VERSION }, services, routeCatalog);

  let shuttingDown = false;
  app.addHook("preClose", async () => {
    shuttingDown = true;
  });
  await registerSiteRoutes(app, { db, publicUrl: config.publicUrl, isShuttingDown: () => shuttingDown }, services);
  await registerApiRoutes(app, config, services);

  registerLifecycle(app, deps, services, tasks);
  return app;
}

/**
 * Fastify with our server options: HTTPS when configured, the load-shedding gate in front
 * (src/plugins/load-shedding.ts), logging (censored), limits, request ids, zod schemas.
 */
function createServer(deps: AppDeps, https: { cert: Buffer; key: Buffer } | undefined, metrics: Metrics): FastifyInstance {
  const { config } = deps;
  // Whatever logger is handed in, the app's lines go through the same censoring (credentials in
  // headers, bodies and query strings).
  const logger = censoring(deps.logger ?? createLogger({ level: config.logLevel })) as FastifyBaseLogger;
  const admission = new Admission(config.load, logger, metrics.requestsShed);
  const app = Fastify({
    ...(https ? { https } : {}),
    serverFactory: admittingServer(admission, https),
    loggerInstance: logger,
    bodyLimit: config.bodyLimit,
    trustProxy: config.trustProxy,
    requestTimeout: config.requestTimeout,
    // One line per request, written when it is answered (src/observability/plugin.ts), not Fastify's two.
    logController: new LogController({ requestIdLogLabel: "request_id", disableRequestLogging: true }),
    genReqId: (req) => requestIdOf(req.headers),
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 300 },
    frameworkErrors,
    clientErrorHandler,
  }).withTypeProvider<ZodTypeProvider>();

  app.decorate("admission", admission);
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.addHook("onRequest", async (request, reply) => {
    reply.header("request-id", request.id);
    // No answer is ever content-sniffed into something else (a GIF with a script in it is a GIF).
    reply.header("x-content-type-options", "nosniff");
  });
  return app as unknown as FastifyInstance;
}
