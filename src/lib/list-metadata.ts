import { z } from "zod";

/**
 * List metadata (README, "Conventions"; the seed's list conventions): with `metadata=true`, a money
 * list answers, beside its page, `metadata.totals` — per currency, the count and the sums of its
 * amounts over every row the filters match (not only the page). Amounts of different currencies are
 * never added. Each module runs its own aggregate (only the owning module names its table) — a
 * `groupBy` by currency with `_count` and `_sum` — and shapes it here, so every list answers alike.
 */

/** The `metadata` query parameter. */
export function metadataParam(what: string) {
  return z.enum(["true", "false"]).optional().describe(`\`true\`: add \`metadata\`, sums over every ${what} the filters match`);
}

/** `{ totals: [{ currency, count, …sums }] }`, named `id` in the OpenAPI document. */
export function listMetadataSchema<const S extends Record<string, string>>(id: string, what: string, sums: S) {
  const fields = Object.fromEntries(Object.entries(sums).map(([name, description]) => [name, z.number().int().describe(description)])) as { [K in keyof S]: z.ZodNumber };
  return z
    .object({
      totals: z
        .array(z.object({ currency: z.string(), count: z.number().int().describe(`${what} matching the filters, in this currency`), ...fields }))
        .describe("One entry per currency (amounts of different currencies are never added)"),
    })
    .meta({ id });
}

/** What one row of a `groupBy({ by: ["currency"], _count: { _all: true }, _sum: … })` holds. */
export interface CurrencyGroup {
  currency: string;
  _count: { _all: number };
  _sum: Record<string, number | null>;
}

/**
 * The groups as `totals`, ordered by currency: each sum named as the API names it (`sums` maps an
 * API name to the column summed; a sum of nothing is 0).
 */
export function currencyTotals<const S extends Record<string, string>>(
  groups: readonly CurrencyGroup[],
  sums: S,
): { totals: ({ currency: string; count: number } & { [K in keyof S]: number })[] } {
  const totals = [...groups]
    .sort((a, b) => a.currency.localeCompare(b.currency))
    .map((g) => ({
      currency: g.currency,
      count: g._count._all,
      ...(Object.fromEntries(Object.entries(sums).map(([name, column]) => [name, Number(g._sum[column] ?? 0)])) as { [K in keyof S]: number }),
    }));
  return { totals };
}

/** Whether the query asks for metadata. */
export function wantsMetadata(query: { metadata?: "true" | "false" }): boolean {
  return query.metadata === "true";
}
