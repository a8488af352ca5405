import { ConflictError, NotFoundError, UnprocessableError } from "../../../lib/errors.js";
import { newId } from "../../../lib/ids.js";
import { toApiDate } from "../../../lib/time.js";
import type { AuthContext } from "../../../plugins/auth.js";
import { overlaps } from "../pricing.js";
import { seasonOrder, type ProductView } from "../products.repo.js";
import type { AddSeasonalPriceInput } from "../products.schemas.js";
import { MAX_SEASONAL_PRICES } from "../products.view.js";
import { changed, lockManageable, type ProductsContext } from "./shared.js";

/**
 * Adds a season. The product row is locked first, so two seasons added at once are checked one
 * after the other and cannot both slip in overlapping.
 */
export async function addSeasonalPrice(ctx: ProductsContext, auth: AuthContext, id: string, input: AddSeasonalPriceInput): Promise<ProductView> {
  const { clock } = ctx;
  return ctx.db.$transaction(async (tx) => {
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
    return changed(ctx, tx, auth, id, "product.price_added");
  });
}

export async function removeSeasonalPrice(ctx: ProductsContext, auth: AuthContext, id: string, priceId: string): Promise<ProductView> {
  const { clock } = ctx;
  return ctx.db.$transaction(async (tx) => {
    await lockManageable(tx, auth, id);
    const { count } = await tx.seasonalPrice.deleteMany({ where: { id: priceId, productId: id, platformId: auth.platformId } });
    if (count === 0) throw new NotFoundError("seasonal price", priceId, "price_id");
    await tx.product.update({ where: { id, platformId: auth.platformId }, data: { updated: clock.now() } });
    return changed(ctx, tx, auth, id, "product.price_removed");
  });
}
