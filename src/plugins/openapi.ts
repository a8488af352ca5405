import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import { jsonSchemaTransform, jsonSchemaTransformObject } from "fastify-type-provider-zod";
import { ERROR_CODES, ERROR_CODE_LIST, type ErrorCode } from "../lib/error-codes.js";
import type { RouteAuth } from "./auth.js";
import { ExampleBuilder, type Schema } from "./openapi-examples.js";

type JsonSchema = { required?: string[]; anyOf?: JsonSchema[]; type?: string };
type Content = Record<string, { schema?: Schema; example?: unknown }>;
type Parameter = { in: string; name: string; required?: boolean; schema?: Schema; example?: unknown };
type Operation = {
  operationId?: string;
  summary?: string;
  security?: Record<string, string[]>[];
  parameters?: Parameter[];
  requestBody?: { required?: boolean; content?: Content };
  responses?: Record<string, { description?: string; content?: Content }>;
  "x-codeSamples"?: { lang: string; label: string; source: string }[];
};
type OpenApiDocument = { servers?: { url: string }[]; paths?: Record<string, Record<string, Operation>>; components?: { schemas?: Record<string, Schema> } };

/** Whether a body schema names any required property (in its object branch, when it also accepts null). */
function requiresProperties(schema: JsonSchema | Schema | undefined): boolean {
  if (!schema) return false;
  if ((schema.required?.length ?? 0) > 0) return true;
  return (schema.anyOf ?? []).some(requiresProperties);
}

/**
 * @fastify/swagger marks every request body required, so generated clients could not call a
 * body-less operation (settle, grant, send, a DELETE) without passing a body. A body with no
 * required property may be left out: the server reads an absent body as none, or as `{}`.
 */
function optionalBodies<T extends OpenApiDocument>(document: T): T {
  for (const operations of Object.values(document.paths ?? {})) {
    for (const operation of Object.values(operations)) {
      const body = operation.requestBody;
      if (!body) continue;
      const schemas = Object.values(body.content ?? {}).map((c) => c.schema);
      if (!schemas.some(requiresProperties)) body.required = false;
    }
  }
  return document;
}

/**
 * fastify-type-provider-zod publishes each shared schema twice, `X` (as answered) and `XInput` (as
 * read in a body), differing only in `additionalProperties: false`; our inputs refuse unknown
 * fields anyway, so the one `X` serves both.
 */
function dropInputDuplicates<T extends OpenApiDocument>(document: T): T {
  const schemas = document.components?.schemas ?? {};
  const duplicates = Object.keys(schemas).filter((name) => name.endsWith("Input") && schemas[name.slice(0, -"Input".length)]);
  if (duplicates.length === 0) return document;
  for (const name of duplicates) delete schemas[name];
  const pattern = new RegExp(`"#/components/schemas/(${duplicates.map((d) => d.slice(0, -5)).join("|")})Input"`, "g");
  return JSON.parse(JSON.stringify(document).replace(pattern, '"#/components/schemas/$1"')) as T;
}

/** `anyOf` with one branch (zod's union of one) is that branch. */
function collapseSingleAnyOf<T>(node: T): T {
  if (Array.isArray(node)) {
    node.forEach(collapseSingleAnyOf);
  } else if (node && typeof node === "object") {
    const record = node as Record<string, unknown>;
    if (Array.isArray(record.anyOf) && record.anyOf.length === 1 && typeof record.anyOf[0] === "object") {
      const [only] = record.anyOf as Record<string, unknown>[];
      delete record.anyOf;
      for (const [key, value] of Object.entries(only!)) if (!(key in record)) record[key] = value;
    }
    Object.values(record).forEach(collapseSingleAnyOf);
  }
  return node;
}

