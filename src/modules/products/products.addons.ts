import { Prisma } from "../../db/client.js";
import type { Db } from "../../db/client.js";
import type { Tenant, Tx } from "../../db/tenant.js";
import { NotFoundError, UnprocessableError } from "../../lib/errors.js";
import type { AddOnView } from "./products.repo.js";

/**
 * The `product_add_ons` table: a listing's optional extras (docs/api/add-ons.md). Read as a JSON
 * subquery of the product object, and by carts and contracts pricing a line with the add-ons chosen
 * on it. Each add-on chosen is taken once per unit of the line, at its price in cents.
 */

/** Add-ons one listing offers at most. */
export const MAX_ADD_ONS = 50;
/** Add-ons one cart line or contract item carries at most. */
export const MAX_ADD_ONS_PER_LINE = 20;

const ADD_ON_JSON = Prisma.sql`json_build_object('id', a.id, 'product_id', a.product_id, 'title', a.title, 'description', a.description, 'price', a.price,
  'created', to_char(a.created AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), 'updated', to_char(a.updated AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))`;

/** The add-ons of the product whose id is in that column, oldest first, as the API answers them. */
export const addOnsJsonSql = (productId: Prisma.Sql) =>
  Prisma.sql`coalesce((SELECT json_agg(${ADD_ON_JSON} ORDER BY a.created, a.id) FROM product_add_ons a WHERE a.product_id = ${productId}), '[]'::json)`;

/**
 * The add-ons chosen on a cart line (their ids in the column `ids`) that its product — or, for a
 * variant, its parent — still offers, as JSON: a deleted add-on drops out of the line.
 */
export const chosenAddOnsJsonSql = (ids: Prisma.Sql, productId: Prisma.Sql) =>
  Prisma.sql`coalesce((SELECT json_agg(${ADD_ON_JSON} ORDER BY a.created, a.id) FROM product_add_ons a
    WHERE a.id = ANY(coalesce(${ids}, ARRAY[]::text[])) AND (a.product_id = ${productId} OR a.product_id = (SELECT pa.parent_product_id FROM products pa WHERE pa.id = ${productId}))), '[]'::json)`;

export async function findAddOn(client: Db | Tx, tenant: Tenant, id: string): Promise<AddOnView | null> {
  const [row] = await client.$queryRaw<{ a: AddOnView }[]>`
    SELECT ${ADD_ON_JSON} AS a FROM product_add_ons a WHERE a.id = ${id} AND a.platform_id = ${tenant.platformId} AND a.mode = ${tenant.mode}::"Mode"`;
  return row?.a ?? null;
}

export async function listAddOns(client: Db | Tx, productId: string): Promise<AddOnView[]> {
  const [row] = await client.$queryRaw<{ list: AddOnView[] }[]>`SELECT ${addOnsJsonSql(Prisma.sql`${productId}`)} AS list`;
  return row?.list ?? [];
}

/**
 * The add-ons `ids` of the product being bought — its own, or its parent's for a variant — in the
 * order given; 422 `add_on_not_offered` naming `param` for one it does not offer (or another
 * platform's, which it cannot).
 */
export async function addOnsOffered(client: Db | Tx, product: { id: string; parentProductId: string | null }, ids: readonly string[], param: string): Promise<AddOnView[]> {
  if (ids.length === 0) return [];
  if (ids.length > MAX_ADD_ONS_PER_LINE) throw new UnprocessableError("add_on_not_offered", `A line carries at most ${MAX_ADD_ONS_PER_LINE} add-ons.`, param);
  const owners = product.parentProductId === null ? [product.id] : [product.id, product.parentProductId];
  const rows = await client.$queryRaw<{ a: AddOnView }[]>`
    SELECT ${ADD_ON_JSON} AS a FROM product_add_ons a WHERE a.id = ANY(${[...new Set(ids)]}::text[]) AND a.product_id = ANY(${owners}::text[])`;
  const found = new Map(rows.map((r) => [r.a.id, r.a]));
  const missing = ids.find((id) => !found.has(id));
  if (missing !== undefined) throw new UnprocessableError("add_on_not_offered", `${missing} is not an add-on of ${product.id}.`, param);
  return [...new Set(ids)].map((id) => found.get(id)!);
}

export async function countAddOns(client: Db | Tx, productId: string): Promise<number> {
  const [row] = await client.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM product_add_ons WHERE product_id = ${productId}`;
  return row?.n ?? 0;
}

export async function insertAddOn(tx: Tx, tenant: Tenant, row: { id: string; productId: string; title: string; description: string | null; price: number }): Promise<void> {
  if ((await countAddOns(tx, row.productId)) >= MAX_ADD_ONS) throw new UnprocessableError("too_many_add_ons", `A listing offers at most ${MAX_ADD_ONS} add-ons.`);
  await tx.$executeRaw`
    INSERT INTO product_add_ons (id, platform_id, mode, product_id, title, description, price, created, updated)
    VALUES (${row.id}, ${tenant.platformId}, ${tenant.mode}::"Mode", ${row.productId}, ${row.title}, ${row.description}, ${row.price}, now(), now())`;
}

export async function updateAddOn(tx: Tx, id: string, fields: { title?: string; description?: string | null; price?: number }): Promise<void> {
  await tx.productAddOn.update({ where: { id }, data: fields });
}

export async function deleteAddOn(tx: Tx, productId: string, id: string): Promise<void> {
  const count = await tx.$executeRaw`DELETE FROM product_add_ons WHERE id = ${id} AND product_id = ${productId}`;
  if (count === 0) throw new NotFoundError("add-on of this product", id, "addon_id");
}
