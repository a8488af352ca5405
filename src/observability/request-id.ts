/** Where plugin.ts notes the request id on the raw request, for the HTTP server span (tracing.ts). */
export const REQUEST_ID = Symbol.for("candle.requestId");