/** What each status means, whatever the operation (the codes behind each: docs/errors.md). */
const RESPONSE_DESCRIPTIONS: Record<string, string> = {
  "200": "OK.",
  "201": "Created.",
  "202": "Accepted: the rest happens in the background.",
  "204": "Done; nothing to answer.",
  "400": "Malformed input: `error.param` names the field or parameter (`parameter_invalid`, `parameter_missing`, `parameter_unknown`, …).",
  "401": "Missing or invalid credentials (`unauthenticated`, `api_key_revoked`, `token_expired`, …).",
  "402": "The card was declined (`card_declined` with Stripe's `decline_code`, `expired_card`, `authentication_required`, …).",
  "403": "The caller's role or relation to the object does not allow this (`forbidden`, …).",
  "404": "No such object, or one of another platform or mode (`resource_missing`).",
  "405": "The path does not take this method (`method_not_allowed`); `Allow` lists those it takes.",
  "409": "The object's current state does not allow this, or it changed meanwhile.",
  "410": "Gone: the signed URL has expired (`upload_url_expired`).",
  "413": "The body or the file is too large (`payload_too_large`).",
  "415": "The body's or the file's type is not accepted (`unsupported_media_type`).",
  "422": "Well-formed, but breaks a business rule (or an `Idempotency-Key` reused with another request).",
  "429": "Over a rate limit (`rate_limited`); `Retry-After` says when to retry.",
  "4XX": "The request itself is malformed (`url_invalid`, `request_malformed`, `headers_too_large`).",
  "502": "The payment processor is unreachable or refused the server's credentials (`payments_unavailable`, `payments_misconfigured`).",
  "503": "Busy or unavailable (`database_busy`, `database_unavailable`, `shutting_down`, …); retry after `Retry-After`.",
  "504": "The payment processor did not answer in time (`payments_timeout`): retry with the same `Idempotency-Key`.",
};

/** Operations registered without a summary (the probes). */
const SUMMARIES: Record<string, string> = { health: "Liveness: the process answers", ready: "Readiness: the database answers and the node is not shutting down" };

/** The error an example shows for a status: the first listed code answered with it. */
function exampleError(status: string): unknown {
  const n = Number(status.replace("XX", "00"));
  const code = (ERROR_CODE_LIST.find((c) => ERROR_CODES[c].status[0] === n) ?? "invalid_request") as ErrorCode;
  const type =
    n === 401
      ? "authentication_error"
      : n === 403
        ? "permission_error"
        : n === 402
          ? "card_error"
          : n === 429
            ? "rate_limit_error"
            : n >= 500
              ? "api_error"
              : "invalid_request_error";
  const message = ERROR_CODES[code].description.split(/(?<=\.)\s/)[0];
  return { error: { type, code, message, ...(code === "parameter_invalid" ? { param: "name" } : {}), request_id: "req_0192f1a0c3d87b4e9a1f2b3c4d5e6f70" } };
}

function credentialHeader(security: Operation["security"]): string {
  if (!security || security.length === 0) return "";
  return security.some((s) => "apiKeyBearer" in s) ? ' -H "Authorization: Bearer $CANDLE_KEY"' : ' -H "Authorization: Bearer $USER_TOKEN"';
}

/**
 * Descriptions by status instead of fastify's "Default Response", examples derived from the
 * schemas (request body, path parameters, each answer), and a curl call for every operation.
 */
