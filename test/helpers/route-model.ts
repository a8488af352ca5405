import type { FastifyInstance } from "fastify";
import type { RouteAuth } from "../../src/plugins/auth.js";

/**
 * Every route the app serves, described from the two places the app describes itself: its route
 * catalog (method, path, `config.auth`) and `/openapi.json` (parameters and body schemas). The
 * security suite and the fuzzer iterate over this list, so routes added later are covered as soon
 * as they are registered.
 */

export type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  prefixItems?: JsonSchema[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  pattern?: string;
  format?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minItems?: number;
  maxItems?: number;
  default?: unknown;
  description?: string;
  $ref?: string;
};

export interface QueryParam {
  name: string;
  required: boolean;
  schema: JsonSchema;
}

export interface RouteModel {
  /** `METHOD /fastify/:path` — the key used in every list of the suites. */
  id: string;
  method: string;
  url: string;
  auth: RouteAuth;
  /** Left out of /openapi.json (the offline simulator's pages). */
  hidden: boolean;
  /** The `:name`s of the path, in order. */
  pathParams: string[];
  query: QueryParam[];
  /** The JSON body's schema, when the route declares one. */
  body?: JsonSchema;
  /** Whether the operation's request body is declared required (Fastify then hands absent bodies over as null). */
  bodyRequired: boolean;
  operationId?: string;
}

interface OpenApiOperation {
  operationId?: string;
  parameters?: { in: string; name: string; required?: boolean; schema: JsonSchema }[];
  requestBody?: { required?: boolean; content: Record<string, { schema: JsonSchema }> };
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: { schemas: Record<string, JsonSchema> };
}

export const routeId = (method: string, url: string) => `${method} ${url}`;
export const toOpenApiPath = (url: string) => url.replace(/:([A-Za-z0-9_]+)/g, "{$1}");

function resolveRefs(schema: JsonSchema, components: Record<string, JsonSchema>, depth = 0): JsonSchema {
  if (depth > 20) return {};
  if (schema.$ref) {
    const name = schema.$ref.replace("#/components/schemas/", "");
    return resolveRefs(components[name] ?? {}, components, depth + 1);
  }
  const out: JsonSchema = { ...schema };
  if (schema.properties) out.properties = Object.fromEntries(Object.entries(schema.properties).map(([k, v]) => [k, resolveRefs(v, components, depth + 1)]));
  if (schema.items) out.items = resolveRefs(schema.items, components, depth + 1);
  for (const key of ["anyOf", "oneOf", "allOf"] as const) {
    if (schema[key]) out[key] = schema[key]!.map((s) => resolveRefs(s, components, depth + 1));
  }
  if (typeof schema.additionalProperties === "object") out.additionalProperties = resolveRefs(schema.additionalProperties, components, depth + 1);
  return out;
}

/** Every route of the app (HEAD and OPTIONS aside), joined with its OpenAPI operation. */
export async function loadRouteModels(app: FastifyInstance): Promise<{ routes: RouteModel[]; spec: OpenApiDocument }> {
  const res = await app.inject({ method: "GET", url: "/openapi.json" });
  if (res.statusCode !== 200) throw new Error(`/openapi.json answered ${res.statusCode}`);
  const spec = res.json() as OpenApiDocument;
  const seen = new Set<string>();
  const routes: RouteModel[] = [];
  for (const info of app.routeCatalog) {
    const id = routeId(info.method, info.url);
    if (seen.has(id)) continue;
    seen.add(id);
    const operation = spec.paths[toOpenApiPath(info.url)]?.[info.method.toLowerCase()];
    const pathParams = [...info.url.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1]!);
    const json = operation?.requestBody?.content["application/json"]?.schema;
    routes.push({
      id,
      method: info.method,
      url: info.url,
      auth: (info.auth ?? "public") as RouteAuth,
      hidden: info.hidden,
      pathParams,
      query: (operation?.parameters ?? [])
        .filter((p) => p.in === "query")
        .map((p) => ({ name: p.name, required: Boolean(p.required), schema: resolveRefs(p.schema, spec.components.schemas) })),
      body: json ? resolveRefs(json, spec.components.schemas) : undefined,
      bodyRequired: Boolean(operation?.requestBody?.required),
      operationId: operation?.operationId,
    });
  }
  return { routes, spec };
}

/** The object alternative of a body schema (`{...} | null` bodies are anyOf [object, null]). */
export function objectSchemaOf(schema: JsonSchema | undefined): JsonSchema | undefined {
  if (!schema) return undefined;
  if (schema.type === "object" || schema.properties) return schema;
  for (const alt of schema.anyOf ?? schema.oneOf ?? []) {
    const found = objectSchemaOf(alt);
    if (found) return found;
  }
  return undefined;
}

/** Top-level fields a route's body schema accepts. */
export function bodyFields(route: RouteModel): string[] {
  return Object.keys(objectSchemaOf(route.body)?.properties ?? {});
}

export const isWrite = (route: RouteModel) => route.method === "POST" || route.method === "PUT" || route.method === "PATCH";

/** Fills `:params` of a route's URL (each value URI-encoded). */
export function fillPath(url: string, params: Record<string, string>): string {
  return url.replace(/:([A-Za-z0-9_]+)/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`no value for :${name} in ${url}`);
    return encodeURIComponent(value);
  });
}
