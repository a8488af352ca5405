import type { IncomingHttpHeaders } from "node:http";
import { uuidv7Hex } from "../lib/ids.js";

/** Where plugin.ts notes the request id on the raw request, for the HTTP server span (tracing.ts). */
export const REQUEST_ID = Symbol.for("candle.requestId");

/** A caller's `X-Request-Id` worth keeping (short, no spaces or separators that could split a log line or header). */
const INCOMING = /^[A-Za-z0-9._:-]{1,128}$/;

/** A request's id: the caller's `X-Request-Id` when it is a sane one, else a new `req_…` (Fastify's genReqId, and load shedding's refusals). */
export function requestIdOf(headers: IncomingHttpHeaders): string {
  const incoming = headers["x-request-id"];
  return typeof incoming === "string" && INCOMING.test(incoming) ? incoming : `req_${uuidv7Hex()}`;
}