function describeOperations<T extends OpenApiDocument>(document: T): T {
  const examples = new ExampleBuilder(document.components?.schemas ?? {});
  const base = document.servers?.[0]?.url ?? "";
  for (const [path, operations] of Object.entries(document.paths ?? {})) {
    for (const [method, operation] of Object.entries(operations)) {
      operation.summary ??= SUMMARIES[operation.operationId ?? ""] ?? operation.operationId;
      operation.responses ??= {};
      const responses = operation.responses;
      if (!Object.keys(responses).some((status) => status.startsWith("4")))
        responses["4XX"] = { content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } };
      for (const [status, response] of Object.entries(responses)) {
        if (!response.description || response.description === "Default Response") response.description = RESPONSE_DESCRIPTIONS[status] ?? "See the schema.";
        const json = response.content?.["application/json"];
        if (json && json.example === undefined) json.example = /^[45]/.test(status) ? exampleError(status) : examples.build(json.schema);
      }
      let url = path;
      for (const parameter of operation.parameters ?? []) {
        if (parameter.in !== "path" && !parameter.required) continue;
        parameter.example ??= examples.build(parameter.schema, parameter.name === "id" ? idName(path) : parameter.name);
        if (parameter.in === "path") url = url.replace(`{${parameter.name}}`, String(parameter.example));
      }
      const query = (operation.parameters ?? []).filter((p) => p.in === "query" && p.required).map((p) => `${p.name}=${encodeURIComponent(String(p.example))}`);
      const body = operation.requestBody?.content?.["application/json"];
      if (body && body.example === undefined) body.example = examples.build(body.schema);
      const bodyArgs = body ? ` -H "Content-Type: application/json" -d '${JSON.stringify(body.example)}'` : "";
      const target = `${base}${url}${query.length ? `?${query.join("&")}` : ""}`;
      operation["x-codeSamples"] = [{ lang: "Shell", label: "curl", source: `curl -X ${method.toUpperCase()} "${target}"${credentialHeader(operation.security)}${bodyArgs}` }];
    }
  }
  return document;
}

/** The word that names a path's `{id}`: `/v1/products/{id}/…` → product_id. */
function idName(path: string): string {
  const segment = path.split("/{id}")[0]!.split("/").at(-1) ?? "";
  const singular = segment.endsWith("ies") ? `${segment.slice(0, -3)}y` : segment.replace(/s$/, "");
  return `${singular}_id`;
}

/**
 * OpenAPI 3.1 generated from the routes' zod schemas, served at `/openapi.json`, with a docs UI at
 * `/docs`. Register before the routes so every route is captured.
 */
async function openapiPlugin(app: FastifyInstance, options: { version: string; publicUrl: string }): Promise<void> {
  // Each operation states how it is authenticated, from the route's own `config.auth`.
  app.addHook("onRoute", (route) => {
    const auth = route.config?.auth as RouteAuth | undefined;
    if (!route.schema || auth === undefined) return;
    const security: Record<string, string[]>[] =
      auth === "public" ? [] : auth.user ? [{ userToken: [] }] : [{ apiKeyBearer: [] }, { apiKeyHeader: [], modeHeader: [] }, { userToken: [] }];
    route.schema = { ...route.schema, security } as typeof route.schema;
  });

  await app.register(swagger, {
    openapi: {
      openapi: "3.1.0",
      info: {
        title: "Candle-style marketplace API",
        version: options.version,
        description:
          "Multi-tenant marketplace backend. Authenticate with your platform key (`Authorization: Bearer cndl_test_…`, or the SDK's `api_key` + `mode` headers) and, for `/auth` routes, a signed-in user's token.",
      },
      servers: [{ url: options.publicUrl }],
      components: {
        securitySchemes: {
          apiKeyBearer: { type: "http", scheme: "bearer", description: "Platform key: cndl_test_… or cndl_live_…" },
          apiKeyHeader: { type: "apiKey", in: "header", name: "api_key", description: "Platform key, as the official SDK sends it" },
          modeHeader: { type: "apiKey", in: "header", name: "mode", description: "test or live; must match the key" },
          userToken: { type: "http", scheme: "bearer", bearerFormat: "JWT", description: "A signed-in user's access token" },
        },
      },
    },
    transform: jsonSchemaTransform,
    transformObject: (input) => describeOperations(optionalBodies(collapseSingleAnyOf(dropInputDuplicates(jsonSchemaTransformObject(input) as OpenApiDocument)))),
  });

  await app.register(swaggerUi, { routePrefix: "/docs" });

  app.get("/openapi.json", { schema: { hide: true }, config: { auth: "public", rateLimit: false } }, async () => app.swagger());
}

export default fp(openapiPlugin, { name: "openapi" });
