import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import type { Tx } from "../../db/tenant.js";
import { errors } from "../../lib/route.js";
import { noBody } from "../../lib/schemas.js";
import { type AuthContext, requireAuth, type RouteAuth } from "../../plugins/auth.js";
import { deleteMetafield, writeMetafields, type MetafieldOwner } from "./metafields.repo.js";
import { metafieldKeyParams, metafieldListSchema, metafieldOwnerParams, setMetafieldsBody, type MetafieldResponse } from "./metafields.schemas.js";

type App = Parameters<FastifyPluginAsyncZod>[0];

/**
 * What the module owning a resource decides about its metafields: who may read them (404 for an
 * owner the caller may not see) and the transaction a change runs in — the owner locked, the
 * caller's right to change it checked, the owner's `.updated` event recorded last — answering the
 * owner's metafields after the change.
 */
export interface MetafieldHost {
  owner: MetafieldOwner;
  /** The path the routes hang under (`products`), and the seed's name for it when it differs (`listings`). */
  resource: string;
  aliases?: readonly string[];
  tags: string[];
  config: { auth: RouteAuth };
  /** Who reads, who writes: one line each, for the routes' descriptions. */
  readers: string;
  writers: string;
  read(auth: AuthContext, id: string): Promise<MetafieldResponse[]>;
  change(auth: AuthContext, id: string, apply: (tx: Tx) => Promise<boolean>): Promise<MetafieldResponse[]>;
}

/**
 * The metafield routes of one resource: `GET` and `POST /<resource>/:id/metafields`,
 * `DELETE /<resource>/:id/metafields/:namespace/:key` — and the same under the seed's name of the
 * resource. Registered by the module owning the resource, with its own rules (`host`).
 */
export function metafieldRoutes(app: App, host: MetafieldHost): void {
  const noun = host.owner;
  for (const resource of [host.resource, ...(host.aliases ?? [])]) {
    const alias = resource !== host.resource;
    const suffix = alias ? `Via${resource[0]!.toUpperCase()}${resource.slice(1)}` : "";
    const cap = `${noun[0]!.toUpperCase()}${noun.slice(1)}`;
    const aliasNote = alias ? ` The same as \`/${host.resource}/:id/metafields\`, under the name \`${resource}\`.` : "";
    app.get(
      `/${resource}/:id/metafields`,
      {
        schema: {
          operationId: `list${cap}Metafields${suffix}`,
          tags: host.tags,
          summary: `List a ${noun}'s metafields`,
          description: `${host.readers}${aliasNote}`,
          params: metafieldOwnerParams(noun),
          response: { 200: metafieldListSchema, ...errors(400, 401, 402, 403, 404) },
        },
        config: host.config,
      },
      async (request) => host.read(requireAuth(request), request.params.id),
    );

    app.post(
      `/${resource}/:id/metafields`,
      {
        schema: {
          operationId: `set${cap}Metafields${suffix}`,
          tags: host.tags,
          summary: `Set a ${noun}'s metafields`,
          description:
            `${host.writers} Each \`{ namespace, key, type, value }\` is created or replaced (\`value: null\` removes it); the value must fit its type (400 naming the field). ` +
            `A ${noun} keeps at most 50 (422 \`too_many_metafields\`). Answers all the ${noun}'s metafields; a change records \`${noun}.updated\`.${aliasNote}`,
          params: metafieldOwnerParams(noun),
          body: setMetafieldsBody,
          response: { 200: metafieldListSchema, ...errors(400, 401, 403, 404, 422) },
        },
        config: host.config,
      },
      async (request) => {
        const auth = requireAuth(request);
        return host.change(auth, request.params.id, (tx) => writeMetafields(tx, auth, host.owner, request.params.id, request.body.metafields));
      },
    );

    app.delete(
      `/${resource}/:id/metafields/:namespace/:key`,
      {
        schema: {
          operationId: `delete${cap}Metafield${suffix}`,
          tags: host.tags,
          summary: `Remove one of a ${noun}'s metafields`,
          description: `${host.writers} Answers the ${noun}'s metafields left; records \`${noun}.updated\` when there was one to remove (removing one that is not there changes nothing, as a retry would find).${aliasNote}`,
          params: metafieldKeyParams(noun),
          body: noBody,
          response: { 200: metafieldListSchema, ...errors(400, 401, 403, 404) },
        },
        config: host.config,
      },
      async (request) => {
        const { id, namespace, key } = request.params;
        return host.change(requireAuth(request), id, (tx) => deleteMetafield(tx, host.owner, id, namespace, key));
      },
    );
  }
}
