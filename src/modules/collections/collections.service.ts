import type { Db } from "../../db/client.js";
import { Prisma } from "../../db/client.js";
import { uniqueViolation } from "../../db/errors.js";
import type { Tenant, Tx } from "../../db/tenant.js";
import type { Collection } from "../../generated/prisma/client.js";
import { ConflictError, NotFoundError, UnprocessableError, ValidationError } from "../../lib/errors.js";
import { newId } from "../../lib/ids.js";
import { pageMeta, pageWindow, parseSort, type Page } from "../../lib/pagination.js";
import { toApiDate } from "../../lib/time.js";
import type { AuthContext } from "../../plugins/auth.js";
import { categoryForProduct } from "../categories/index.js";
import { type EventType, recordEvent } from "../events/index.js";
import { existingProductIds, type ListProductsQuery, type ProductsService, type ProductView } from "../products/index.js";
import type { CollectionRules, CreateCollectionInput, ListCollectionsQuery, UpdateCollectionInput } from "./collections.schemas.js";

export const MAX_COLLECTIONS = 500;

export type CollectionView = Collection & { productIds: string[] };

export function toCollectionResponse(c: CollectionView) {
  return {
    id: c.id,
    platform_id: c.platformId,
    mode: c.mode,
    handle: c.handle,
    title: c.title,
    description: c.description,
    type: c.kind,
    product_ids: c.productIds,
    rules: (c.rules ?? null) as CollectionRules | null,
    metadata: (c.metadata ?? null) as Record<string, unknown> | null,
    created: toApiDate(c.created),
    updated: toApiDate(c.updated),
  };
}

function handleOf(title: string): string {
  const handle = title
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 100)
    .replace(/-+$/, "");
  return handle || "collection";
}

const json = (value: unknown) => (value === null ? Prisma.DbNull : (value as Prisma.InputJsonValue));

