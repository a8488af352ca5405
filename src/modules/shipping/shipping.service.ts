import type { Db } from "../../db/client.js";
import { Prisma } from "../../db/client.js";
import type { Tenant, Tx } from "../../db/tenant.js";
import type { ShippingRate } from "../../generated/prisma/client.js";
import { NotFoundError, PermissionError, UnprocessableError } from "../../lib/errors.js";
import { newId } from "../../lib/ids.js";
import { pageMeta, pageWindow, parseSort, type Page } from "../../lib/pagination.js";
import { roleAtLeast } from "../../lib/roles.js";
import { toApiDate } from "../../lib/time.js";
import type { AuthContext } from "../../plugins/auth.js";
import { type EventType, recordEvent } from "../events/index.js";
import { findActiveUser } from "../users/index.js";
import type { Band } from "./shipping.quote.js";
import type { CreateShippingRateInput, ListShippingRatesQuery, UpdateShippingRateInput } from "./shipping.schemas.js";

/** A platform's rates, and each seller's, are bounded: quoting reads all that apply to a cart. */
export const MAX_RATES_PER_OWNER = 50;

export function toShippingRateResponse(r: ShippingRate) {
  return {
    id: r.id,
    platform_id: r.platformId,
    mode: r.mode,
    user_id: r.userId,
    title: r.title,
    kind: r.kind,
    currency: r.currency,
    price: r.price,
    step_price: r.stepPrice,
    bands: (r.bands as Band[] | null) ?? null,
    created: toApiDate(r.created),
    updated: toApiDate(r.updated),
  };
}

const tenantOf = (auth: AuthContext): Tenant => ({ platformId: auth.platformId, mode: auth.mode });

/**
 * Who may write a rate: the platform's (no seller) — its key, an owner or an admin; a seller's —
 * the seller themself, an editor (who manages any seller's listings) or above. 403 otherwise.
 */
function assertMayWrite(auth: AuthContext, sellerUserId: string | null): void {
  if (sellerUserId === null) {
    if (!roleAtLeast(auth.role, "admin")) throw new PermissionError("not_shipping_rate_owner", "Only the platform key, an owner or an admin manage the platform's shipping rates.");
    return;
  }
  if (roleAtLeast(auth.role, "editor") || auth.user?.id === sellerUserId) return;
  throw new PermissionError("not_shipping_rate_owner", "A member manages only their own shipping rates.");
}

