import type { Db } from "../../../db/client.js";
import type { Prisma } from "../../../db/client.js";
import type { Tenant } from "../../../db/tenant.js";
import type { Product } from "../../../generated/prisma/client.js";
import { ConflictError, NotFoundError, PermissionError, UnprocessableError } from "../../../lib/errors.js";
import { roleAtLeast } from "../../../lib/roles.js";
import type { Clock } from "../../../lib/time.js";
import type { AuthContext } from "../../../plugins/auth.js";
import { type EventSource, type EventType, type RecordEventInput, recordEvents } from "../../events/index.js";
import { findActiveUser } from "../../users/index.js";
import { readProduct } from "../products.list.js";
import type { ProductView } from "../products.repo.js";
import { assertMayManage, maySee, productEvent, type ProductReferences } from "../products.view.js";

/** What every product operation works with, and the steps they share. */
export interface ProductsContext {
  db: Db;
  clock: Clock;
  references: ProductReferences;
}

export async function findProduct(client: Db | Prisma.TransactionClient, tenant: Tenant, id: string): Promise<ProductView> {
  const product = await readProduct(client, tenant, id);
  if (!product) throw new NotFoundError("product", id, "id");
  return product;
}

/** A product (by id, or by slug) as the caller sees it (its variants too): 404 for a listing they may not see. */
export async function findVisible(
  client: Db | Prisma.TransactionClient,
  auth: AuthContext,
  id: string | { kind: "id" | "slug"; value: string },
  now: Date = new Date(),
): Promise<ProductView> {
  const product = await readProduct(client, auth, id, auth, now);
  const key = typeof id === "string" ? { value: id, param: "id" } : { value: id.value, param: id.kind };
  if (!product || !maySee(auth, product, now)) throw new NotFoundError("product", key.value, key.param);
  return product;
}

/**
 * The product as it is now in `tx`, recorded as the event of the change just made — followed by
 * `also` (events of other products the change touched). Call it last in the transaction.
 */
export async function changed(
  ctx: ProductsContext,
  tx: Prisma.TransactionClient,
  source: EventSource,
  id: string,
  type: EventType,
  also: RecordEventInput[] = [],
): Promise<ProductView> {
  const product = await findProduct(tx, source, id);
  await recordEvents(tx, [productEvent(source, type, product, ctx.clock.now()), ...also]);
  return product;
}

/** A parent's variants, all of them (archived ones too), each as a product of its own (as `GET /products/:id` renders it). */
export async function variantsOf(tx: Prisma.TransactionClient, tenant: Tenant, id: string): Promise<ProductView[]> {
  const variants = await tx.product.findMany({
    where: { parentProductId: id, platformId: tenant.platformId, mode: tenant.mode },
    select: { id: true },
    orderBy: [{ created: "asc" }, { id: "asc" }],
  });
  const views: ProductView[] = [];
  for (const v of variants) views.push(await findProduct(tx, tenant, v.id));
  return views;
}

/** Locks the product row for the rest of the transaction, so checks and writes on it do not race. */
export async function lock(tx: Prisma.TransactionClient, tenant: Tenant, id: string): Promise<Product> {
  const rows = await tx.$queryRaw<{ id: string }[]>`
    SELECT id FROM products WHERE id = ${id} AND platform_id = ${tenant.platformId} AND mode = ${tenant.mode}::"Mode" FOR UPDATE`;
  if (rows.length === 0) throw new NotFoundError("product", id, "id");
  return tx.product.findUniqueOrThrow({ where: { id, platformId: tenant.platformId } });
}

/** A product the caller may change, locked for the transaction; 404 when they may not even see it. */
export async function lockManageable(tx: Prisma.TransactionClient, auth: AuthContext, id: string): Promise<Product> {
  const product = await lock(tx, auth, id);
  // Whoever may change a listing sees it before its publishAt: the instant does not matter here.
  if (!maySee(auth, { ...product, publishAt: null })) throw new NotFoundError("product", id, "id");
  assertMayManage(auth, product);
  return product;
}

export async function assertSeller(tx: Prisma.TransactionClient, tenant: Tenant, userId: string): Promise<{ canPostListing: boolean }> {
  const user = await findActiveUser(tx, tenant, userId);
  if (!user) throw new NotFoundError("user", userId, "user_id");
  if (user.suspended) throw new ConflictError("seller_suspended", `Seller ${userId} is suspended: they list nothing new until unsuspended.`, "user_id");
  return { canPostListing: user.canPostListing };
}

/**
 * A user whose `canPostListing` is false lists nothing themself (403 `listing_not_allowed`); the
 * key and editors and up may still list for them (they answer for the catalogue).
 */
export function assertMayPost(auth: AuthContext, sellerId: string, seller: { canPostListing: boolean }): void {
  if (seller.canPostListing || auth.user?.id !== sellerId) return;
  throw new PermissionError("listing_not_allowed", "You may not post listings on this platform (`canPostListing` is false): ask an admin.");
}

/** The seller a new product gets: the one named (editors and keys may name anyone), else the signed-in user. */
export function sellerFor(auth: AuthContext, requested: string | undefined): string | undefined {
  if (requested !== undefined) {
    if (!roleAtLeast(auth.role, "editor") && requested !== auth.user?.id) {
      throw new PermissionError("not_product_seller", "A member can only sell products as themself: leave out user_id or send your own id.");
    }
    return requested;
  }
  return auth.user?.id;
}

/** The parent a variant hangs under: a top-level product of the platform, with the same seller. */
export async function parentFor(tx: Prisma.TransactionClient, auth: AuthContext, parentId: string, self?: string): Promise<Product> {
  if (parentId === self) throw new UnprocessableError("variant_of_itself", "A product cannot be a variant of itself.", "parent_product_id");
  const parent = await tx.product.findFirst({ where: { id: parentId, platformId: auth.platformId, mode: auth.mode } });
  if (!parent || !maySee(auth, { ...parent, publishAt: null })) throw new NotFoundError("product", parentId, "parent_product_id");
  if (parent.parentProductId !== null) {
    throw new UnprocessableError("nested_variant", `${parentId} is itself a variant; variants are one level deep.`, "parent_product_id");
  }
  assertMayManage(auth, parent);
  return parent;
}

/** The fields a client actually sent (an absent optional field must not overwrite a default). */
export function sent<T extends object>(fields: T): Partial<T> {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as Partial<T>;
}
