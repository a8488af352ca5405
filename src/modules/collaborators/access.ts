import type { FastifyReply, FastifyRequest } from "fastify";
import type { Role } from "../../generated/prisma/enums.js";
import { AppError, PermissionError } from "../../lib/errors.js";
import type { AuthContext } from "../../plugins/auth.js";
import type { CollaboratorsService } from "./collaborators.service.js";
import { HIDDEN_BY_QUERY, redact } from "./redaction.js";

/**
 * What a collaborator may call (docs/api/collaborators.md): the routes below, all reads, each with the
 * rights it reads with — the catalogue as a member reads it, the orders as an editor does (every
 * contract of the platform). Anything else that needs credentials is refused: every write (but
 * signing out), and every read not listed (users, carts, transactions, analytics, payouts and their
 * CSV statements, events, webhooks, keys). A route added later is refused until it is listed here.
 */
export const COLLABORATOR_ROUTES: Readonly<Record<string, Role>> = {
  "POST /v1/auth/session/revoke": "collaborator",
  "GET /v1/collaborators/auth": "collaborator",
  "GET /v1/users/auth": "member",
  "GET /v1/platforms": "member",
  "GET /v1/products": "member",
  "GET /v1/products/user/:user_id": "member",
  "GET /v1/products/categories": "member",
  "GET /v1/products/:id": "member",
  "GET /v1/products/slug/:slug": "member",
  "GET /v1/products/:id/prices": "member",
  "GET /v1/products/:id/add_ons": "member",
  "GET /v1/products/:id/add_ons/count": "member",
  "GET /v1/products/:id/metafields": "member",
  "GET /v1/listings/:id/add_ons": "member",
  "GET /v1/listings/:id/add_ons/count": "member",
  "GET /v1/listings/:id/metafields": "member",
  "GET /v1/add_ons/:id": "member",
  "GET /v1/listings/add_ons/:id": "member",
  "GET /v1/categories": "member",
  "GET /v1/categories/tree": "member",
  "GET /v1/categories/:id": "member",
  "GET /v1/collections": "member",
  "GET /v1/collections/:id": "member",
  "GET /v1/collections/:id/products": "member",
  "GET /v1/contracts": "editor",
  "GET /v1/contracts/:id": "editor",
  "GET /v1/contracts/user/:user_id/buyer": "editor",
  "GET /v1/contracts/user/:user_id/seller": "editor",
  "GET /v1/contracts/:id/metafields": "editor",
  "GET /v1/orders/:id/metafields": "editor",
};

/** The key a route has in `COLLABORATOR_ROUTES`. */
export const routeKey = (method: string, url: string) => `${method === "HEAD" ? "GET" : method} ${url}`;

export function createCollaboratorAccess(collaborators: Pick<CollaboratorsService, "permissionsOf">) {
  return {
    /**
     * Called by the auth plugin for a user of the `collaborator` role, before the route's role check:
     * refuses what it may not call, refuses sorting or filtering by what it may not see, and sets the
     * rights the route reads with and the permissions its answer is redacted by.
     */
    async restrict(request: FastifyRequest, context: AuthContext): Promise<void> {
      if (request.routeOptions.config.auth === "public") return;
      const acting = COLLABORATOR_ROUTES[routeKey(request.method, request.routeOptions.url ?? "")];
      if (!acting) {
        throw new PermissionError("collaborator_read_only", "A collaborator reads the platform's catalogue and orders, and never writes (docs/api/collaborators.md).");
      }
      const grant = await collaborators.permissionsOf(context.user!.id);
      const query = (request.query ?? {}) as Record<string, unknown>;
      for (const [name, raw] of Object.entries(query)) {
        for (const value of [raw].flat().map(String)) {
          const hidden = HIDDEN_BY_QUERY.find(([matches, needs]) => matches(name, value) && !needs.every((f) => grant.permissions[f]));
          if (hidden) {
            throw new AppError(403, "permission_error", "collaborator_field_hidden", `\`${name}\` sorts, filters or counts by a field this collaborator may not see.`, {
              param: name,
            });
          }
        }
      }
      context.collaborator = grant;
      context.role = acting;
    },

    /** An `onSend` hook: a collaborator's JSON answers lose what its permissions hide. */
    async redactAnswer(request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> {
      const grant = request.auth?.collaborator;
      if (!grant || typeof payload !== "string" || payload.length === 0) return payload;
      if (!String(reply.getHeader("content-type") ?? "").includes("json")) return payload;
      let parsed: unknown;
      try {
        parsed = JSON.parse(payload);
      } catch {
        return payload;
      }
      const body = JSON.stringify(redact(parsed, grant.permissions, request.auth?.user?.id ?? null));
      reply.header("content-length", Buffer.byteLength(body));
      return body;
    },
  };
}

export type CollaboratorAccess = ReturnType<typeof createCollaboratorAccess>;
