import type { Db } from "../../db/client.js";
import { Prisma } from "../../db/client.js";
import type { Tenant } from "../../db/tenant.js";
import type { OauthApp, Platform } from "../../generated/prisma/client.js";
import { randomBase62 } from "../../lib/crypto.js";
import { ConflictError, NotFoundError } from "../../lib/errors.js";
import { newId } from "../../lib/ids.js";
import { pageMeta, pageWindow, type Page } from "../../lib/pagination.js";
import { createSealer } from "../../lib/sealed.js";
import { toApiDate } from "../../lib/time.js";
import { recordEvent } from "../events/index.js";
import { PLATFORM_COLUMNS, platformJoin, toPlatform, type PlatformRow } from "../platforms/index.js";

/**
 * OAuth apps (docs/api/oauth.md): a platform's third-party applications. The app's id is its
 * `client_id`; its secret is answered once (at creation and at each rotation) and kept sealed: the
 * OAuth server compares what a client presents with the secret itself, so a hash would not do.
 */
const SECRET_LENGTH = 48;

export interface AppInput {
  name: string;
  logo?: string | null;
  redirect_uris: string[];
  scopes: string[];
}

export type TokenEndpointAuthMethod = "client_secret_basic" | "none";

export function createAppsService(deps: { db: Db; secret: string }) {
  const { db } = deps;
  const sealer = createSealer(deps.secret, "oauth client secrets");
  const where = (tenant: Tenant, id: string) => ({ id, platformId: tenant.platformId, mode: tenant.mode });
  const newSecret = () => {
    const secret = randomBase62(SECRET_LENGTH);
    return { secret, sealed: { secretSealed: sealer.seal(secret), secretLast4: secret.slice(-4) } };
  };

  async function find(client: Prisma.TransactionClient | Db, tenant: Tenant, id: string): Promise<OauthApp> {
    const app = await client.oauthApp.findFirst({ where: where(tenant, id) });
    if (!app) throw new NotFoundError("OAuth app", id, "app_id");
    return app;
  }

  async function changed(tx: Prisma.TransactionClient, tenant: Tenant, type: "oauth_app.created" | "oauth_app.updated" | "oauth_app.deleted", app: OauthApp) {
    await recordEvent(tx, { platformId: tenant.platformId, mode: tenant.mode, requestId: tenant.requestId, type, object: toOAuthAppResponse(app) });
  }

  return {
    async list(tenant: Tenant, query: { page: number; per_page: number }): Promise<Page<OauthApp>> {
      const filter = { platformId: tenant.platformId, mode: tenant.mode };
      const [total, data] = await Promise.all([
        db.oauthApp.count({ where: filter }),
        db.oauthApp.findMany({ where: filter, orderBy: [{ created: "desc" }, { id: "desc" }], ...pageWindow(query.page, query.per_page) }),
      ]);
      return { data, meta: pageMeta(total, query.page, query.per_page, data.length) };
    },

    retrieve: (tenant: Tenant, id: string) => find(db, tenant, id),

    /** A confidential app gets a secret (answered once); a public one (`none`) none. */
    create(tenant: Tenant, input: AppInput & { token_endpoint_auth_method?: TokenEndpointAuthMethod }): Promise<{ app: OauthApp; secret: string | null }> {
      const isPublic = input.token_endpoint_auth_method === "none";
      const { secret, sealed } = isPublic ? { secret: null, sealed: { secretSealed: null, secretLast4: null } } : newSecret();
      return db.$transaction(async (tx) => {
        const app = await tx.oauthApp.create({
          data: {
            id: newId("oauthApp"),
            platformId: tenant.platformId,
            mode: tenant.mode,
            name: input.name,
            logo: input.logo ?? null,
            redirectUris: [...new Set(input.redirect_uris)],
            scopes: [...new Set(input.scopes)],
            tokenEndpointAuthMethod: isPublic ? "none" : "client_secret_basic",
            ...sealed,
          },
        });
        await changed(tx, tenant, "oauth_app.created", app);
        return { app, secret };
      });
    },

    update(tenant: Tenant, id: string, input: Partial<AppInput>): Promise<OauthApp> {
      return db.$transaction(async (tx) => {
        await find(tx, tenant, id);
        const app = await tx.oauthApp.update({
          where: { id },
          data: {
            ...(input.name === undefined ? {} : { name: input.name }),
            ...(input.logo === undefined ? {} : { logo: input.logo }),
            ...(input.redirect_uris === undefined ? {} : { redirectUris: [...new Set(input.redirect_uris)] }),
            ...(input.scopes === undefined ? {} : { scopes: [...new Set(input.scopes)] }),
          },
        });
        await changed(tx, tenant, "oauth_app.updated", app);
        return app;
      });
    },

    /** A new secret; the old one stops working at once (tokens already issued stay valid). */
    rotateSecret(tenant: Tenant, id: string): Promise<{ app: OauthApp; secret: string }> {
      const { secret, sealed } = newSecret();
      return db.$transaction(async (tx) => {
        const current = await find(tx, tenant, id);
        if (current.tokenEndpointAuthMethod === "none") {
          throw new ConflictError("oauth_app_public", `${id} is a public app: it has no secret to rotate (register a confidential app for a secret).`, "app_id");
        }
        const app = await tx.oauthApp.update({ where: { id }, data: sealed });
        await changed(tx, tenant, "oauth_app.updated", app);
        return { app, secret };
      });
    },

    /** Deletes the app and everything the OAuth server holds for it: its grants, codes and tokens. */
    remove(tenant: Tenant, id: string): Promise<OauthApp> {
      return db.$transaction(async (tx) => {
        const app = await find(tx, tenant, id);
        await tx.oauthApp.delete({ where: { id } });
        await tx.$executeRaw`DELETE FROM oauth_payloads WHERE payload->>'clientId' = ${id} OR (type = 'Grant' AND payload->>'clientId' = ${id})`;
        await changed(tx, tenant, "oauth_app.deleted", app);
        return app;
      });
    },

    /** The app with its secret and platform, for the OAuth server (any platform's: it is looked up by client id, in the system scope). */
    async clientOf(id: string): Promise<OAuthClient | null> {
      const [row] = await db.$queryRaw<
        (PlatformRow & {
          app_id: string;
          app_name: string;
          app_logo: string | null;
          redirect_uris: string[];
          scopes: string[];
          secret_sealed: string | null;
          token_endpoint_auth_method: string;
        })[]
      >`
        SELECT a.id AS app_id, a.name AS app_name, a.logo AS app_logo, a.redirect_uris, a.scopes, a.secret_sealed, a.token_endpoint_auth_method, ${PLATFORM_COLUMNS}
        FROM oauth_apps a ${platformJoin(Prisma.raw("a.platform_id"))}
        WHERE a.id = ${id} AND a.mode = p.mode`;
      if (!row) return null;
      const base = { id: row.app_id, name: row.app_name, logo: row.app_logo, redirectUris: row.redirect_uris, scopes: row.scopes, platform: toPlatform(row) };
      if (row.token_endpoint_auth_method === "none") return { ...base, secret: null };
      const secret = row.secret_sealed === null ? null : sealer.open(row.secret_sealed);
      if (secret === null) return null;
      return { ...base, secret };
    },
  };
}

/** What the OAuth server knows of an app. */
export interface OAuthClient {
  id: string;
  name: string;
  logo: string | null;
  redirectUris: string[];
  scopes: string[];
  /** Null for a public app (`token_endpoint_auth_method: none`). */
  secret: string | null;
  platform: Platform;
}

export type AppsService = ReturnType<typeof createAppsService>;

export function toOAuthAppResponse(app: OauthApp) {
  return {
    id: app.id,
    client_id: app.id,
    platform_id: app.platformId,
    mode: app.mode,
    name: app.name,
    logo: app.logo,
    redirect_uris: app.redirectUris,
    scopes: app.scopes,
    token_endpoint_auth_method: app.tokenEndpointAuthMethod as TokenEndpointAuthMethod,
    secret_last4: app.secretLast4,
    created: toApiDate(app.created),
    updated: toApiDate(app.updated),
  };
}
