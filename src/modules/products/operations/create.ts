import type { Product } from "../../../generated/prisma/client.js";
import { UnprocessableError, ValidationError } from "../../../lib/errors.js";
import { newId } from "../../../lib/ids.js";
import type { AuthContext } from "../../../plugins/auth.js";
import { assertMayPickForHomepage, generatedSlug, isSlugConflict, productConflict, resolveGallery } from "../products.attributes.js";
import { categoryFields } from "../products.categories.js";
import type { ProductView } from "../products.repo.js";
import type { CreateProductInput } from "../products.schemas.js";
import { productEvent } from "../products.view.js";
import { recordEvent } from "../../events/index.js";
import { writeMetafields } from "../../metafields/index.js";
import { assertMayPost, assertSeller, changed, parentFor, sellerFor, sent, type ProductsContext } from "./shared.js";

/**
 * A new product of the platform, or a variant under a parent (which it takes its seller, category, type, currency and cycle from).
 * It is published at once, unless the platform requires review (then `pending`, with `product.submitted`) or a draft was asked for.
 */
export async function create(ctx: ProductsContext, auth: AuthContext, input: CreateProductInput): Promise<ProductView> {
  const id = newId("product");
  assertMayPickForHomepage(auth, input.onHomepage, false);
  const attempt = (forceSuffix: boolean) =>
    ctx.db.$transaction(async (tx) => {
      const { user_id, parent_product_id, category_id, draft, slug, external_id, gallery, metafields, ...rest } = input;
      const fields = sent(rest);
      let sellerId = sellerFor(auth, user_id);
      let inherited: Partial<Pick<Product, "category" | "subcategory" | "categoryId" | "type" | "currency" | "cycle">> = {};
      if (parent_product_id) {
        const parent = await parentFor(tx, auth, parent_product_id);
        if (user_id !== undefined && user_id !== parent.userId) {
          throw new UnprocessableError("variant_seller_mismatch", `A variant is sold by its parent's seller (${parent.userId}).`, "user_id");
        }
        sellerId = parent.userId;
        inherited = {
          category: parent.category,
          subcategory: parent.subcategory,
          categoryId: parent.categoryId,
          type: parent.type,
          currency: parent.currency,
          cycle: parent.cycle,
        };
      }
      const linked = await categoryFields(tx, auth, { category_id, category: fields.category }, { categoryId: inherited.categoryId ?? null, category: inherited.category ?? null });
      if (!sellerId) {
        throw new ValidationError("parameter_missing", "Say which user sells this product: send `user_id` (a platform key acts for no user).", "user_id");
      }
      assertMayPost(auth, sellerId, await assertSeller(tx, auth, sellerId));
      const status = draft ? "draft" : auth.platform.requireListingReview ? "pending" : "published";
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
          ...linked,
          name: input.name,
          price: input.price,
          tags: fields.tags ? [...new Set(fields.tags)] : [],
          adminStatus: status,
          slug: slug ?? (await generatedSlug(tx, auth, input.name, id, forceSuffix)),
          externalId: external_id ?? null,
          gallery: gallery ? await resolveGallery(tx, auth, gallery) : [],
        },
      });
      if (metafields) await writeMetafields(tx, auth, "product", id, metafields);
      if (status !== "pending") return changed(ctx, tx, auth, id, "product.created");
      const created = await changed(ctx, tx, auth, id, "product.created");
      await recordEvent(tx, productEvent(auth, "product.submitted", created, ctx.clock.now()));
      return created;
    });
  try {
    return await attempt(false);
  } catch (err) {
    // Another product took the name's slug meanwhile: the generated one gets the id's suffix instead.
    if (input.slug === undefined && isSlugConflict(err)) return attempt(true).catch(productConflict);
    return productConflict(err);
  }
}
