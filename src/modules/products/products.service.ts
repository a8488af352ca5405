import type { Db } from "../../db/client.js";
import { Prisma } from "../../db/client.js";
import type { Product } from "../../generated/prisma/client.js";
import { ConflictError, NotFoundError, PermissionError, UnprocessableError, ValidationError } from "../../lib/errors.js";
import { newId } from "../../lib/ids.js";
import { pageMeta, parseSort, type Page } from "../../lib/pagination.js";
import { roleAtLeast } from "../../lib/roles.js";
import { toApiDate, type Clock } from "../../lib/time.js";
import type { AuthContext } from "../../plugins/auth.js";
import { type EventSource, type EventType, type RecordEventInput, recordEvents } from "../events/index.js";
import { effectivePrice, overlaps } from "./pricing.js";
import { listProducts, readProduct } from "./products.list.js";
import { seasonOrder, type ProductCoreView, type ProductView, type SeasonView } from "./products.repo.js";
import type { AddSeasonalPriceInput, CreateProductInput, ListProductsQuery, UpdateProductInput } from "./products.schemas.js";
import type { Tenant } from "../../db/tenant.js";
import { findActiveUser } from "../users/index.js";

export type { Tenant };
export type { ProductCoreView, ProductView, SeasonView };

export const MAX_SEASONAL_PRICES = 100;

/**
 * What other modules keep of a product, asked when it is deleted: the contracts module answers how
 * many sent, unpaid contracts name it (they stop the deletion), the carts module drops it from carts.
 * Given by the app, since those modules sit above this one.
 */
export interface ProductReferences {
  countSentContractItems(tx: Prisma.TransactionClient, tenant: Tenant, productIds: readonly string[]): Promise<number>;
  removeProductsFromCarts(tx: Prisma.TransactionClient, tenant: Tenant, productIds: readonly string[]): Promise<void>;
}

type PricedProduct = ProductCoreView;

/** In stock and for sale: enabled, not archived, and unlimited or with units left. */
export function isAvailableInStock(p: Pick<Product, "isEnabled" | "archived" | "quantity">): boolean {
  return p.isEnabled && p.archived === null && (p.quantity === null || p.quantity > 0);
}

export function toSeasonalPriceResponse(s: SeasonView) {
  return { id: s.id, seasonStart: toApiDate(s.seasonStart), seasonEnd: toApiDate(s.seasonEnd), price: s.price };
}

function toCoreResponse(p: PricedProduct, at: Date) {
  return {
    id: p.id,
    platform_id: p.platformId,
    mode: p.mode,
    user_id: p.userId,
    parent_product_id: p.parentProductId,
    type: p.type === "service" ? ("service" as const) : ("product" as const),
    name: p.name,
    description: p.description,
    image: p.image,
    quantity: p.quantity,
    isAvailableInStock: isAvailableInStock(p),
    isEnabled: p.isEnabled,
    archived: toApiDate(p.archived),
    category: p.category,
    subcategory: p.subcategory,
    tags: p.tags,
    price: p.price,
    currency: p.currency,
    cycle: p.cycle,
    useSeasonalPrices: p.useSeasonalPrices,
    effectivePrice: effectivePrice(p, p.seasonalPrices, at),
    seasonalPrices: p.seasonalPrices.map(toSeasonalPriceResponse),
    created: toApiDate(p.created),
    updated: toApiDate(p.updated),
  };
}

/** The product object; `at` is the instant its `effectivePrice` is computed for. */
export function toProductResponse(p: ProductView, at: Date) {
  return { ...toCoreResponse(p, at), variants: p.variants.map((v) => toCoreResponse(v, at)) };
}

export function toPricesResponse(p: ProductView, at: Date) {
  return {
    product_id: p.id,
    price: p.price,
    currency: p.currency,
    cycle: p.cycle,
    useSeasonalPrices: p.useSeasonalPrices,
    effectivePrice: effectivePrice(p, p.seasonalPrices, at),
    seasonalPrices: p.seasonalPrices.map(toSeasonalPriceResponse),
  };
}

