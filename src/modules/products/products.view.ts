import type { Prisma } from "../../db/client.js";
import type { Tenant } from "../../db/tenant.js";
import type { Product } from "../../generated/prisma/client.js";
import { ConflictError, NotFoundError, PermissionError, UnprocessableError } from "../../lib/errors.js";
import { type Role, roleAtLeast } from "../../lib/roles.js";
import { toApiDate } from "../../lib/time.js";
import type { AuthContext } from "../../plugins/auth.js";
import type { EventSource, EventType, RecordEventInput } from "../events/index.js";
import { effectivePrice } from "./pricing.js";
import type { SEARCH_LANGUAGES } from "./products.schemas.js";
import type { ProductCoreView, ProductView, SeasonView } from "./products.repo.js";

/** The product as the API answers it, who may change one, and the event of a change: no database here. */

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

export interface GalleryImage {
  id: string;
  url: string;
}

/** The stored gallery (a JSON array of `{ id, url }`). */
export function galleryOf(value: unknown): GalleryImage[] {
  return Array.isArray(value) ? (value as GalleryImage[]).map((g) => ({ id: g.id, url: g.url })) : [];
}

/**
 * The product object cut down to `fields` (and its `id`), for `fields=`. Typed as the whole object:
 * a route answering it skips the response schema's check (routes/read.ts, `sparse`).
 */
export function pickFields<T extends { id: string }>(product: T, fields: readonly string[] | undefined): T {
  if (!fields) return product;
  const picked: Record<string, unknown> = { id: product.id };
  for (const f of fields) picked[f] = (product as Record<string, unknown>)[f];
  return picked as T;
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
    category_id: p.categoryId,
    tags: p.tags,
    price: p.price,
    currency: p.currency,
    cycle: p.cycle,
    useSeasonalPrices: p.useSeasonalPrices,
    membersOnly: p.membersOnly,
    language: p.language as (typeof SEARCH_LANGUAGES)[number],
    latitude: p.latitude,
    longitude: p.longitude,
    effectivePrice: effectivePrice(p, p.seasonalPrices, at),
    seasonalPrices: p.seasonalPrices.map(toSeasonalPriceResponse),
    adminStatus: p.adminStatus,
    rejectionReason: p.rejectionReason,
    slug: p.slug,
    external_id: p.externalId,
    sku: p.sku,
    gallery: galleryOf(p.gallery),
    weight: p.weight,
    minQuantity: p.minQuantity,
    visibility: p.visibility,
    publishAt: toApiDate(p.publishAt),
    onHomepage: p.onHomepage,
    created: toApiDate(p.created),
    updated: toApiDate(p.updated),
  };
}

/** The product object; `at` is the instant its `effectivePrice` is computed for. */
export function toProductResponse(p: ProductView, at: Date) {
  return { ...toCoreResponse(p, at), variants: p.variants.map((v) => toCoreResponse(v, at)), metafields: p.metafields, add_ons: p.addOns };
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

/** Who is looking at the catalogue: a credential's rights and signed-in user (an AuthContext is one). */
export interface Viewer {
  role: Role;
  user: { id: string } | null;
}

/** Admins, owners and the key (which acts as owner) review listings and see every one of them. */
export const isReviewer = (viewer: Viewer): boolean => roleAtLeast(viewer.role, "admin");

/** Editors and up, and the key, manage the whole catalogue: they see listings before their `publishAt` and whatever their `visibility`. */
export const isCatalogueEditor = (viewer: Viewer): boolean => roleAtLeast(viewer.role, "editor");

/**
 * Whether the viewer may see a listing: a published one anybody signed in on the platform may; one
 * that is not (a draft, pending review, rejected) only its seller and the reviewers. One whose
 * `publishAt` is still to come only its seller and editors and up. Everyone else is answered 404,
 * as if it did not exist. (`visibility` only decides which lists show it.)
 */
export function maySee(viewer: Viewer, p: Pick<Product, "userId" | "adminStatus" | "publishAt">, now: Date = new Date()): boolean {
  const own = viewer.user?.id === p.userId;
  if (p.publishAt !== null && p.publishAt.getTime() > now.getTime() && !own && !isCatalogueEditor(viewer)) return false;
  return p.adminStatus === "published" || isReviewer(viewer) || own;
}

/**
 * A product about to be bought (a cart line, a contract item): published, and so is its parent for a
 * variant. One the buyer may not see is answered 404, one they may see (their own, or a reviewer's
 * view) 409 `product_not_published`.
 */
export function assertPublished(
  viewer: Viewer,
  p: Pick<Product, "id" | "name" | "userId" | "adminStatus" | "publishAt"> & { parent?: Pick<Product, "userId" | "adminStatus" | "publishAt"> | null },
  param = "product_id",
  now: Date = new Date(),
): void {
  for (const listing of [p, p.parent ?? null]) {
    if (listing === null) continue;
    if (!maySee(viewer, listing, now)) throw new NotFoundError("product", p.id, param);
    if (listing.adminStatus === "published") continue;
    throw new ConflictError("product_not_published", `${p.name} (${p.id}) is not published (${listing.adminStatus}) and cannot be bought.`, param);
  }
}

/**
 * A cart line or contract item of `quantity` units of `p`: at least its `minQuantity`, else 422
 * `quantity_below_minimum` (0, which removes a cart line, is not a quantity held).
 */
export function assertMinimumQuantity(p: Pick<Product, "id" | "name" | "minQuantity">, quantity: number, param = "quantity"): void {
  if (quantity > 0 && quantity < p.minQuantity) {
    throw new UnprocessableError("quantity_below_minimum", `${p.name} (${p.id}) is sold by at least ${p.minQuantity} units; ${quantity} asked.`, param);
  }
}

/** The event of a change to `product`, holding it as the API renders it at `at`. */
export function productEvent(source: EventSource, type: EventType, product: ProductView, at: Date): RecordEventInput {
  return { platformId: source.platformId, mode: source.mode, requestId: source.requestId, type, object: toProductResponse(product, at) };
}
