import type { Db } from "../../db/client.js";
import { Prisma } from "../../db/client.js";
import { uniqueViolation } from "../../db/errors.js";
import type { Tenant, Tx } from "../../db/tenant.js";
import type { Category } from "../../generated/prisma/client.js";
import { ConflictError, NotFoundError, UnprocessableError } from "../../lib/errors.js";
import { newId } from "../../lib/ids.js";
import { pageMeta, pageWindow, parseSort, type Page } from "../../lib/pagination.js";
import { toApiDate, type Clock } from "../../lib/time.js";
import { type EventType, recordEvent } from "../events/index.js";
import type { CategoryNode, CreateCategoryInput, ListCategoriesQuery, UpdateCategoryInput } from "./categories.schemas.js";

export type { Tenant };

/** A platform's tree is bounded, so the whole of it is one answer (`GET /categories/tree`) and every walk up or down it is short. */
export const MAX_CATEGORIES = 1000;
export const MAX_DEPTH = 10;

/**
 * What the products module keeps of a category, asked when one changes: how many products point to
 * it (they stop its deletion), and the free-text `category` its products show old clients (renamed
 * with it). Given by the app, since the products module sits above this one.
 */
export interface CategoryReferences {
  countProducts(tx: Tx, tenant: Tenant, categoryId: string): Promise<number>;
  renameProducts(tx: Tx, tenant: Tenant, categoryId: string, name: string): Promise<void>;
}

export function toCategoryResponse(c: Category) {
  return {
    id: c.id,
    platform_id: c.platformId,
    mode: c.mode,
    parent_id: c.parentId,
    slug: c.slug,
    name: c.name,
    description: c.description,
    position: c.position,
    image: c.image,
    created: toApiDate(c.created),
    updated: toApiDate(c.updated),
  };
}

/** `Garden Tools & Seeds` → `garden-tools-seeds`; a name with no letter or digit gives `category`. */
export function slugify(name: string): string {
  const slug = name
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 100)
    .replace(/-+$/, "");
  return slug || "category";
}

const ORDER = [{ position: "asc" }, { name: "asc" }, { id: "asc" }] satisfies Prisma.CategoryOrderByWithRelationInput[];

/** The category and every category under it, as a subquery of ids (for `IN (…)`); bounded by the tree's depth. */
export function categorySubtreeSql(tenant: Pick<Tenant, "platformId" | "mode">, id: string): Prisma.Sql {
  return Prisma.sql`
    WITH RECURSIVE subtree(id, depth) AS (
      SELECT c.id, 1 FROM categories c WHERE c.id = ${id} AND c.platform_id = ${tenant.platformId} AND c.mode = ${tenant.mode}::"Mode"
      UNION ALL
      SELECT c.id, s.depth + 1 FROM categories c JOIN subtree s ON c.parent_id = s.id WHERE s.depth < ${MAX_DEPTH}
    )
    SELECT id FROM subtree`;
}

/** A category of a facet (docs/api/search.md): its own listings' count plus those of every category under it. */
export interface CategoryFacet {
  id: string;
  name: string;
  parent_id: string | null;
  count: number;
}

/**
 * The `category` facet of a product search: given how many matching listings each category holds
 * directly, each category with its whole subtree's count (the tree's order; categories counting
 * nothing are left out). The tree is bounded (MAX_CATEGORIES), so it is read whole.
 */
export async function categoryFacet(client: Db | Tx, tenant: Pick<Tenant, "platformId" | "mode">, direct: ReadonlyMap<string, number>): Promise<CategoryFacet[]> {
  if (direct.size === 0) return [];
  const rows = await client.category.findMany({ where: { platformId: tenant.platformId, mode: tenant.mode }, orderBy: ORDER, select: { id: true, name: true, parentId: true } });
  const byId = new Map(rows.map((c) => [c.id, c]));
  const counts = new Map<string, number>();
  for (const [id, n] of direct) {
    // Up the chain, at most MAX_DEPTH steps (the tree's writes keep it acyclic; the bound makes sure).
    for (let current = byId.get(id), steps = 0; current && steps < MAX_DEPTH; current = current.parentId ? byId.get(current.parentId) : undefined, steps++) {
      counts.set(current.id, (counts.get(current.id) ?? 0) + n);
    }
  }
  return rows.filter((c) => counts.has(c.id)).map((c) => ({ id: c.id, name: c.name, parent_id: c.parentId, count: counts.get(c.id)! }));
}

