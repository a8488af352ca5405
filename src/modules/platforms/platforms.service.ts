import type { Db } from "../../db/client.js";
import { Prisma } from "../../db/client.js";
import { notifyInvalidation } from "../../db/invalidation.js";
import { asSystem, enterTenant } from "../../db/tenant.js";
import type { Platform } from "../../generated/prisma/client.js";
import type { Mode } from "../../generated/prisma/enums.js";
import { ConflictError, NotFoundError, ValidationError } from "../../lib/errors.js";
import { newId } from "../../lib/ids.js";
import { bpsToPercent, percentToBps } from "../../lib/money.js";
import { toApiDate } from "../../lib/time.js";
import type { AuthContext } from "../../plugins/auth.js";
import { recordEvent } from "../events/index.js";
import type { Tenant, Tx } from "../../db/tenant.js";
import type { ImageSource, MediaService } from "../media/index.js";
import type { UpdatePlatformInput } from "./platforms.schemas.js";
import { toOrderSettings } from "./platforms.orders.js";
import { findMembership, platformAdmins } from "../users/index.js";

const platformInclude = {
  domains: { select: { domain: true }, orderBy: { created: "asc" } },
} satisfies Prisma.PlatformInclude;

/** The platform with its domains, and its owners and admins (the users module's memberships). */
type PlatformView = Prisma.PlatformGetPayload<{ include: typeof platformInclude }> & { admins: string[] };

export function toPlatformResponse(p: PlatformView) {
  return {
    id: p.id,
    mode: p.mode,
    created: toApiDate(p.created),
    updated: toApiDate(p.updated),
    name: p.name,
    admins: p.admins,
    description: p.description,
    logo: p.logo,
    url: p.url,
    platformFee: bpsToPercent(p.platformFeeBps),
    activeSubscription: p.activeSubscription,
    subscriptionPlan: p.subscriptionPlan,
    subscriptionRequired: p.subscriptionRequired,
    domains: p.domains.map((d) => d.domain),
    waitlistEnabled: p.waitlistEnabled,
    requireListingReview: p.requireListingReview,
    orders: toOrderSettings(p.orderSettings),
    disputeFunds: p.disputeFunds,
    brandColor: p.brandColor,
    accentColor: p.accentColor,
    currency: p.currency,
  };
}

/** A platform's own id in a path: any other id is answered 404, like any other platform's object. */
export function assertOwnPlatform(auth: AuthContext, id: string): void {
  if (id !== auth.platformId) throw new NotFoundError("platform", id, "id");
}

export interface CreatePlatformInput {
  name: string;
  mode: Mode;
  domain?: string;
  feePercent?: number;
  description?: string;
  url?: string;
}

function domainConflict(err: unknown): never {
  if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === "P2002") {
    throw new ConflictError("domain_taken", "One of these domains already belongs to another platform.", "domains");
  }
  throw err;
}

/** Issues a new platform's first API key: the keys module does it (keys sit above platforms, not beside them). */
export interface KeyIssuer {
  issue(tx: Tx, tenant: Tenant, name?: string | null): Promise<{ secret: string }>;
}