/**
 * Who may change a product (docs/authorization.md): a platform key, an editor or above, or the member who
 * sells it. Anyone signed in on the platform may read the catalogue.
 */
export function assertMayManage(auth: AuthContext, product: Pick<Product, "id" | "userId">): void {
  if (roleAtLeast(auth.role, "editor")) return;
  if (auth.user && auth.user.id === product.userId) return;
  throw new PermissionError("not_product_seller", `Only the seller of ${product.id}, an editor or the platform key can change it.`);
}

/** A variant rendered on its own (a variant has no variants). */
const asProduct = (variant: ProductCoreView): ProductView => ({ ...variant, variants: [] });

/** The event of a change to `product`, holding it as the API renders it at `at`. */
export function productEvent(source: EventSource, type: EventType, product: ProductView, at: Date): RecordEventInput {
  return { platformId: source.platformId, mode: source.mode, requestId: source.requestId, type, object: toProductResponse(product, at) };
}

/** The fields a client actually sent (an absent optional field must not overwrite a default). */
function sent<T extends object>(fields: T): Partial<T> {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export function createProductsService(deps: { db: Db; clock: Clock; references: ProductReferences }) {
  const { db, clock, references } = deps;

  async function view(tenant: Tenant, id: string, client: Db | Prisma.TransactionClient = db): Promise<ProductView> {
    const product = await readProduct(client, tenant, id);
    if (!product) throw new NotFoundError("product", id, "id");
    return product;
  }

  /**
   * The product as it is now in `tx`, recorded as the event of the change just made — followed by
   * `also` (events of other products the change touched). Call it last in the transaction.
   */
  async function changed(tx: Prisma.TransactionClient, source: EventSource, id: string, type: EventType, also: RecordEventInput[] = []): Promise<ProductView> {
    const product = await view(source, id, tx);
    await recordEvents(tx, [productEvent(source, type, product, clock.now()), ...also]);
    return product;
  }

  /** A parent's variants, all of them (archived ones too), each as a product of its own. */
  async function variantsOf(tx: Prisma.TransactionClient, tenant: Tenant, id: string): Promise<ProductView[]> {
    const variants = await tx.product.findMany({
      where: { parentProductId: id, platformId: tenant.platformId, mode: tenant.mode },
      include: { seasonalPrices: { orderBy: seasonOrder } },
      orderBy: [{ created: "asc" }, { id: "asc" }],
    });
    return variants.map(asProduct);
  }

  /** Locks the product row for the rest of the transaction, so checks and writes on it do not race. */
  async function lock(tx: Prisma.TransactionClient, tenant: Tenant, id: string): Promise<Product> {
    const rows = await tx.$queryRaw<{ id: string }[]>`
      SELECT id FROM products WHERE id = ${id} AND platform_id = ${tenant.platformId} AND mode = ${tenant.mode}::"Mode" FOR UPDATE`;
    if (rows.length === 0) throw new NotFoundError("product", id, "id");
    return tx.product.findUniqueOrThrow({ where: { id, platformId: tenant.platformId } });
  }

  /** A product the caller may change, locked for the transaction. */
  async function lockManageable(tx: Prisma.TransactionClient, auth: AuthContext, id: string): Promise<Product> {
    const product = await lock(tx, auth, id);
    assertMayManage(auth, product);
    return product;
  }

  async function assertSeller(tx: Prisma.TransactionClient, tenant: Tenant, userId: string): Promise<void> {
    const user = await findActiveUser(tx, tenant, userId);
    if (!user) throw new NotFoundError("user", userId, "user_id");
    if (user.suspended) throw new ConflictError("seller_suspended", `Seller ${userId} is suspended: they list nothing new until unsuspended.`, "user_id");
  }

  /** The seller a new product gets: the one named (editors and keys may name anyone), else the signed-in user. */
  function sellerFor(auth: AuthContext, requested: string | undefined): string | undefined {
    if (requested !== undefined) {
      if (!roleAtLeast(auth.role, "editor") && requested !== auth.user?.id) {
        throw new PermissionError("not_product_seller", "A member can only sell products as themself: leave out user_id or send your own id.");
      }
      return requested;
    }
    return auth.user?.id;
  }

  /** The parent a variant hangs under: a top-level product of the platform, with the same seller. */
  async function parentFor(tx: Prisma.TransactionClient, auth: AuthContext, parentId: string, self?: string): Promise<Product> {
    if (parentId === self) throw new UnprocessableError("variant_of_itself", "A product cannot be a variant of itself.", "parent_product_id");
    const parent = await tx.product.findFirst({ where: { id: parentId, platformId: auth.platformId, mode: auth.mode } });
    if (!parent) throw new NotFoundError("product", parentId, "parent_product_id");
    if (parent.parentProductId !== null) {
      throw new UnprocessableError("nested_variant", `${parentId} is itself a variant; variants are one level deep.`, "parent_product_id");
    }
    assertMayManage(auth, parent);
    return parent;
  }

  async function list(tenant: Tenant, query: ListProductsQuery, sellerId?: string): Promise<Page<ProductView>> {
    const sort = parseSort<"price" | "created" | "name">(query.sort);
    const { total, data } = await listProducts(db, { platformId: tenant.platformId, mode: tenant.mode, sellerId }, query, sort);
    return { data, meta: pageMeta(total, query.page, query.per_page, data.length) };
  }

  /**
   * Sets a flag when `onlyIf` says it is not set yet, and records `type` then; setting it again
   * changes nothing and records nothing.
   */
  async function setFlag(auth: AuthContext, id: string, data: Prisma.ProductUpdateManyMutationInput, onlyIf: Prisma.ProductWhereInput, type: EventType): Promise<ProductView> {
    return db.$transaction(async (tx) => {
      await lockManageable(tx, auth, id);
      const { count } = await tx.product.updateMany({ where: { id, platformId: auth.platformId, ...onlyIf }, data });
      return count === 1 ? changed(tx, auth, id, type) : view(auth, id, tx);
    });
  }

  return {
    view,
    lock,
    list,
    changed,

    now: () => clock.now(),

    async create(auth: AuthContext, input: CreateProductInput): Promise<ProductView> {
      const id = newId("product");
      return db.$transaction(async (tx) => {
        const { user_id, parent_product_id, ...rest } = input;
        const fields = sent(rest);
        let sellerId = sellerFor(auth, user_id);
        let inherited: Partial<Pick<Product, "category" | "subcategory" | "type" | "currency" | "cycle">> = {};
        if (parent_product_id) {
          const parent = await parentFor(tx, auth, parent_product_id);
          if (user_id !== undefined && user_id !== parent.userId) {
            throw new UnprocessableError("variant_seller_mismatch", `A variant is sold by its parent's seller (${parent.userId}).`, "user_id");
          }
          sellerId = parent.userId;
          inherited = { category: parent.category, subcategory: parent.subcategory, type: parent.type, currency: parent.currency, cycle: parent.cycle };
        }
        if (!sellerId) {
          throw new ValidationError("parameter_missing", "Say which user sells this product: send `user_id` (a platform key acts for no user).", "user_id");
        }
        await assertSeller(tx, auth, sellerId);
        await tx.product.create({
          data: {
            id,
            platformId: auth.platformId,
            mode: auth.mode,
            userId: sellerId,
            parentProductId: parent_product_id ?? null,
            currency: auth.platform.currency,
            ...inherited,
            ...fields,
            name: input.name,
            price: input.price,
            tags: fields.tags ? [...new Set(fields.tags)] : [],
          },
        });
        return changed(tx, auth, id, "product.created");
      });
    },

    retrieve: (tenant: Tenant, id: string) => view(tenant, id),

    async listForSeller(tenant: Tenant, userId: string, query: ListProductsQuery): Promise<Page<ProductView>> {
      const user = await findActiveUser(db, tenant, userId);
      if (!user) throw new NotFoundError("user", userId, "user_id");
      return list(tenant, query, userId);
    },

    /** Categories of the listed catalogue (top-level products not archived), each with its subcategories and counts. */
    async categories(tenant: Tenant) {
      const groups = await db.product.groupBy({
        by: ["category", "subcategory"],
        where: { platformId: tenant.platformId, mode: tenant.mode, parentProductId: null, archived: null, category: { not: null } },
        _count: { _all: true },
        orderBy: [{ category: "asc" }, { subcategory: "asc" }],
      });
      const categories = new Map<string, { category: string; count: number; subcategories: { subcategory: string; count: number }[] }>();
      for (const g of groups) {
        const name = g.category!;
        const entry = categories.get(name) ?? { category: name, count: 0, subcategories: [] };
        entry.count += g._count._all;
        if (g.subcategory !== null) entry.subcategories.push({ subcategory: g.subcategory, count: g._count._all });
        categories.set(name, entry);
      }
      return { data: [...categories.values()] };
    },

    async update(auth: AuthContext, id: string, input: UpdateProductInput): Promise<ProductView> {
      return db.$transaction(async (tx) => {
        const current = await lockManageable(tx, auth, id);
        const { user_id, parent_product_id, ...rest } = input;
        const fields = sent(rest);
        const data: Prisma.ProductUncheckedUpdateInput = { ...fields, ...(fields.tags ? { tags: [...new Set(fields.tags)] } : {}) };
        let sellerId = current.userId;
        if (user_id !== undefined && user_id !== current.userId) {
          if (!roleAtLeast(auth.role, "editor")) throw new PermissionError("not_product_seller", "Only an editor or the platform key can give a product another seller.");
          await assertSeller(tx, auth, user_id);
          sellerId = user_id;
        }
        if (parent_product_id !== undefined && parent_product_id !== current.parentProductId) {
          if (parent_product_id !== null) {
            const parent = await parentFor(tx, auth, parent_product_id, id);
            if ((await tx.product.count({ where: { parentProductId: id, platformId: auth.platformId } })) > 0) {
              throw new UnprocessableError("nested_variant", "This product has variants of its own, so it cannot become a variant.", "parent_product_id");
            }
            if (parent.userId !== sellerId) {
              throw new UnprocessableError("variant_seller_mismatch", `A variant is sold by its parent's seller (${parent.userId}).`, "parent_product_id");
            }
          }
          data.parentProductId = parent_product_id;
        } else if (current.parentProductId !== null && sellerId !== current.userId) {
          throw new UnprocessableError("variant_seller_mismatch", "A variant is sold by its parent's seller: change the parent's seller instead.", "user_id");
        }
        if (sellerId !== current.userId) {
          data.userId = sellerId;
          // A parent's variants follow it to its new seller.
          await tx.product.updateMany({ where: { parentProductId: id, platformId: auth.platformId }, data: { userId: sellerId } });
        }
        await tx.product.update({ where: { id, platformId: auth.platformId }, data });
        // Variants that followed their parent to its new seller changed too.
        const followers = sellerId !== current.userId ? await variantsOf(tx, auth, id) : [];
        const now = clock.now();
        return changed(
          tx,
          auth,
          id,
          "product.updated",
          followers.map((v) => productEvent(auth, "product.updated", v, now)),
        );
      });
    },

    /**
     * Deletes a product (with its variants and seasonal prices), unless a contract that was sent or
     * is being settled still refers to it or one of its variants: then 409, and archiving is the
     * way to retire it. Buyers' carts and drafts (never sent) do not stand in the way — else any
     * member could pin a seller's catalogue: the product's cart lines go, and a draft's item of it
     * stays as a line that can no longer be sent or settled (409 until its creator removes it).
     */
    async remove(auth: AuthContext, id: string): Promise<ProductView> {
      return db.$transaction(async (tx) => {
        await lockManageable(tx, auth, id);
        const before = await view(auth, id, tx);
        const variants = await variantsOf(tx, auth, id);
        const ids = [id, ...variants.map((v) => v.id)];
        const inContract = await references.countSentContractItems(tx, auth, ids);
        if (inContract > 0) {
          throw new ConflictError("product_in_open_contract", `${id} (or one of its variants) is on a sent contract not yet paid. Archive it instead.`, "id");
        }
        await references.removeProductsFromCarts(tx, auth, ids);
        await tx.product.delete({ where: { id, platformId: auth.platformId } });
        const now = clock.now();
        await recordEvents(
          tx,
          [before, ...variants].map((p) => productEvent(auth, "product.deleted", p, now)),
        );
        return before;
      });
    },

    setEnabled: (auth: AuthContext, id: string, isEnabled: boolean) =>
      setFlag(auth, id, { isEnabled }, { isEnabled: !isEnabled }, isEnabled ? "product.enabled" : "product.disabled"),

    /** Archiving keeps the first archive date; unarchiving clears it. */
    setArchived: (auth: AuthContext, id: string, archived: boolean) =>
      archived
        ? setFlag(auth, id, { archived: clock.now() }, { archived: null }, "product.archived")
        : setFlag(auth, id, { archived: null }, { archived: { not: null } }, "product.unarchived"),

    setSeasonalPriceUsage: (auth: AuthContext, id: string, useSeasonalPrices: boolean) =>
      setFlag(auth, id, { useSeasonalPrices }, { useSeasonalPrices: !useSeasonalPrices }, "product.updated"),

    /**
     * Adds a season. The product row is locked first, so two seasons added at once are checked one
     * after the other and cannot both slip in overlapping.
     */
    async addSeasonalPrice(auth: AuthContext, id: string, input: AddSeasonalPriceInput): Promise<ProductView> {
      return db.$transaction(async (tx) => {
        await lockManageable(tx, auth, id);
        const existing = await tx.seasonalPrice.findMany({ where: { productId: id, platformId: auth.platformId }, orderBy: seasonOrder });
        const clash = existing.find((s) => overlaps(s, input));
        if (clash) {
          throw new ConflictError(
            "season_overlap",
            `This season overlaps ${clash.id} (${toApiDate(clash.seasonStart)} to ${toApiDate(clash.seasonEnd)}). Seasons are [seasonStart, seasonEnd) and may touch but not overlap.`,
            "seasonStart",
          );
        }
        if (existing.length >= MAX_SEASONAL_PRICES) {
          throw new UnprocessableError("too_many_seasonal_prices", `A product can have at most ${MAX_SEASONAL_PRICES} seasonal prices.`, "seasonStart");
        }
        await tx.seasonalPrice.create({
          data: {
            id: newId("seasonalPrice"),
            platformId: auth.platformId,
            mode: auth.mode,
            productId: id,
            seasonStart: input.seasonStart,
            seasonEnd: input.seasonEnd,
            price: input.price,
          },
        });
        await tx.product.update({ where: { id, platformId: auth.platformId }, data: { updated: clock.now() } });
        return changed(tx, auth, id, "product.price_added");
      });
    },

    async removeSeasonalPrice(auth: AuthContext, id: string, priceId: string): Promise<ProductView> {
      return db.$transaction(async (tx) => {
        await lockManageable(tx, auth, id);
        const { count } = await tx.seasonalPrice.deleteMany({ where: { id: priceId, productId: id, platformId: auth.platformId } });
        if (count === 0) throw new NotFoundError("seasonal price", priceId, "price_id");
        await tx.product.update({ where: { id, platformId: auth.platformId }, data: { updated: clock.now() } });
        return changed(tx, auth, id, "product.price_removed");
      });
    },
  };
}

export type ProductsService = ReturnType<typeof createProductsService>;
