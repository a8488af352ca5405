import type { Prisma } from "../../../db/client.js";
import { PermissionError, UnprocessableError } from "../../../lib/errors.js";
import { roleAtLeast } from "../../../lib/roles.js";
import type { AuthContext } from "../../../plugins/auth.js";
import { categoryFields } from "../products.categories.js";
import type { ProductView } from "../products.repo.js";
import type { UpdateProductInput } from "../products.schemas.js";
import { galleryOf, isReviewer, productEvent } from "../products.view.js";
import { assertMayPickForHomepage, productConflict, resolveGallery } from "../products.attributes.js";
import { recordEvent } from "../../events/index.js";
import { writeMetafields } from "../../metafields/index.js";
import { assertSeller, changed, lockManageable, parentFor, sent, variantsOf, type ProductsContext } from "./shared.js";

/** What a reviewer looks at: a change to one of these (or to the gallery's images) sends a published listing back to review. */
const CONTENT = ["name", "description", "image", "category", "subcategory", "tags", "type"] as const;

/**
 * Changes a product's fields, its seller (editors and the key) or its parent; a parent's variants follow it to a new seller.
 * When the platform requires review, a change of a published listing's content (CONTENT) by anyone but a reviewer sends it
 * back to `pending` (`product.submitted` after `product.updated`); stock, price and the flags do not.
 */
export async function update(ctx: ProductsContext, auth: AuthContext, id: string, input: UpdateProductInput): Promise<ProductView> {
  const { clock } = ctx;
  return ctx.db
    .$transaction(async (tx) => {
      const current = await lockManageable(tx, auth, id);
      const { user_id, parent_product_id, category_id, external_id, gallery, metafields, ...rest } = input;
      const fields = sent(rest);
      assertMayPickForHomepage(auth, fields.onHomepage, current.onHomepage);
      const linked = await categoryFields(tx, auth, { category_id, category: fields.category }, current);
      const data: Prisma.ProductUncheckedUpdateInput = { ...fields, ...linked, ...(fields.tags ? { tags: [...new Set(fields.tags)] } : {}) };
      if (external_id !== undefined) data.externalId = external_id;
      const images = gallery === undefined ? undefined : await resolveGallery(tx, auth, gallery);
      if (images !== undefined) data.gallery = images;
      const galleryChanged = images !== undefined && JSON.stringify(images.map((g) => g.id)) !== JSON.stringify(galleryOf(current.gallery).map((g) => g.id));
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
      const resubmitted =
        auth.platform.requireListingReview &&
        current.adminStatus === "published" &&
        !isReviewer(auth) &&
        (galleryChanged || CONTENT.some((field) => fields[field] !== undefined && JSON.stringify(fields[field]) !== JSON.stringify(current[field])));
      if (resubmitted) data.adminStatus = "pending";
      await tx.product.update({ where: { id, platformId: auth.platformId }, data });
      if (metafields) await writeMetafields(tx, auth, "product", id, metafields);
      // Variants that followed their parent to its new seller changed too.
      const followers = sellerId !== current.userId ? await variantsOf(tx, auth, id) : [];
      const now = clock.now();
      const product = await changed(
        ctx,
        tx,
        auth,
        id,
        "product.updated",
        followers.map((v) => productEvent(auth, "product.updated", v, now)),
      );
      if (resubmitted) await recordEvent(tx, productEvent(auth, "product.submitted", product, now));
      return product;
    })
    .catch(productConflict);
}
