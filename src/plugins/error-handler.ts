import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import fp from "fastify-plugin";
import FindMyWay, { type HTTPMethod } from "find-my-way";
import { STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from "fastify-type-provider-zod";
import { poolTimedOut, uniqueViolation } from "../db/errors.js";
import { errorEnvelopeSchema } from "../lib/error-envelope.js";
import type { ErrorCode } from "../lib/error-codes.js";
import { AppError, type ErrorType } from "../lib/errors.js";
import { uuidv7Hex } from "../lib/ids.js";

/**
 * One error envelope for every failure (README, "Conventions"):
 * `{ "error": { "type", "code", "message", "param"?, "request_id" } }`.
 * 4xx answers say what was wrong with the request; 5xx answers never carry internal detail.
 */

export { errorEnvelopeSchema };

/** Fields clients may read in our objects but never write; sending one is a 400 naming it. */
export const SERVER_OWNED_FIELDS = new Set([
  "id",
  "platform_id",
  "mode",
  "created",
  "updated",
  "admins",
  "activeSubscription",
  "stripeConnectId",
  "stripeCustomerId",
  "chargesEnabled",
  "detailsSubmitted",
  "authenticated",
  "scheduledDeletion",
  "suspended",
  "paymentMethods",
  "isAvailableInStock",
  "effectivePrice",
  "archived",
  "variants",
  "cart_id",
  "subTotal",
  "total",
  "status",
  "sent",
  "lastSent",
  "paid",
  "lastPaymentAttempt",
  "amountPaid",
  "amountReceived",
  "baseAmountDue",
  "baseAmountOwed",
  "stripeChargeId",
  "position",
  "granted",
  "secret",
  "last4",
  "lastUsed",
  "revoked",
  "isActive",
  "isPaused",
  "pausedAt",
  "ended",
  "pastDue",
  "failedAttempts",
  "currentPeriodStart",
  "currentPeriodEnd",
]);

interface Envelope {
  status: number;
  type: ErrorType;
  code: ErrorCode;
  message: string;
  param?: string;
  extra?: Record<string, unknown>;
  headers?: Record<string, string>;
}

type ValidationIssue = { instancePath: string; keyword: string; message?: string; params: Record<string, unknown> };

function pathToParam(instancePath: string): string {
  return instancePath
    .split("/")
    .filter((p) => p.length > 0)
    .join(".");
}

/**
 * Whether the client left out the field at a validation issue's path: its parent object was sent
 * but the field was not. (A body reshaped before validation — a bare array wrapped as an object —
 * has no such parent, and its issues read as invalid rather than missing.)
 */
function isLeftOut(request: FastifyRequest, context: string | undefined, instancePath: string): boolean {
  const segments = instancePath.split("/").filter((p) => p.length > 0);
  if (segments.length === 0) return false;
  let parent: unknown = context === "querystring" ? request.query : context === "params" ? request.params : context === "headers" ? request.headers : request.body;
  for (const segment of segments.slice(0, -1)) {
    if (parent === null || typeof parent !== "object") return false;
    parent = (parent as Record<string, unknown>)[segment];
  }
  return parent !== null && typeof parent === "object" && (parent as Record<string, unknown>)[segments.at(-1)!] === undefined;
}

function fromValidation(issues: ValidationIssue[], context: string | undefined, request: FastifyRequest): Envelope {
  const issue = issues[0]!;
  // A query parameter is named as sent (`filter[role]`), not down to the element of its value.
  // (The first segment of the path: a parameter's own name may hold dots, `filter[metafields.ns.key]`.)
  const base = context === "querystring" ? (issue.instancePath.split("/").filter((p) => p.length > 0)[0] ?? "") : pathToParam(issue.instancePath);
  const where = context === "querystring" ? "query parameter" : context === "params" ? "path parameter" : context === "headers" ? "header" : "field";
  if (issue.keyword === "unrecognized_keys") {
    const keys = (issue.params.keys as string[] | undefined) ?? [];
    const key = keys[0] ?? "";
    const param = base ? `${base}.${key}` : key;
    if (SERVER_OWNED_FIELDS.has(key) && context === "body") {
      return { status: 400, type: "invalid_request_error", code: "parameter_not_writable", param, message: `\`${param}\` is set by the server and cannot be written.` };
    }
    return { status: 400, type: "invalid_request_error", code: "parameter_unknown", param, message: `Unknown ${where} \`${param}\`.` };
  }
  // Judged from what was sent, not from the wording of the schema's message.
  const missing = isLeftOut(request, context, issue.instancePath);
  if (!base && context === "body") {
    // No body at all (none sent, or an empty one with a JSON content type) where the route needs fields.
    if (request.body === undefined)
      return { status: 400, type: "invalid_request_error", code: "body_invalid", message: "The request body is missing: send a JSON object with the required fields." };
    return { status: 400, type: "invalid_request_error", code: "body_invalid", message: `The request body is invalid: ${issue.message ?? "not an object"}.` };
  }
  return {
    status: 400,
    type: "invalid_request_error",
    code: missing ? "parameter_missing" : "parameter_invalid",
    param: base || undefined,
    message: missing ? `Missing required ${where} \`${base}\`.` : `Invalid ${where} \`${base}\`: ${issue.message ?? "invalid value"}.`,
  };
}

const FASTIFY_CODES: Record<string, Omit<Envelope, "message"> & { message?: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, type: "invalid_request_error", code: "payload_too_large" },
  FST_REQ_FILE_TOO_LARGE: { status: 413, type: "invalid_request_error", code: "payload_too_large", message: "The uploaded file is too large." },
  FST_PARTS_LIMIT: { status: 413, type: "invalid_request_error", code: "payload_too_large", message: "Too many parts in the upload." },
  FST_FILES_LIMIT: { status: 413, type: "invalid_request_error", code: "payload_too_large", message: "Send one file per upload." },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, type: "invalid_request_error", code: "unsupported_media_type" },
  FST_INVALID_MULTIPART_CONTENT_TYPE: { status: 415, type: "invalid_request_error", code: "unsupported_media_type", message: "Send the file as multipart/form-data." },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, type: "invalid_request_error", code: "body_invalid", message: "The request body is empty but its Content-Type is application/json." },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, type: "invalid_request_error", code: "body_invalid", message: "The request body is not valid JSON." },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, type: "invalid_request_error", code: "body_invalid", message: "Content-Length does not match the body." },
  FST_ERR_CTP_INSTANCE_ALREADY_STARTED: { status: 500, type: "api_error", code: "internal_error" },
  // Raised by the router, before any route or hook runs (see `frameworkErrors` in app.ts).
  FST_ERR_BAD_URL: { status: 400, type: "invalid_request_error", code: "url_invalid", message: "The URL is not valid: check its percent-encoding." },
  FST_ERR_MAX_PARAM_LENGTH: { status: 414, type: "invalid_request_error", code: "url_too_long", message: "A path parameter of the URL is too long." },
};