export function createCollectionsService(deps: { db: Db; products: Pick<ProductsService, "list" | "listOnly"> }) {
  const { db, products } = deps;

  /** By id or by handle (the routes take either). */
  async function find(client: Db | Tx, tenant: Tenant, idOrHandle: string): Promise<CollectionView> {
    const collection = await client.collection.findFirst({
      where: { platformId: tenant.platformId, mode: tenant.mode, OR: [{ id: idOrHandle }, { handle: idOrHandle }] },
      include: { items: { orderBy: { position: "asc" }, select: { productId: true } } },
    });
    if (!collection) throw new NotFoundError("collection", idOrHandle, "id");
    const { items, ...rest } = collection;
    return { ...rest, productIds: items.map((i) => i.productId) };
  }

  /** Every product named is one of the platform's (404 naming the first that is not). */
  async function assertProducts(tx: Tx, ids: readonly string[]): Promise<void> {
    const existing = await existingProductIds(tx, ids);
    const missing = ids.find((id) => !existing.has(id));
    if (missing !== undefined) throw new NotFoundError("product", missing, "product_ids");
  }

  async function assertRules(tx: Tx, tenant: Tenant, rules: CollectionRules): Promise<void> {
    if (!rules.category_id) return;
    try {
      await categoryForProduct(tx, tenant, rules.category_id);
    } catch (err) {
      if (err instanceof NotFoundError) throw new NotFoundError("category", rules.category_id, "rules.category_id");
      throw err;
    }
  }

  async function setProducts(tx: Tx, tenant: Tenant, id: string, ids: readonly string[]): Promise<void> {
    await assertProducts(tx, ids);
    await tx.collectionProduct.deleteMany({ where: { collectionId: id } });
    await tx.collectionProduct.createMany({
      data: ids.map((productId, position) => ({ collectionId: id, productId, platformId: tenant.platformId, mode: tenant.mode, position })),
    });
  }

  async function recordChange(tx: Tx, tenant: Tenant, type: EventType, collection: CollectionView): Promise<void> {
    await recordEvent(tx, { platformId: tenant.platformId, mode: tenant.mode, requestId: tenant.requestId, type, object: toCollectionResponse(collection) });
  }

  function handleConflict(err: unknown): never {
    if (uniqueViolation(err)?.includes("handle")) throw new ConflictError("handle_taken", "Another collection of this platform has this handle.", "handle");
    throw err;
  }

  return {
    async list(tenant: Tenant, query: ListCollectionsQuery): Promise<Page<CollectionView>> {
      const where: Prisma.CollectionWhereInput = { platformId: tenant.platformId, mode: tenant.mode };
      if (query["filter[type]"]) where.kind = query["filter[type]"];
      const { field, direction } = parseSort<"created" | "title">(query.sort);
      const [rows, total] = await Promise.all([
        db.collection.findMany({
          where,
          orderBy: [{ [field]: direction }, { id: direction }],
          include: { items: { orderBy: { position: "asc" }, select: { productId: true } } },
          ...pageWindow(query.page, query.per_page),
        }),
        db.collection.count({ where }),
      ]);
      const data = rows.map(({ items, ...rest }) => ({ ...rest, productIds: items.map((i) => i.productId) }));
      return { data, meta: pageMeta(total, query.page, query.per_page, data.length) };
    },

    retrieve: (tenant: Tenant, idOrHandle: string) => find(db, tenant, idOrHandle),

    async create(tenant: Tenant, input: CreateCollectionInput): Promise<CollectionView> {
      const id = newId("collection");
      return db
        .$transaction(async (tx) => {
          if ((await tx.collection.count({ where: { platformId: tenant.platformId, mode: tenant.mode } })) >= MAX_COLLECTIONS) {
            throw new UnprocessableError("too_many_collections", `A platform has at most ${MAX_COLLECTIONS} collections.`);
          }
          if (input.rules) await assertRules(tx, tenant, input.rules);
          await tx.collection.create({
            data: {
              id,
              platformId: tenant.platformId,
              mode: tenant.mode,
              handle: input.handle ?? handleOf(input.title),
              title: input.title,
              description: input.description ?? null,
              kind: input.type,
              rules: input.rules ? json(input.rules) : Prisma.DbNull,
              metadata: input.metadata ? json(input.metadata) : Prisma.DbNull,
            },
          });
          if (input.product_ids?.length) await setProducts(tx, tenant, id, input.product_ids);
          const collection = await find(tx, tenant, id);
          await recordChange(tx, tenant, "collection.created", collection);
          return collection;
        })
        .catch(handleConflict);
    },

    /** Changes the fields sent; `product_ids` (curated) or `rules` (rule-based) replace the collection's whole list or rules. */
    async update(tenant: Tenant, idOrHandle: string, input: UpdateCollectionInput): Promise<CollectionView> {
      return db
        .$transaction(async (tx) => {
          const current = await find(tx, tenant, idOrHandle);
          // Taken in turn: two replacements of one curated list must not interleave.
          await tx.$executeRaw`SELECT 1 FROM collections WHERE id = ${current.id} FOR UPDATE`;
          if (input.product_ids !== undefined && current.kind !== "curated") {
            throw new ValidationError("parameter_invalid", "A rule-based collection has rules, not a list of products: send `rules`.", "product_ids");
          }
          if (input.rules !== undefined && current.kind !== "rules") {
            throw new ValidationError("parameter_invalid", "A curated collection has a list of products, not rules: send `product_ids`.", "rules");
          }
          if (input.rules) await assertRules(tx, tenant, input.rules);
          const data: Prisma.CollectionUncheckedUpdateInput = {};
          if (input.handle !== undefined) data.handle = input.handle;
          if (input.title !== undefined) data.title = input.title;
          if (input.description !== undefined) data.description = input.description;
          if (input.rules !== undefined) data.rules = json(input.rules);
          if (input.metadata !== undefined) data.metadata = json(input.metadata);
          // Touched even when only its products change, so `updated` says when it last changed.
          await tx.collection.update({ where: { id: current.id }, data: { ...data, updated: new Date() } });
          if (input.product_ids !== undefined) await setProducts(tx, tenant, current.id, input.product_ids);
          const collection = await find(tx, tenant, current.id);
          await recordChange(tx, tenant, "collection.updated", collection);
          return collection;
        })
        .catch(handleConflict);
    },

    /** Deletes the collection (never its products). Answers it as it was. */
    async remove(tenant: Tenant, idOrHandle: string): Promise<CollectionView> {
      return db.$transaction(async (tx) => {
        const collection = await find(tx, tenant, idOrHandle);
        const { count } = await tx.collection.deleteMany({ where: { id: collection.id, platformId: tenant.platformId, mode: tenant.mode } });
        if (count === 0) throw new NotFoundError("collection", idOrHandle, "id");
        await recordChange(tx, tenant, "collection.deleted", collection);
        return collection;
      });
    },

    /**
     * The products in the collection, as the catalogue shows them to the caller (archived ones left
     * out): a curated list in its order, or the catalogue filtered by the rules.
     */
    async products(auth: AuthContext, idOrHandle: string, query: { page: number; per_page: number; sort: string }): Promise<Page<ProductView>> {
      const collection = await find(db, auth, idOrHandle);
      const base = { page: query.page, per_page: query.per_page, sort: query.sort } as ListProductsQuery;
      if (collection.kind === "curated") return products.listOnly(auth, collection.productIds, base);
      const rules = (collection.rules ?? {}) as CollectionRules;
      return products.list(auth, {
        ...base,
        "filter[category_id]": rules.category_id,
        "filter[tags]": rules.tags,
        "filter[price][gte]": rules.price_gte,
        "filter[price][lte]": rules.price_lte,
        "filter[type]": rules.type ? [rules.type] : undefined,
      });
    },
  };
}

export type CollectionsService = ReturnType<typeof createCollectionsService>;
