import type { Prisma } from "../../db/client.js";
import { uniqueViolation } from "../../db/errors.js";
import type { Tenant } from "../../db/tenant.js";
import { AppError, ConflictError, NotFoundError } from "../../lib/errors.js";
import { roleAtLeast } from "../../lib/roles.js";
import type { AuthContext } from "../../plugins/auth.js";
import { mediaOfTenant } from "../media/index.js";
import type { GalleryImage } from "./products.view.js";

/**
 * The listing attributes of issue 18 that need more than a column: the slug made from the name,
 * the gallery's media, who may pick a listing for the home page, and the unique references
 * (slug, external_id, sku) said in the client's terms when taken.
 */

const MAX_SLUG = 80;

/** `Oak Chair — Ø 40 cm` → `oak-chair-o-40-cm`: ASCII letters and digits, accents dropped, words joined by `-`. */
export function slugify(name: string): string {
  const slug = name
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, MAX_SLUG)
    .replace(/-+$/, "");
  return slug || "product";
}

/**
 * The slug a new product gets when none was sent: its name's, or — when another product of the
 * tenant has that — the name's followed by the end of the product's (random) id. `forceSuffix`:
 * a concurrent create took the plain one meanwhile.
 */
export async function generatedSlug(tx: Prisma.TransactionClient, tenant: Tenant, name: string, id: string, forceSuffix: boolean): Promise<string> {
  const base = slugify(name);
  const suffixed = `${base}-${id.slice(-8)}`;
  if (forceSuffix) return suffixed;
  const taken = await tx.product.count({ where: { platformId: tenant.platformId, mode: tenant.mode, slug: base } });
  return taken === 0 ? base : suffixed;
}

/** The gallery of these media ids, in their order: each an upload of the tenant's (404 naming `gallery` otherwise). */
export async function resolveGallery(tx: Prisma.TransactionClient, tenant: Tenant, ids: readonly string[]): Promise<(GalleryImage & Prisma.JsonObject)[]> {
  const found = new Map((await mediaOfTenant(tx, tenant, ids)).map((m) => [m.id, m.url]));
  return ids.map((id) => {
    const url = found.get(id);
    if (url === undefined) throw new NotFoundError("media", id, "gallery");
    return { id, url };
  });
}

/** `onHomepage` is the platform's pick: editors and up and the key set it; anyone else only leaves it as it is. */
export function assertMayPickForHomepage(auth: AuthContext, requested: boolean | undefined, current: boolean): void {
  if (requested === undefined || requested === current || roleAtLeast(auth.role, "editor")) return;
  throw new AppError(403, "permission_error", "field_forbidden", "Only editors and up, and the platform key, pick listings for the home page (`onHomepage`).", {
    param: "onHomepage",
  });
}

/** Whether a failed write broke the uniqueness of a generated slug (then it is retried with a suffix). */
export const isSlugConflict = (err: unknown): boolean => uniqueViolation(err)?.includes("slug") ?? false;

/** A unique reference of a product already taken, said as a 409 naming the field; anything else is rethrown. */
export function productConflict(err: unknown): never {
  const fields = uniqueViolation(err);
  if (fields?.includes("slug")) throw new ConflictError("slug_taken", "Another product of this platform has this slug.", "slug");
  if (fields?.includes("external_id") || fields?.includes("externalId"))
    throw new ConflictError("external_id_taken", "Another product of this platform has this external_id.", "external_id");
  if (fields?.includes("sku")) throw new ConflictError("sku_taken", "Another product of this platform has this SKU.", "sku");
  throw err;
}
