import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import fp from "fastify-plugin";
import type { Db } from "../db/client.js";
import { sha256Hex } from "../lib/crypto.js";
import { AppError, type ErrorCode, ValidationError } from "../lib/errors.js";
import { newId } from "../lib/ids.js";

/**
 * `Idempotency-Key` on every request that changes something — POST, PUT, PATCH and DELETE (a
 * settlement's PUT charges cards; a lost answer must be retryable) — after Stripe: the first answer to a key is kept for
 * 24 h and replayed to every retry (`Idempotent-Replayed: true`); the same key with another body is
 * a 422; a retry while the first request still runs is a 409. Keys belong to the caller — the
 * platform, narrowed to the signed-in user when there is one, or the client address on public
 * routes — so two callers never see each other's answers. Requests that failed validation are not
 * recorded (they never started), and 5xx answers release the key so the retry runs again.
 */

const TTL_MS = 24 * 60 * 60 * 1000;
// A request recorded as running for this long died with its node; a retry may take the key over.
const STALE_IN_FLIGHT_MS = 60_000;
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;
const CHANGES_STATE = new Set(["POST", "PUT", "PATCH", "DELETE"]);

declare module "fastify" {
  interface FastifyRequest {
    idempotencyRecordId: string | null;
  }
}

function scopeOf(request: FastifyRequest): { scope: string; platformId: string | null } {
  const auth = request.auth;
  if (!auth) return { scope: `ip:${request.ip}`, platformId: null };
  return { scope: auth.user ? `${auth.platformId}:${auth.user.id}` : auth.platformId, platformId: auth.platformId };
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === "object" && !(value instanceof Buffer)) {
    return Object.fromEntries(
      Object.keys(value as object)
        .sort()
        .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

function requestHash(request: FastifyRequest): string {
  // File uploads are streamed after this hook runs, so their fingerprint is their size and type.
  const body = request.isMultipart()
    ? `multipart:${request.headers["content-length"] ?? ""}`
    : Buffer.isBuffer(request.body)
      ? `raw:${sha256Hex(request.body)}` // a file PUT to a signed upload URL
      : JSON.stringify(canonical(request.body ?? null));
  return sha256Hex(`${request.method} ${request.url}\n${body}`);
}

class IdempotencyError extends AppError {
  constructor(status: number, code: ErrorCode, message: string) {
    super(status, "idempotency_error", code, message, { param: "Idempotency-Key" });
  }
}

declare module "fastify" {
  interface FastifyContextConfig {
    /** false: the route speaks a protocol of its own (the OAuth server's, whose codes are single-use and whose answers are never replayed). */
    idempotency?: boolean;
  }
}

async function idempotencyPlugin(app: FastifyInstance, options: { db: Db }): Promise<void> {
  const { db } = options;
  app.decorateRequest("idempotencyRecordId", null);

  app.addHook("preHandler", async (request: FastifyRequest, reply: FastifyReply) => {
    if (!CHANGES_STATE.has(request.method) || request.routeOptions.config.idempotency === false) return;
    const raw = request.headers["idempotency-key"];
    if (raw === undefined) return;
    const key = Array.isArray(raw) ? raw[0]! : raw;
    if (!KEY_PATTERN.test(key)) throw new ValidationError("parameter_invalid", "Idempotency-Key must be 1 to 255 printable ASCII characters.", "Idempotency-Key");

    const { scope, platformId } = scopeOf(request);
    const hash = requestHash(request);
    const mode = request.auth?.mode ?? null;

    for (let attempt = 0; attempt < 3; attempt += 1) {
      const id = newId("idempotency");
      const now = Date.now();
      const inserted = await db.idempotencyRecord.createMany({
        data: [{ id, scope, platformId, mode, key, method: request.method, path: request.url, requestHash: hash, expires: new Date(now + TTL_MS) }],
        skipDuplicates: true,
      });
      if (inserted.count === 1) {
        request.idempotencyRecordId = id;
        return;
      }
      const existing = await db.idempotencyRecord.findUnique({ where: { scope_key: { scope, key } } });
      if (!existing) continue; // removed meanwhile: try to claim it again
      if (existing.expires.getTime() <= now) {
        await db.idempotencyRecord.deleteMany({ where: { id: existing.id, expires: { lte: new Date(now) } } });
        continue;
      }
      if (existing.requestHash !== hash) {
        throw new IdempotencyError(422, "idempotency_key_reused", "This Idempotency-Key was already used with a different request. Use a new key for a new request.");
      }
      if (existing.completed && existing.responseStatus !== null) {
        return reply
          .code(existing.responseStatus)
          .header("idempotent-replayed", "true")
          .type("application/json; charset=utf-8")
          .send(existing.responseBody ?? "");
      }
      if (now - existing.created.getTime() > STALE_IN_FLIGHT_MS) {
        const taken = await db.idempotencyRecord.updateMany({
          where: { id: existing.id, completed: null, created: existing.created },
          data: { created: new Date(now) },
        });
        if (taken.count === 1) {
          request.idempotencyRecordId = existing.id;
          return;
        }
      }
      throw new IdempotencyError(409, "idempotency_request_in_progress", "A request with this Idempotency-Key is still being processed. Retry after it finishes.");
    }
    throw new IdempotencyError(409, "idempotency_request_in_progress", "This Idempotency-Key is contended. Retry shortly.");
  });

  app.addHook("onSend", async (request, reply, payload) => {
    const id = request.idempotencyRecordId;
    if (!id) return payload;
    request.idempotencyRecordId = null;
    if (reply.statusCode >= 500) {
      await db.idempotencyRecord.deleteMany({ where: { id } }).catch((err) => request.log.error({ err }, "could not release idempotency key"));
      return payload;
    }
    const body = typeof payload === "string" ? payload : Buffer.isBuffer(payload) ? payload.toString("utf8") : payload == null ? "" : null;
    if (body === null) {
      // A streamed answer cannot be replayed; release the key rather than replay something else.
      await db.idempotencyRecord.deleteMany({ where: { id } });
      return payload;
    }
    await db.idempotencyRecord.update({ where: { id }, data: { responseStatus: reply.statusCode, responseBody: body, completed: new Date() } });
    return payload;
  });
}

export default fp(idempotencyPlugin, { name: "idempotency", dependencies: ["auth"] });

/** Deletes expired records; safe to run on every node. */
export async function sweepIdempotencyRecords(db: Db, now = new Date()): Promise<number> {
  const { count } = await db.idempotencyRecord.deleteMany({ where: { expires: { lte: now } } });
  return count;
}