/** Failures of the database connection itself: the client did nothing wrong, retrying may work. */
const UNREACHABLE_KINDS = ["DatabaseNotReachable", "ConnectionClosed", "SocketTimeout", "TooManyConnections"];

/** SQLSTATEs of a server going away or refusing connections: connection exceptions (08…), shutdowns, too many connections. */
const UNAVAILABLE_SQLSTATE = /^(08...|57P0[1-3]|53300)$/;

export function isDatabaseUnavailable(err: unknown): boolean {
  const e = err as { code?: string; name?: string; message?: string; cause?: unknown; meta?: { driverAdapterError?: { cause?: { kind?: string } } } };
  const code = e?.code ?? "";
  if (["P1001", "P1002", "P1008", "P1017", "ECONNREFUSED", "ECONNRESET", "57P01", "57P02", "57P03", "53300"].includes(code)) return true;
  // A query cut short by the server shutting down comes back as a failed query (P2010, or a
  // driver-adapter error) carrying PostgreSQL's code, e.g. 57P01 "terminating connection due to administrator command".
  if (UNAVAILABLE_SQLSTATE.test(postgresCode(err) ?? "")) return true;
  // $queryRaw reports connection failures as P2010 ("raw query failed") with the driver's reason.
  if (UNREACHABLE_KINDS.includes(e?.meta?.driverAdapterError?.cause?.kind ?? "")) return true;
  // pg's own words when the server closes a connection mid-query (a fast shutdown, a crash): a
  // plain Error, no code, sometimes unwrapped by the adapter.
  if (/^Connection terminated( unexpectedly)?$/.test(String(e?.message ?? ""))) return true;
  if (e?.name === "DriverAdapterError" || e?.name === "PrismaClientInitializationError") {
    const msg = String(e.message ?? "");
    if (/ECONNREFUSED|ECONNRESET|terminat|timeout|Connection|connect/i.test(msg)) return true;
  }
  return e?.cause !== undefined && e.cause !== err ? isDatabaseUnavailable(e.cause) : false;
}

