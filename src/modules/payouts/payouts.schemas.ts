import { z } from "zod";
import { listOf, pageParams, sortParam } from "../../lib/pagination.js";
import { PAYOUT_CURRENCIES } from "../../lib/currency.js";
import { listMetadataSchema, metadataParam } from "../../lib/list-metadata.js";
import { apiDate, idParam, modeSchema } from "../../lib/schemas.js";

export const PAYOUT_STATUSES = ["pending", "in_transit", "paid", "failed", "canceled"] as const;

export const payoutSchema = z
  .object({
    id: z.string(),
    platform_id: z.string(),
    mode: modeSchema,
    user_id: z.string().describe("The seller paid out"),
    stripe_payout_id: z.string(),
    amount: z.number().int().describe("Cents"),
    currency: z.string(),
    status: z.enum(PAYOUT_STATUSES).describe("As Stripe reports it: pending → in_transit → paid, or failed / canceled (the money goes back to the balance)"),
    automatic: z.boolean().describe("Made by the seller's payout schedule (true), or by this API for a threshold (false)"),
    arrival_date: apiDate.describe("When it is expected in (or reached) the bank"),
    failure_code: z.string().nullable(),
    failure_message: z.string().nullable(),
    created: apiDate,
    updated: apiDate,
  })
  .meta({ id: "Payout" });
export const PAYOUT_TOTALS = { amount: "amount" } as const;

export const payoutListSchema = listOf(payoutSchema).extend({
  metadata: listMetadataSchema("PayoutListMetadata", "Payouts", { amount: "Σ amount, minor units" })
    .optional()
    .describe("Aggregates over every payout the filters match (not only this page), with `metadata=true`"),
});

export const payoutParams = z.object({ id: idParam("payout") }).strict();

export const listPayoutsQuery = z
  .object({
    ...pageParams,
    sort: sortParam(["created", "arrival_date", "amount"], "-created"),
    "filter[user_id]": z.string().min(1).max(100).optional().describe("One seller's payouts (members see only their own anyway)"),
    "filter[status]": z.enum(PAYOUT_STATUSES).optional(),
    metadata: metadataParam("payout"),
  })
  .strict();
export type ListPayoutsQuery = z.infer<typeof listPayoutsQuery>;

export const PAYOUT_MEASUREMENTS = ["manual", "day", "week", "month", "month_day"] as const;

const settingsFields = {
  measurement: z
    .enum(PAYOUT_MEASUREMENTS)
    .describe(
      "`manual`: no automatic payouts; `day`: daily, of funds `frequency` days old; `week`: weekly, on weekday `frequency` (1 Monday … 7 Sunday); " +
        "`month` / `month_day`: monthly, on day `frequency` of the month (1–28, or -1 for the last day)",
    ),
  frequency: z
    .number()
    .int("must be an integer")
    .describe("Days of delay (`day`: 1–365), the weekday (`week`: 1–7) or the day of the month (`month`, `month_day`: 1–31 or -1 for the last day); ignored for `manual`"),
  threshold: z
    .number()
    .int("must be an integer")
    .min(1)
    .max(100_000_000)
    .nullable()
    .describe("Cents: payouts wait until the available balance reaches it (the account is then paid out by this API, hourly, instead of by Stripe's schedule); null: none"),
};

const currencyField = z
  .enum(PAYOUT_CURRENCIES)
  .describe(
    "The seller's payout currency (lower-case ISO 4217): their Connect account's default currency. Transfers stay in the charge currency and Stripe converts them as they arrive; " +
      "one the account's country cannot be paid out in is a 422 `currency_unsupported`. `jpy` has no minor unit (amounts are yen)",
  );

export const payoutSettingsSchema = z
  .object({
    user_id: z.string(),
    ...settingsFields,
    currency: z.string().nullable().describe("The seller's payout currency; null: never set (the account's own, its country's currency)"),
    stripe_schedule: z
      .object({
        interval: z.enum(["manual", "daily", "weekly", "monthly"]),
        delay_days: z.number().int().optional(),
        weekly_anchor: z.string().optional(),
        monthly_anchor: z.number().int().optional(),
      })
      .describe("What the seller's Connect account's payout schedule was set to"),
    updated: apiDate.nullable().describe("Null while the defaults apply (Stripe's daily schedule, no threshold)"),
  })
  .meta({ id: "PayoutSettings" });

export const payoutSettingsBody = z
  .object({ ...settingsFields, currency: currencyField.optional() })
  .partial({ threshold: true })
  .strict();
export type PayoutSettingsInput = z.infer<typeof payoutSettingsBody>;

export const balanceSchema = z
  .object({
    user_id: z.string(),
    payout_currency: z.string().nullable().describe("The payout currency set in the seller's payout settings (null: never set): transfers arrive converted into it"),
    available: z.array(z.object({ amount: z.number().int(), currency: z.string() })).describe("May be paid out now, per currency (cents)"),
    pending: z.array(z.object({ amount: z.number().int(), currency: z.string() })).describe("Not yet available (Stripe's rolling delay), per currency"),
  })
  .meta({ id: "SellerBalance" });

export const statementQuery = z
  .object({
    from: z.iso.date("must be a date (YYYY-MM-DD)").describe("First day (UTC), included"),
    to: z.iso.date("must be a date (YYYY-MM-DD)").describe("Last day (UTC), included"),
    format: z.enum(["json", "csv"]).default("json").describe("`csv`: a spreadsheet-ready file (text/csv), one line per movement"),
  })
  .strict();
export type StatementQuery = z.infer<typeof statementQuery>;

export const STATEMENT_KINDS = ["transfer", "transfer_reversal", "payout", "payout_returned"] as const;

export const statementLineSchema = z.object({
  date: apiDate,
  kind: z
    .enum(STATEMENT_KINDS)
    .describe(
      "`transfer`: a sale's share paid to the seller; `transfer_reversal`: taken back for a refund or dispute; `payout`: sent to the bank; `payout_returned`: a failed or cancelled payout, back in the balance",
    ),
  amount: z.number().int().describe("Cents (minor units), signed: what it did to the seller's Stripe balance, in its currency (converted when `conversion` is set)"),
  currency: z.string(),
  conversion: z
    .object({
      original_amount: z.number().int().describe("What was sent, signed, in the charge currency"),
      original_currency: z.string(),
      converted_amount: z.number().int().describe("What it became in the seller's payout currency (`amount`)"),
      converted_currency: z.string(),
      exchange_rate: z.number().describe("Units of `converted_currency` per unit of `original_currency` (Stripe's `exchange_rate`)"),
    })
    .nullable()
    .describe("A transfer (or its reversal) converted into the seller's payout currency on arrival; null when none was"),
  reference: z.string().describe("Our id: the transaction or the payout"),
  contract_id: z.string().nullable(),
  subscription_id: z.string().nullable(),
  description: z.string().nullable(),
});

export const statementSchema = z
  .object({
    user_id: z.string(),
    from: z.string(),
    to: z.string(),
    totals: z.array(z.object({ currency: z.string(), in: z.number().int(), out: z.number().int(), net: z.number().int() })).describe("Per currency, over the period"),
    lines: z.array(statementLineSchema),
  })
  .meta({ id: "SellerStatement" });
