import { z } from "zod";
import type { Db } from "../../db/client.js";
import type { Tx } from "../../db/tenant.js";

/**
 * How a platform's orders run (docs/api/contracts.md, Orders), kept in `platforms.order_settings`.
 * `{}` — every field at its default — is the instant flow: buyers charged and sellers paid at once.
 */
export const orderSettingsSchema = z
  .object({
    requireSellerAcceptance: z
      .boolean()
      .default(false)
      .describe("Settling only authorises the buyers' cards (manual capture); the seller's acceptance captures them, a decline or a timeout releases them"),
    acceptanceTimeoutHours: z
      .number()
      .int("must be an integer")
      .min(1)
      .max(168)
      .default(72)
      .describe("Hours the seller has to accept before the order expires (at most 7 days: a card authorisation lapses after that)"),
    autoCompleteDays: z
      .number()
      .int("must be an integer")
      .min(1)
      .max(90)
      .nullable()
      .default(14)
      .describe("Days after fulfilment an order completes by itself; null: only the buyer or the platform completes it"),
    holdFunds: z.boolean().default(false).describe("Sellers are paid when the order completes (or after `holdDays`), not when the buyers are charged"),
    holdDays: z
      .number()
      .int("must be an integer")
      .min(1)
      .max(90)
      .nullable()
      .default(null)
      .describe("With `holdFunds`, days after the charge the sellers are paid even if the order is not completed; null: at completion only"),
  })
  .strict();

export type OrderSettings = z.output<typeof orderSettingsSchema>;

/** The update body's shape: any subset, merged into what is stored. */
export const orderSettingsPatch = z
  .object({
    requireSellerAcceptance: z.boolean().optional(),
    acceptanceTimeoutHours: z.number().int("must be an integer").min(1).max(168).optional(),
    autoCompleteDays: z.number().int("must be an integer").min(1).max(90).nullable().optional(),
    holdFunds: z.boolean().optional(),
    holdDays: z.number().int("must be an integer").min(1).max(90).nullable().optional(),
  })
  .strict()
  .meta({ id: "OrderSettingsPatch" });

/** Stored JSON to settings, defaults filled in (a field the stored object lacks is at its default). */
export function toOrderSettings(stored: unknown): OrderSettings {
  const parsed = orderSettingsSchema.safeParse(stored ?? {});
  return parsed.success ? parsed.data : orderSettingsSchema.parse({});
}

export async function orderSettings(client: Db | Tx, platformId: string): Promise<OrderSettings> {
  const row = await client.platform.findUniqueOrThrow({ where: { id: platformId }, select: { orderSettings: true } });
  return toOrderSettings(row.orderSettings);
}
