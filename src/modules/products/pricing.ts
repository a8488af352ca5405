/**
 * Seasonal pricing. A season covers the half-open range `[seasonStart, seasonEnd)` of UTC instants:
 * a season ending at 2026-03-08T07:00:00Z no longer applies at that instant, and the next one can
 * start exactly there. Seasons of one product never overlap, so at most one is in force.
 */
export interface Season {
  seasonStart: Date;
  seasonEnd: Date;
  price: number;
}

export function seasonAt<S extends Season>(seasons: readonly S[], at: Date): S | undefined {
  const t = at.getTime();
  return seasons.find((s) => s.seasonStart.getTime() <= t && t < s.seasonEnd.getTime());
}

/** The unit price in force at `at`: the season's when seasonal prices are on and one covers `at`, else `price`. */
export function effectivePrice(product: { price: number; useSeasonalPrices: boolean }, seasons: readonly Season[], at: Date): number {
  if (!product.useSeasonalPrices) return product.price;
  return seasonAt(seasons, at)?.price ?? product.price;
}

/** Whether two half-open ranges share an instant. Touching ranges (`a.end == b.start`) do not. */
export function overlaps(a: { seasonStart: Date; seasonEnd: Date }, b: { seasonStart: Date; seasonEnd: Date }): boolean {
  return a.seasonStart.getTime() < b.seasonEnd.getTime() && b.seasonStart.getTime() < a.seasonEnd.getTime();
}
