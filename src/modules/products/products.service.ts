import type { Db } from "../../db/client.js";
import type { Prisma } from "../../db/client.js";
import type { Tenant } from "../../db/tenant.js";
import type { Clock } from "../../lib/time.js";
import type { AuthContext } from "../../plugins/auth.js";
import type { ListProductsQuery } from "./products.schemas.js";
import type { EventSource, EventType, RecordEventInput } from "../events/index.js";
import { create } from "./operations/create.js";
import { setArchived, setEnabled, setSeasonalPriceUsage } from "./operations/flags.js";
import { approve, reject, submit } from "./operations/moderation.js";
import { categories, list, listForSeller, listOnly } from "./operations/read.js";
import { remove } from "./operations/remove.js";
import { addSeasonalPrice, removeSeasonalPrice } from "./operations/seasonal-prices.js";
import { changed, findProduct, findVisible, lock, type ProductsContext } from "./operations/shared.js";
import { update } from "./operations/update.js";
import { changeListing, createAddOn, modifyAddOn, removeAddOn } from "./operations/add-ons.js";
import { countAddOns, findAddOn } from "./products.addons.js";
import { NotFoundError } from "../../lib/errors.js";
import type { Tx } from "../../db/tenant.js";
import type { AddOnView } from "./products.repo.js";
import type { ProductCoreView, ProductView, SeasonView } from "./products.repo.js";
import type { ProductReferences } from "./products.view.js";

export type { Tenant };
export type { ProductCoreView, ProductView, SeasonView };
export {
  MAX_SEASONAL_PRICES,
  assertMayManage,
  assertMinimumQuantity,
  assertPublished,
  isReviewer,
  maySee,
  isAvailableInStock,
  productEvent,
  toPricesResponse,
  toProductResponse,
  toSeasonalPriceResponse,
  type ProductReferences,
} from "./products.view.js";

/**
 * Members-only products (docs/api/subscriptions.md, Access): the subscriptions module answers who may
 * read them (given here, as the subscriptions module depends on this one).
 */
export interface MembersOnlyAccess {
  mayReadMembersOnly(client: Db, auth: AuthContext): Promise<boolean>;
  /** 402 `subscription_required` when the product (or its parent) is members-only and the caller may not read it. */
  assertMayRead(client: Db, auth: AuthContext, productId: string): Promise<void>;
}

/** The products' operations, one file each under operations/, bound to their dependencies. */
export function createProductsService(deps: { db: Db; clock: Clock; references: ProductReferences; access?: MembersOnlyAccess }) {
  const ctx: ProductsContext = { db: deps.db, clock: deps.clock, references: deps.references };
  type Rest<F> = F extends (ctx: ProductsContext, ...rest: infer A) => infer R ? (...rest: A) => R : never;
  const bind = <F extends (ctx: ProductsContext, ...rest: never[]) => unknown>(f: F): Rest<F> =>
    ((...rest: unknown[]) => (f as unknown as (...a: unknown[]) => unknown)(ctx, ...rest)) as Rest<F>;
  // A declaration, not a property: the transaction-pool test reads its pool default to check the callers.
  /** Whose members-only products a list shows: all (undefined), or only the caller's own. */
  const hiddenFor = async (auth: AuthContext): Promise<string | null | undefined> =>
    deps.access && !(await deps.access.mayReadMembersOnly(deps.db, auth)) ? (auth.user?.id ?? null) : undefined;
  const view = (tenant: Tenant, id: string, client: Db | Prisma.TransactionClient = deps.db): Promise<ProductView> => findProduct(client, tenant, id);
  return {
    view,
    lock,
    list: async (auth: AuthContext, query: ListProductsQuery) => list(ctx, auth, query, undefined, await hiddenFor(auth)),
    listOnly: async (auth: AuthContext, productIds: readonly string[], query: ListProductsQuery) => listOnly(ctx, auth, productIds, query, await hiddenFor(auth)),
    changed: (tx: Prisma.TransactionClient, source: EventSource, id: string, type: EventType, also: RecordEventInput[] = []) => changed(ctx, tx, source, id, type, also),

    now: () => deps.clock.now(),

    create: bind(create),
    /**
     * A product as the caller sees it: 404 for a listing not published that is neither theirs nor a
     * reviewer's to see; a members-only one (or a variant of one) only for those who may read it (402).
     */
    async retrieve(auth: AuthContext, id: string): Promise<ProductView> {
      const product = await findVisible(deps.db, auth, id, deps.clock.now());
      if (deps.access && (product.membersOnly || product.parentProductId !== null)) await deps.access.assertMayRead(deps.db, auth, id);
      return product;
    },
    /** A product by its slug, as `retrieve` answers it. */
    async retrieveBySlug(auth: AuthContext, slug: string): Promise<ProductView> {
      const product = await findVisible(deps.db, auth, { kind: "slug", value: slug }, deps.clock.now());
      if (deps.access && (product.membersOnly || product.parentProductId !== null)) await deps.access.assertMayRead(deps.db, auth, product.id);
      return product;
    },
    listForSeller: async (auth: AuthContext, userId: string, query: ListProductsQuery) => listForSeller(ctx, auth, userId, query, await hiddenFor(auth)),
    categories: bind(categories),
    update: bind(update),
    remove: bind(remove),
    setEnabled: bind(setEnabled),
    setArchived: bind(setArchived),
    setSeasonalPriceUsage: bind(setSeasonalPriceUsage),
    addSeasonalPrice: bind(addSeasonalPrice),
    removeSeasonalPrice: bind(removeSeasonalPrice),
    /** The listing's add-ons, for whoever may read the listing. */
    async addOns(auth: AuthContext, productId: string): Promise<AddOnView[]> {
      return (await this.retrieve(auth, productId)).addOns;
    },
    async countAddOns(auth: AuthContext, productId: string): Promise<number> {
      await this.retrieve(auth, productId);
      return countAddOns(deps.db, productId);
    },
    /** One add-on, for whoever may read its listing (404 otherwise). */
    async addOn(auth: AuthContext, id: string): Promise<AddOnView> {
      const addOn = await findAddOn(deps.db, auth, id);
      if (!addOn) throw new NotFoundError("add-on", id, "id");
      try {
        await this.retrieve(auth, addOn.product_id);
      } catch (err) {
        if (err instanceof NotFoundError) throw new NotFoundError("add-on", id, "id");
        throw err;
      }
      return addOn;
    },
    createAddOn: bind(createAddOn),
    modifyAddOn: bind(modifyAddOn),
    removeAddOn: bind(removeAddOn),
    /** The listing's metafields, for whoever may read it. */
    async metafields(auth: AuthContext, productId: string) {
      return (await this.retrieve(auth, productId)).metafields;
    },
    /** A change to the listing's metafields, by whoever may change the listing; answers them after. */
    async changeMetafields(auth: AuthContext, productId: string, apply: (tx: Tx) => Promise<boolean>) {
      return (await changeListing(ctx, auth, productId, apply)).metafields;
    },
    submit: bind(submit),
    approve: bind(approve),
    reject: bind(reject),
  };
}

export type ProductsService = ReturnType<typeof createProductsService>;
