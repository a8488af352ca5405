import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import { jsonSchemaTransform, jsonSchemaTransformObject } from "fastify-type-provider-zod";
import type { RouteAuth } from "./auth.js";

type JsonSchema = { required?: string[]; anyOf?: JsonSchema[]; type?: string };
type OpenApiDocument = { paths?: Record<string, Record<string, { requestBody?: { required?: boolean; content?: Record<string, { schema?: JsonSchema }> } }>> };

/** Whether a body schema names any required property (in its object branch, when it also accepts null). */
function requiresProperties(schema: JsonSchema | undefined): boolean {
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
    transformObject: (input) => optionalBodies(jsonSchemaTransformObject(input) as OpenApiDocument),
  });

  await app.register(swaggerUi, { routePrefix: "/docs" });

  app.get("/openapi.json", { schema: { hide: true }, config: { auth: "public", rateLimit: false } }, async () => app.swagger());
}

export default fp(openapiPlugin, { name: "openapi" });
