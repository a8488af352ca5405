import cors from "@fastify/cors";
import multipart from "@fastify/multipart";
import fastifyStatic from "@fastify/static";
import type { FastifyInstance } from "fastify";
import fs from "node:fs/promises";
import path from "node:path";
import type { Config } from "../config.js";
import type { Db } from "../db/client.js";
import type { Clock } from "../lib/time.js";
import type { PlatformsService } from "../modules/platforms/index.js";
import authPlugin from "../plugins/auth.js";
import errorHandler from "../plugins/error-handler.js";
import idempotency from "../plugins/idempotency.js";
import inputGuard from "../plugins/input-guard.js";
import loadShedding from "../plugins/load-shedding.js";
import openapi from "../plugins/openapi.js";
import pageLinks from "../plugins/page-links.js";
import transportSecurity from "../plugins/transport-security.js";
import { asSystem } from "../db/tenant.js";
import type { Services } from "./services.js";
import type { RouteInfo } from "./types.js";

/**
 * The infrastructure plugins every route runs behind: errors, input guard, CORS, uploads, the media
 * files (disk storage), authentication and rate limits, idempotency, OpenAPI, and the route catalog.
 */
export async function registerPlugins(app: FastifyInstance, deps: { config: Readonly<Config>; db: Db; version: string }, s: Services, routeCatalog: RouteInfo[]): Promise<void> {
  const { config, db } = deps;
  await app.register(errorHandler);
  // First after the errors: a request this node cannot take costs nothing else.
  await app.register(loadShedding, config.load);
  // Before authentication: a key sent in clear is refused without being looked up.
  await app.register(transportSecurity, { hstsMaxAge: config.hstsMaxAge, requireHttps: config.requireHttps });
  await app.register(inputGuard);
  await app.register(cors, {
    origin: corsOrigin(config.cors.origins, s.platforms, s.clock),
    methods: ["GET", "POST", "PUT", "PATCH", "DELETE"],
    allowedHeaders: ["authorization", "api_key", "mode", "content-type", "idempotency-key", "x-request-id"],
    exposedHeaders: ["request-id", "ratelimit-limit", "ratelimit-remaining", "ratelimit-reset", "retry-after", "idempotent-replayed"],
    credentials: false,
    maxAge: 600,
  });
  await app.register(multipart, { limits: { fileSize: config.uploadLimit, files: 1, fields: 10, parts: 11 } });
  if (s.storage.kind === "disk") {
    await fs.mkdir(path.join(config.dataDir, "media"), { recursive: true });
    await app.register(fastifyStatic, {
      root: path.join(config.dataDir, "media"),
      prefix: "/media/",
      decorateReply: false,
      index: false,
      // Uploads are user content on our own origin: never sniffed, and anything but an image is
      // downloaded rather than rendered (so an HTML or SVG file cannot run script here).
      setHeaders: (reply, file) => {
        reply.header("x-content-type-options", "nosniff");
        if (!isInlineImage(file)) reply.header("content-disposition", "attachment");
      },
    });
  }
  await app.register(authPlugin, {
    credentials: s.credentials,
    limiter: s.limiter,
    limits: { perCredential: config.rateLimit.max, perAddress: config.rateLimit.ipMax },
    restrictCollaborator: s.collaboratorAccess.restrict,
  });
  // Every answer a collaborator reads loses what its view permissions hide: one step for every route (docs/api/collaborators.md).
  app.addHook("onSend", s.collaboratorAccess.redactAnswer);
  await app.register(idempotency, { db });
  await app.register(pageLinks, { publicUrl: config.publicUrl });
  await app.register(openapi, { version: deps.version, publicUrl: config.publicUrl });
  // Registered last among the hooks so it sees each route's final config (auth defaults included).
  app.addHook("onRoute", (route) => {
    for (const method of [route.method].flat()) {
      if (method === "HEAD" || method === "OPTIONS") continue;
      routeCatalog.push({ method, url: route.url, auth: route.config?.auth, hidden: Boolean((route.schema as { hide?: boolean } | undefined)?.hide) });
    }
  });
}

/** The raster images we store and let browsers show inline (SVG can carry script: not one of them). */
const INLINE_IMAGE = /\.(?:png|jpe?g|gif|webp)$/i;
function isInlineImage(file: string): boolean {
  return INLINE_IMAGE.test(file);
}

/** CORS: configured origins, plus each platform's own `url` and domains (cached for a minute). */
function corsOrigin(configured: readonly string[], platforms: Pick<PlatformsService, "isKnownOrigin">, clock: Clock) {
  const fixed = new Set(configured);
  const cache = new Map<string, { allowed: boolean; until: number }>();
  return (origin: string | undefined, callback: (err: Error | null, allow: boolean) => void) => {
    if (!origin) return callback(null, true); // not a browser request
    if (fixed.has("*") || fixed.has(origin)) return callback(null, true);
    const now = clock.now().getTime();
    const cached = cache.get(origin);
    if (cached && cached.until > now) return callback(null, cached.allowed);
    // Any platform's origin may call: looked up across platforms (docs/tenancy.md).
    asSystem(() => platforms.isKnownOrigin(origin)).then(
      (allowed) => {
        if (cache.size > 10_000) cache.clear();
        cache.set(origin, { allowed, until: now + 60_000 });
        callback(null, allowed);
      },
      () => callback(null, false),
    );
  };
}