/** The PostgreSQL SQLSTATE behind a Prisma / driver-adapter error, when there is one. */
function postgresCode(err: unknown): string | undefined {
  const e = err as { name?: string; cause?: { originalCode?: string }; meta?: { driverAdapterError?: { cause?: { originalCode?: string } } } };
  return e?.cause?.originalCode ?? e?.meta?.driverAdapterError?.cause?.originalCode;
}

/** Load, not a fault: every pool connection is taken, or a transaction could not finish in its time. */
const DATABASE_BUSY: Envelope = {
  status: 503,
  type: "api_error",
  code: "database_busy",
  message: "The database is too busy to complete this request in time; nothing was changed. Retry shortly.",
  headers: { "retry-after": "1" },
};

function fromDatabase(err: { code?: string; meta?: Record<string, unknown> }): Envelope | undefined {
  switch (err.code) {
    case "P2002": {
      const fields = (uniqueViolation(err) ?? []).filter((f) => f !== "platform_id" && f !== "platformId");
      return {
        status: 409,
        type: "invalid_request_error",
        code: "resource_already_exists",
        param: fields[0],
        message: fields.length ? `Another object already uses this ${fields.join(", ")}.` : "This object conflicts with an existing one.",
      };
    }
    case "P2025":
      return { status: 404, type: "invalid_request_error", code: "resource_missing", message: "No such object." };
    case "P2028":
      // The transaction waited too long for a connection, or ran past its time (locks held by others).
      return DATABASE_BUSY;
    case "P2034":
      return { status: 409, type: "invalid_request_error", code: "concurrent_update", message: "The object changed while this request ran. Retry it." };
  }
  switch (postgresCode(err)) {
    case "40001":
    case "40P01":
      return { status: 409, type: "invalid_request_error", code: "concurrent_update", message: "The object changed while this request ran. Retry it." };
    // Values the schema let through but PostgreSQL cannot store (encoding, size, range).
    case "22021":
    case "22P05":
    case "22001":
    case "22003":
    case "54000":
      return { status: 400, type: "invalid_request_error", code: "parameter_invalid", message: "A value in the request cannot be stored: check its characters and size." };
  }
  return undefined;
}

export function toEnvelope(err: unknown, request: FastifyRequest): Envelope {
  if (err instanceof AppError) {
    return { status: err.status, type: err.type, code: err.code, message: err.message, param: err.param, extra: err.extra, headers: err.headers };
  }
  if (hasZodFastifySchemaValidationErrors(err)) {
    return fromValidation(err.validation as unknown as ValidationIssue[], (err as FastifyError).validationContext, request);
  }
  const ferr = err as FastifyError & { code?: string; meta?: Record<string, unknown> };
  const database = fromDatabase(ferr);
  if (database) return database;
  if (poolTimedOut(err)) return { ...DATABASE_BUSY, message: "Every database connection is busy; the request could not be served in time. Retry shortly." };
  if (isDatabaseUnavailable(err)) {
    return { status: 503, type: "api_error", code: "database_unavailable", message: "The database is unavailable. Retry shortly.", headers: { "retry-after": "1" } };
  }
  const known = typeof ferr?.code === "string" ? FASTIFY_CODES[ferr.code] : undefined;
  if (known) return { ...known, message: known.message ?? ferr.message };
  if (!isResponseSerializationError(ferr as never) && typeof ferr?.statusCode === "number" && ferr.statusCode >= 400 && ferr.statusCode < 500) {
    return { status: ferr.statusCode, type: "invalid_request_error", code: "invalid_request", message: ferr.message };
  }
  return {
    status: 500,
    type: "api_error",
    code: "internal_error",
    message: "An unexpected error occurred. It has been logged; retry later or contact support with the request id.",
  };
}

