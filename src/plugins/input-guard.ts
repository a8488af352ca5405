import type { FastifyInstance, FastifyRequest } from "fastify";
import fp from "fastify-plugin";
import sjson from "secure-json-parse";
import { ValidationError } from "../lib/errors.js";

/**
 * PostgreSQL text cannot hold NUL characters, so a `\u0000` anywhere in the input would reach the
 * database and fail there. Refuse it up front, naming the field: in JSON bodies (parsed like
 * Fastify's own parser, with prototype-poisoning protection) and in path and query parameters.
 */
class NulCharacterError extends ValidationError {
  constructor(param: string) {
    super(`\`${param}\` contains a NUL character (\\u0000), which is not allowed.`, param || undefined);
  }
}

function rejectNul(this: unknown, key: string, value: unknown): unknown {
  if (typeof value === "string" && value.includes("\u0000")) throw new NulCharacterError(key);
  if (key.includes("\u0000")) throw new NulCharacterError("");
  return value;
}

function checkStrings(where: unknown): void {
  if (!where || typeof where !== "object") return;
  for (const [key, value] of Object.entries(where as Record<string, unknown>)) {
    for (const v of Array.isArray(value) ? value : [value]) {
      if ((typeof v === "string" && v.includes("\u0000")) || key.includes("\u0000")) throw new NulCharacterError(key);
    }
  }
}

async function inputGuard(app: FastifyInstance): Promise<void> {
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (_request, body, done) => {
    const text = body as string;
    if (text.length === 0) {
      const err = Object.assign(new Error("The request body is empty but its Content-Type is application/json."), {
        code: "FST_ERR_CTP_EMPTY_JSON_BODY",
        statusCode: 400,
      });
      return done(err, undefined);
    }
    try {
      // The reviver walks every value; only pay for it when the text can hold a NUL at all.
      const reviver = text.includes("\\u0000") ? rejectNul : undefined;
      done(null, sjson.parse(text, reviver, { protoAction: "error", constructorAction: "error" }));
    } catch (err) {
      if (err instanceof NulCharacterError) return done(err, undefined);
      done(Object.assign(new Error("The request body is not valid JSON."), { code: "FST_ERR_CTP_INVALID_JSON_BODY", statusCode: 400 }), undefined);
    }
  });

  app.addHook("preValidation", async (request: FastifyRequest) => {
    checkStrings(request.params);
    checkStrings(request.query);
  });
}

export default fp(inputGuard, { name: "input-guard" });