/** A category a product may point to, share-locked (it cannot be deleted or renamed under the write); 404 naming `category_id` otherwise. */
export async function categoryForProduct(tx: Tx, tenant: Tenant, id: string): Promise<{ id: string; name: string }> {
  const [row] = await tx.$queryRaw<{ id: string; name: string }[]>`
    SELECT id, name FROM categories WHERE id = ${id} AND platform_id = ${tenant.platformId} AND mode = ${tenant.mode}::"Mode" FOR SHARE`;
  if (!row) throw new NotFoundError("category", id, "category_id");
  return row;
}

export function createCategoriesService(deps: { db: Db; clock: Clock; references: CategoryReferences }) {
  const { db, references } = deps;

  async function find(client: Db | Tx, tenant: Tenant, id: string, param = "id"): Promise<Category> {
    const category = await client.category.findFirst({ where: { id, platformId: tenant.platformId, mode: tenant.mode } });
    if (!category) throw new NotFoundError("category", id, param);
    return category;
  }

  /** Writes to one platform's tree take turns: two moves at once could otherwise close a cycle neither saw. */
  async function lockTree(tx: Tx, tenant: Tenant): Promise<void> {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`categories:${tenant.platformId}:${tenant.mode}`}))`;
  }

  /** The ids from this category up to the top of the tree, itself first. */
  async function ancestry(tx: Tx, tenant: Tenant, id: string): Promise<string[]> {
    const chain: string[] = [];
    let current: string | null = id;
    while (current !== null && chain.length <= MAX_DEPTH) {
      chain.push(current);
      const row: { parentId: string | null } | null = await tx.category.findFirst({
        where: { id: current, platformId: tenant.platformId, mode: tenant.mode },
        select: { parentId: true },
      });
      current = row?.parentId ?? null;
    }
    return chain;
  }

  /** How many levels the subtree under this category has, itself included (1 for a leaf). */
  async function height(tx: Tx, id: string): Promise<number> {
    const [row] = await tx.$queryRaw<{ height: number }[]>`
      WITH RECURSIVE subtree(id, depth) AS (
        SELECT id, 1 FROM categories WHERE id = ${id}
        UNION ALL
        SELECT c.id, s.depth + 1 FROM categories c JOIN subtree s ON c.parent_id = s.id WHERE s.depth <= ${MAX_DEPTH}
      )
      SELECT max(depth)::int AS height FROM subtree`;
    return row?.height ?? 1;
  }

  /** Checks that the subtree of `id` (of `subtreeHeight` levels) may hang under `parentId`: it exists, is not inside the subtree, and the tree stays within MAX_DEPTH. */
  async function assertParent(tx: Tx, tenant: Tenant, parentId: string, id: string | null, subtreeHeight: number): Promise<void> {
    await find(tx, tenant, parentId, "parent_id");
    const chain = await ancestry(tx, tenant, parentId);
    if (id !== null && chain.includes(id)) {
      throw new UnprocessableError("category_cycle", `A category cannot move under itself or one of its own subcategories (${parentId}).`, "parent_id");
    }
    if (chain.length + subtreeHeight > MAX_DEPTH) {
      throw new UnprocessableError("category_too_deep", `The category tree is at most ${MAX_DEPTH} levels deep.`, "parent_id");
    }
  }

  async function recordChange(tx: Tx, tenant: Tenant, type: EventType, category: Category): Promise<void> {
    await recordEvent(tx, { platformId: tenant.platformId, mode: tenant.mode, requestId: tenant.requestId, type, object: toCategoryResponse(category) });
  }

  function slugConflict(err: unknown): never {
    if (uniqueViolation(err)?.includes("slug")) throw new ConflictError("slug_taken", "Another category of this platform has this slug.", "slug");
    throw err;
  }

  return {
    async list(tenant: Tenant, query: ListCategoriesQuery): Promise<Page<Category>> {
      const where: Prisma.CategoryWhereInput = { platformId: tenant.platformId, mode: tenant.mode };
      const parent = query["filter[parent_id]"];
      if (parent !== undefined) where.parentId = parent === "null" ? null : parent;
      if (query["filter[slug]"]) where.slug = query["filter[slug]"];
      if (query.search) where.OR = [{ name: { contains: query.search, mode: "insensitive" } }, { slug: { contains: query.search, mode: "insensitive" } }];
      const { field, direction } = parseSort<"position" | "name" | "created">(query.sort);
      const orderBy: Prisma.CategoryOrderByWithRelationInput[] = [{ [field]: direction }, { name: direction }, { id: direction }];
      const [data, total] = await Promise.all([db.category.findMany({ where, orderBy, ...pageWindow(query.page, query.per_page) }), db.category.count({ where })]);
      return { data, meta: pageMeta(total, query.page, query.per_page, data.length) };
    },

    /** The whole tree, each level in order (the tree is bounded by MAX_CATEGORIES). */
    async tree(tenant: Tenant): Promise<CategoryNode[]> {
      const rows = await db.category.findMany({ where: { platformId: tenant.platformId, mode: tenant.mode }, orderBy: ORDER });
      const nodes = new Map<string, CategoryNode>(rows.map((c) => [c.id, { ...toCategoryResponse(c), children: [] }]));
      const roots: CategoryNode[] = [];
      for (const c of rows) {
        const node = nodes.get(c.id)!;
        const parent = c.parentId === null ? undefined : nodes.get(c.parentId);
        (parent ? parent.children : roots).push(node);
      }
      return roots;
    },

    retrieve: (tenant: Tenant, id: string) => find(db, tenant, id),

    async create(tenant: Tenant, input: CreateCategoryInput): Promise<Category> {
      const id = newId("category");
      return db
        .$transaction(async (tx) => {
          await lockTree(tx, tenant);
          if ((await tx.category.count({ where: { platformId: tenant.platformId, mode: tenant.mode } })) >= MAX_CATEGORIES) {
            throw new UnprocessableError("too_many_categories", `A platform has at most ${MAX_CATEGORIES} categories.`);
          }
          const parentId = input.parent_id ?? null;
          if (parentId !== null) await assertParent(tx, tenant, parentId, null, 1);
          const category = await tx.category.create({
            data: {
              id,
              platformId: tenant.platformId,
              mode: tenant.mode,
              parentId,
              name: input.name,
              slug: input.slug ?? slugify(input.name),
              description: input.description ?? null,
              position: input.position ?? 0,
              image: input.image ?? null,
            },
          });
          await recordChange(tx, tenant, "category.created", category);
          return category;
        })
        .catch(slugConflict);
    },

    /** Changes the fields sent; a new `parent_id` moves the category with its whole subtree. */
    async update(tenant: Tenant, id: string, input: UpdateCategoryInput): Promise<Category> {
      return db
        .$transaction(async (tx) => {
          await lockTree(tx, tenant);
          const current = await find(tx, tenant, id);
          const data: Prisma.CategoryUncheckedUpdateInput = {};
          if (input.name !== undefined) data.name = input.name;
          if (input.slug !== undefined) data.slug = input.slug;
          if (input.description !== undefined) data.description = input.description;
          if (input.position !== undefined) data.position = input.position;
          if (input.image !== undefined) data.image = input.image;
          if (input.parent_id !== undefined && input.parent_id !== current.parentId) {
            if (input.parent_id !== null) await assertParent(tx, tenant, input.parent_id, id, await height(tx, id));
            data.parentId = input.parent_id;
          }
          const category = await tx.category.update({ where: { id }, data });
          if (category.name !== current.name) await references.renameProducts(tx, tenant, id, category.name);
          await recordChange(tx, tenant, "category.updated", category);
          return category;
        })
        .catch(slugConflict);
    },

    /** Refused (409) while it has subcategories or products: move or delete those first. Answers the category as it was. */
    async remove(tenant: Tenant, id: string): Promise<Category> {
      return db.$transaction(async (tx) => {
        await lockTree(tx, tenant);
        // Locked: a product being linked to it holds a share lock on the row, so the count below is final.
        const locked = await tx.$queryRaw<{ id: string }[]>`
          SELECT id FROM categories WHERE id = ${id} AND platform_id = ${tenant.platformId} AND mode = ${tenant.mode}::"Mode" FOR UPDATE`;
        if (locked.length === 0) throw new NotFoundError("category", id, "id");
        const category = await find(tx, tenant, id);
        const children = await tx.category.count({ where: { parentId: id } });
        if (children > 0) throw new ConflictError("category_has_children", `The category has ${children} subcategories: move or delete them first.`);
        const products = await references.countProducts(tx, tenant, id);
        if (products > 0) throw new ConflictError("category_in_use", `${products} products are in this category: move them to another category first.`);
        await tx.category.delete({ where: { id } });
        await recordChange(tx, tenant, "category.deleted", category);
        return category;
      });
    },
  };
}

export type CategoriesService = ReturnType<typeof createCategoriesService>;