/** The error each request was answered with, for its log line and metrics (src/observability). */
export const answeredErrors = new WeakMap<FastifyRequest, { code: string; message: string }>();

export function sendError(reply: FastifyReply, envelope: Envelope): FastifyReply {
  answeredErrors.set(reply.request, { code: envelope.code, message: envelope.message });
  if (envelope.headers) for (const [k, v] of Object.entries(envelope.headers)) reply.header(k, v);
  return reply
    .code(envelope.status)
    .type("application/json; charset=utf-8")
    .send(
      JSON.stringify({
        error: {
          type: envelope.type,
          code: envelope.code,
          message: envelope.message,
          ...(envelope.param ? { param: envelope.param } : {}),
          ...envelope.extra,
          request_id: String(reply.request.id),
        },
      }),
    );
}

const ALL_METHODS: HTTPMethod[] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

async function errorHandlerPlugin(app: FastifyInstance): Promise<void> {
  app.setErrorHandler((err, request, reply) => {
    const envelope = toEnvelope(err, request);
    if (envelope.status >= 500) {
      request.log.error({ err }, "request failed");
    } else {
      // The request's one line (src/observability/plugin.ts) carries the code and message.
      request.log.debug({ code: envelope.code, status: envelope.status }, envelope.message);
    }
    return sendError(reply, envelope);
  });

  // Which methods each path takes, matched the way the router matches (parameters, wildcards,
  // trailing slashes), so a wrong method on a real path answers 405 with `Allow`, not 404.
  const paths = FindMyWay({ ignoreTrailingSlash: true, maxParamLength: 300 });
  const noop = () => {};
  app.addHook("onRoute", (route) => {
    for (const method of [route.method].flat()) {
      try {
        paths.on(method as HTTPMethod, route.url, noop);
      } catch {
        // Registered already (a route declared for the same method and path twice, e.g. HEAD).
      }
    }
  });
  const allowedMethods = (path: string): string[] => ALL_METHODS.filter((method) => paths.find(method, path) !== null);

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split("?")[0]!;
    const allowed = allowedMethods(path);
    if (allowed.some((method) => method !== "OPTIONS")) {
      reply.header("allow", allowed.join(", "));
      return sendError(reply, {
        status: 405,
        type: "invalid_request_error",
        code: "method_not_allowed",
        message: `${path} does not take ${request.method}: it takes ${allowed.join(", ")}.`,
      });
    }
    return sendError(reply, {
      status: 404,
      type: "invalid_request_error",
      code: "route_not_found",
      message: `Unrecognized request URL (${request.method} ${path}).`,
    });
  });
}

export default fp(errorHandlerPlugin, { name: "error-handler" });

/**
 * Fastify's `clientErrorHandler`: requests Node's HTTP parser refuses before Fastify sees them
 * (headers over 16 KB, malformed HTTP, a client too slow to send its request). There is no request
 * yet, so the answer is written on the socket by hand — in the envelope, with an id of its own.
 */
export function clientErrorHandler(this: { log: { debug(obj: unknown, msg: string): void } }, err: NodeJS.ErrnoException, socket: Duplex): void {
  if (err.code === "ECONNRESET" || socket.destroyed) return;
  const [status, code, message] =
    err.code === "HPE_HEADER_OVERFLOW"
      ? [431, "headers_too_large", "The request's headers (URL included) are too large."]
      : err.code === "ERR_HTTP_REQUEST_TIMEOUT"
        ? [408, "request_timeout", "The request was not received in time."]
        : [400, "request_malformed", "The request is not valid HTTP."];
  this.log.debug({ err }, "client error");
  if (socket.writable) {
    const requestId = `req_${uuidv7Hex()}`;
    const body = JSON.stringify({ error: { type: "invalid_request_error", code, message, request_id: requestId } });
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `Request-Id: ${requestId}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(err);
}

/**
 * Fastify's `frameworkErrors`: failures its router meets before the request reaches a route (a
 * malformed percent-encoding, an over-long path parameter). Without it they are answered in
 * Fastify's own shape, outside the envelope, and without the request id.
 */
export function frameworkErrors(err: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  reply.header("request-id", request.id);
  request.log.debug({ code: err.code }, err.message);
  return sendError(reply, toEnvelope(err, request));
}