export function createShippingService(deps: { db: Db }) {
  const { db } = deps;

  async function find(client: Db | Tx, tenant: Tenant, id: string): Promise<ShippingRate> {
    const rate = await client.shippingRate.findFirst({ where: { id, platformId: tenant.platformId, mode: tenant.mode } });
    if (!rate) throw new NotFoundError("shipping rate", id, "id");
    return rate;
  }

  async function recorded(tx: Tx, auth: AuthContext, type: EventType, rate: ShippingRate): Promise<ShippingRate> {
    await recordEvent(tx, { platformId: auth.platformId, mode: auth.mode, requestId: auth.requestId, type, object: toShippingRateResponse(rate) });
    return rate;
  }

  return {
    async list(auth: AuthContext, query: ListShippingRatesQuery): Promise<Page<ShippingRate>> {
      const tenant = tenantOf(auth);
      const owners = query["filter[user_id]"];
      const where: Prisma.ShippingRateWhereInput = {
        platformId: tenant.platformId,
        mode: tenant.mode,
        ...(owners ? { OR: [{ userId: { in: owners.filter((o) => o !== "platform") } }, ...(owners.includes("platform") ? [{ userId: null }] : [])] } : {}),
        ...(query["filter[kind]"] ? { kind: { in: query["filter[kind]"] } } : {}),
        ...(query["filter[currency]"] ? { currency: { in: query["filter[currency]"] } } : {}),
      };
      const sort = parseSort<"created" | "title">(query.sort);
      const [total, data] = await Promise.all([
        db.shippingRate.count({ where }),
        db.shippingRate.findMany({ where, orderBy: [{ [sort.field]: sort.direction }, { id: sort.direction }], ...pageWindow(query.page, query.per_page) }),
      ]);
      return { data, meta: pageMeta(total, query.page, query.per_page, data.length) };
    },

    retrieve: (auth: AuthContext, id: string) => find(db, tenantOf(auth), id),

    async create(auth: AuthContext, input: CreateShippingRateInput): Promise<ShippingRate> {
      const tenant = tenantOf(auth);
      const sellerUserId = input.user_id ?? null;
      assertMayWrite(auth, sellerUserId);
      return db.$transaction(async (tx) => {
        if (sellerUserId !== null && !(await findActiveUser(tx, tenant, sellerUserId))) throw new NotFoundError("user", sellerUserId, "user_id");
        // One owner's rates are counted under a lock of that owner's, so parallel creations cannot pass the cap together.
        await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`shipping_rates:${tenant.platformId}:${tenant.mode}:${sellerUserId ?? ""}`}))`;
        const count = await tx.shippingRate.count({ where: { platformId: tenant.platformId, mode: tenant.mode, userId: sellerUserId } });
        if (count >= MAX_RATES_PER_OWNER) {
          throw new UnprocessableError(
            "too_many_shipping_rates",
            `${sellerUserId ?? "The platform"} has ${MAX_RATES_PER_OWNER} shipping rates, the most one owner may have.`,
            "user_id",
          );
        }
        const rate = await tx.shippingRate.create({
          data: {
            id: newId("shippingRate"),
            ...tenant,
            userId: sellerUserId,
            title: input.title,
            kind: input.kind,
            currency: input.currency ?? auth.platform.currency,
            price: input.price ?? 0,
            stepPrice: input.step_price ?? 0,
            bands: input.bands ?? Prisma.DbNull,
          },
        });
        return recorded(tx, auth, "shipping_rate.created", rate);
      });
    },

    async update(auth: AuthContext, id: string, input: UpdateShippingRateInput): Promise<ShippingRate> {
      const tenant = tenantOf(auth);
      return db.$transaction(async (tx) => {
        const rate = await find(tx, tenant, id);
        assertMayWrite(auth, rate.userId);
        if (rate.kind === "flat" && input.bands !== undefined)
          throw new UnprocessableError("shipping_rate_kind", "A flat rate has no bands: it prices by `price` and `step_price`.", "bands");
        if (rate.kind !== "flat" && (input.price !== undefined || input.step_price !== undefined)) {
          throw new UnprocessableError(
            "shipping_rate_kind",
            `A ${rate.kind} rate prices by its bands, not by \`price\` or \`step_price\`.`,
            input.price !== undefined ? "price" : "step_price",
          );
        }
        const updated = await tx.shippingRate.update({
          where: { id: rate.id },
          data: {
            ...(input.title !== undefined ? { title: input.title } : {}),
            ...(input.price !== undefined ? { price: input.price } : {}),
            ...(input.step_price !== undefined ? { stepPrice: input.step_price } : {}),
            ...(input.bands !== undefined ? { bands: input.bands } : {}),
          },
        });
        return recorded(tx, auth, "shipping_rate.updated", updated);
      });
    },

    /** Carts stop using it at once; contracts keep the shipping lines they were made with. */
    async remove(auth: AuthContext, id: string): Promise<ShippingRate> {
      const tenant = tenantOf(auth);
      return db.$transaction(async (tx) => {
        const rate = await find(tx, tenant, id);
        assertMayWrite(auth, rate.userId);
        await tx.shippingRate.delete({ where: { id: rate.id } });
        return recorded(tx, auth, "shipping_rate.deleted", rate);
      });
    },
  };
}

export type ShippingService = ReturnType<typeof createShippingService>;
