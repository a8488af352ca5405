import type { FastifyInstance, FastifyRequest } from "fastify";
import fp from "fastify-plugin";
import sjson from "secure-json-parse";
import { z } from "zod";
import { ValidationError } from "../lib/errors.js";

/**
 * Text PostgreSQL cannot store — a NUL character (`\u0000`), or half of a UTF-16 surrogate pair
 * (`\ud800` alone, which has no UTF-8 form, and which Prisma's query protocol refuses to carry) —
 * would reach the database and fail there as a 500. Refuse it up front, naming the field: in JSON
 * bodies (parsed like Fastify's own parser, with prototype-poisoning protection) and in path and
 * query parameters. JSON bodies nested deeper than any route's schema are refused before they are
 * parsed, so no recursive code meets them.
 */
const MAX_BODY_DEPTH = 64;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
// A body can hold either only where its text has an escape for it (raw bytes decode to valid UTF-16).
const ESCAPED_SUSPECT = /\\u(0000|[dD][89a-fA-F])/;

class UnstorableTextError extends ValidationError {
  constructor(param: string, what: string) {
    super("parameter_invalid", `\`${param}\` contains ${what}, which is not allowed.`, param || undefined);
  }
}

function unstorable(text: string): string | undefined {
  if (text.includes("\u0000")) return "a NUL character (\\u0000)";
  if (LONE_SURROGATE.test(text)) return "an unpaired UTF-16 surrogate (not valid Unicode)";
  return undefined;
}

function rejectUnstorable(this: unknown, key: string, value: unknown): unknown {
  const inKey = unstorable(key);
  if (inKey) throw new UnstorableTextError("", inKey);
  const inValue = typeof value === "string" ? unstorable(value) : undefined;
  if (inValue) throw new UnstorableTextError(key, inValue);
  return value;
}

function checkStrings(where: unknown): void {
  if (!where || typeof where !== "object") return;
  for (const [key, value] of Object.entries(where as Record<string, unknown>)) {
    for (const v of Array.isArray(value) ? value : [value]) {
      const problem = unstorable(key) ?? (typeof v === "string" ? unstorable(v) : undefined);
      if (problem) throw new UnstorableTextError(key, problem);
    }
  }
}

/** Whether a JSON text nests objects and arrays deeper than `max` (brackets inside strings aside). */
export function nestsDeeperThan(text: string, max: number): boolean {
  if (text.length <= max) return false;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i += 1; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      depth += 1;
      if (depth > max) return true;
    } else if (c === 0x7d || c === 0x5d) depth -= 1;
  }
  return false;
}

async function inputGuard(app: FastifyInstance): Promise<void> {
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (_request, body, done) => {
    const text = body as string;
    // An empty body is no body, whatever its Content-Type: clients (Candle's SDK among them, and
    // curl with a header but no data) send `application/json` on body-less DELETEs and POSTs. A
    // route whose schema needs a body still refuses the absent one, naming it.
    if (text.length === 0) return done(null, undefined);
    if (nestsDeeperThan(text, MAX_BODY_DEPTH)) {
      return done(new ValidationError("body_invalid", `The request body is nested more than ${MAX_BODY_DEPTH} levels deep.`), undefined);
    }
    try {
      // The reviver walks every value; only pay for it when the text can hold such a character at all.
      const reviver = ESCAPED_SUSPECT.test(text) ? rejectUnstorable : undefined;
      done(null, sjson.parse(text, reviver, { protoAction: "error", constructorAction: "error" }));
    } catch (err) {
      if (err instanceof UnstorableTextError) return done(err, undefined);
      done(Object.assign(new Error("The request body is not valid JSON."), { code: "FST_ERR_CTP_INVALID_JSON_BODY", statusCode: 400 }), undefined);
    }
  });

  app.addHook("preValidation", async (request: FastifyRequest) => {
    checkStrings(request.params);
    checkStrings(request.query);
    // A route whose body has only optional fields reads an absent body (not a JSON `null`) as `{}`,
    // as its OpenAPI operation says the body may be left out. A body that needs a field is still refused.
    if (request.body === undefined) {
      const schema = request.routeOptions.schema?.body;
      if (schema instanceof z.ZodObject && schema.safeParse({}).success) request.body = {};
    }
  });
}

export default fp(inputGuard, { name: "input-guard" });