export function createPlatformsService(deps: {
  db: Db;
  keys: KeyIssuer;
  media: Pick<MediaService, "store" | "retrieve">;
  /** Evicts this node's cached copies of a platform (other nodes hear the NOTIFY). */
  invalidate?: (message: string) => void;
  /** Whether the tenant has this contract or product, to name as its subscription plan. */
  planExists?: (tx: Tx, tenant: Tenant, id: string) => Promise<boolean>;
}) {
  const { db, keys, media } = deps;
  const invalidateLocally = deps.invalidate ?? (() => {});

  async function insertPlatform(tx: Prisma.TransactionClient, input: CreatePlatformInput): Promise<{ id: string; secret: string }> {
    const id = newId("platform");
    await tx.platform.create({
      data: {
        id,
        mode: input.mode,
        name: input.name,
        description: input.description ?? null,
        url: input.url ?? null,
        platformFeeBps: input.feePercent === undefined ? 0 : percentToBps(input.feePercent),
        ...(input.domain ? { domains: { create: { domain: input.domain.toLowerCase(), mode: input.mode } } } : {}),
      },
    });
    await recordEvent(tx, { platformId: id, mode: input.mode, type: "platform.created", object: toPlatformResponse(await view(id, input.mode, tx)) });
    const { secret } = await keys.issue(tx, { platformId: id, mode: input.mode }, "Default key");
    return { id, secret };
  }

  async function view(id: string, mode: Mode, client: Db | Prisma.TransactionClient = db): Promise<PlatformView> {
    const platform = await client.platform.findFirst({ where: { id, mode }, include: platformInclude });
    if (!platform) throw new NotFoundError("platform", id, "id");
    return { ...platform, admins: await platformAdmins(client, platform.id) };
  }

  /** The platform after a change, with its `platform.updated` event. */
  /** The platform after a change: its event, and word to every node's key cache (at commit). */
  async function updated(tx: Prisma.TransactionClient, auth: AuthContext): Promise<PlatformView> {
    const platform = await view(auth.platformId, auth.mode, tx);
    await notifyInvalidation(tx, `platform:${auth.platformId}`);
    await recordEvent(tx, { platformId: auth.platformId, mode: auth.mode, requestId: auth.requestId, type: "platform.updated", object: toPlatformResponse(platform) });
    return platform;
  }

  return {
    /** A new platform and its first API key (the CLI). */
    async create(input: CreatePlatformInput): Promise<{ platform: PlatformView; apiKey: string }> {
      const { id, secret } = await db.$transaction((tx) => insertPlatform(tx, input)).catch(domainConflict);
      return { platform: await view(id, input.mode), apiKey: secret };
    },

    /**
     * The demo platform of a fresh install: created only while there is no platform at all. A
     * transaction-scoped advisory lock makes two nodes booting on one empty database create one.
     */
    async createIfNone(input: CreatePlatformInput): Promise<{ platform: PlatformView; apiKey: string } | null> {
      const created = await db.$transaction(async (tx) => {
        await tx.$executeRaw`SELECT pg_advisory_xact_lock(72707370)`;
        if ((await tx.platform.count()) > 0) return null;
        return insertPlatform(tx, input);
      });
      return created && { platform: await view(created.id, input.mode), apiKey: created.secret };
    },

    retrieve(auth: AuthContext): Promise<PlatformView> {
      return view(auth.platformId, auth.mode);
    },

    async retrieveByDomain(domain: string): Promise<PlatformView> {
      const row = await db.platformDomain.findUnique({ where: { domain: domain.trim().toLowerCase() }, select: { platformId: true, mode: true } });
      if (!row) throw new NotFoundError("platform with domain", domain, "domain");
      return view(row.platformId, row.mode);
    },

    async update(auth: AuthContext, id: string, input: UpdatePlatformInput): Promise<PlatformView> {
      assertOwnPlatform(auth, id);
      const { domains, platformFee, orders, ...fields } = input;
      const result = await db
        .$transaction(async (tx) => {
          if (fields.subscriptionPlan && deps.planExists && !(await deps.planExists(tx, { platformId: auth.platformId, mode: auth.mode }, fields.subscriptionPlan))) {
            throw new NotFoundError("contract or product", fields.subscriptionPlan, "subscriptionPlan");
          }
          // Order settings change field by field: what the body leaves out stays.
          const current = orders ? await tx.platform.findUniqueOrThrow({ where: { id: auth.platformId }, select: { orderSettings: true } }) : null;
          await tx.platform.update({
            where: { id: auth.platformId },
            data: {
              ...fields,
              ...(platformFee === undefined ? {} : { platformFeeBps: percentToBps(platformFee) }),
              ...(orders ? { orderSettings: { ...toOrderSettings(current!.orderSettings), ...orders } } : {}),
            },
          });
          if (domains) {
            const unique = [...new Set(domains)];
            await tx.platformDomain.deleteMany({ where: { platformId: auth.platformId } });
            await tx.platformDomain.createMany({ data: unique.map((domain) => ({ domain, platformId: auth.platformId, mode: auth.mode })) });
          }
          return updated(tx, auth);
        })
        .catch(domainConflict);
      invalidateLocally(`platform:${auth.platformId}`);
      return result;
    },

    /** Sets the logo from an uploaded file, or from media uploaded earlier (`media_id`). */
    async setImage(auth: AuthContext, id: string, source: ImageSource): Promise<PlatformView> {
      assertOwnPlatform(auth, id);
      const tenant = { platformId: auth.platformId, mode: auth.mode };
      const stored =
        "file" in source
          ? await media.store({ ...tenant, userId: auth.user?.id ?? null, filename: source.file.filename, data: source.file.data })
          : await media.retrieve({ ...tenant, id: source.mediaId });
      const result = await db.$transaction(async (tx) => {
        await tx.platform.update({ where: { id: auth.platformId }, data: { logo: stored.url } });
        return updated(tx, auth);
      });
      invalidateLocally(`platform:${auth.platformId}`);
      return result;
    },

    async membership(auth: AuthContext, userId: string) {
      const membership = await findMembership(db, auth, userId);
      if (!membership) throw new NotFoundError("member of this platform", userId, "user_id");
      const platform = await view(auth.platformId, auth.mode);
      return { platform, membership: { user_id: membership.userId, role: membership.role, joined: toApiDate(membership.created) } };
    },

    /**
     * The platform a public route acts on: the one of the credentials sent, else the body's
     * `platform_id` (docs/authorization.md). Both sent and different: 404, like any other platform's id.
     */
    async resolvePublic(auth: AuthContext | null, platformId: string | undefined): Promise<Platform> {
      if (auth) {
        if (platformId !== undefined && platformId !== auth.platformId) throw new NotFoundError("platform", platformId, "platform_id");
        return auth.platform;
      }
      if (!platformId) {
        throw new ValidationError("parameter_missing", "Send your platform key (Authorization: Bearer cndl_…), or `platform_id` in the body.", "platform_id");
      }
      // A public call names its platform: looked up across platforms, then the request's queries
      // are that platform's (docs/tenancy.md).
      const platform = await asSystem(() => db.platform.findUnique({ where: { id: platformId } }));
      if (!platform) throw new NotFoundError("platform", platformId, "platform_id");
      enterTenant({ platformId: platform.id, mode: platform.mode });
      return platform;
    },

    /** Browser origins allowed by CORS: each platform's `url` and domains. */
    async isKnownOrigin(origin: string): Promise<boolean> {
      let url: URL;
      try {
        url = new URL(origin);
      } catch {
        return false;
      }
      const host = url.host.toLowerCase();
      const exact = `${url.protocol}//${host}`;
      const hit = await db.platform.findFirst({
        where: {
          OR: [{ url: exact }, { url: { startsWith: `${exact}/` } }, { domains: { some: { domain: { in: [host, url.hostname.toLowerCase()] } } } }],
        },
        select: { id: true },
      });
      return hit !== null;
    },
  };
}

export type PlatformsService = ReturnType<typeof createPlatformsService>;
