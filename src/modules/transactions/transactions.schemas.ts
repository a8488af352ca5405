import { z } from "zod";
import { listMetadataSchema, metadataParam } from "../../lib/list-metadata.js";
import { csv, listOf, pageParams, sortParam } from "../../lib/pagination.js";
import { apiDate, currencyCode, idParam, modeSchema, money, optionalBody } from "../../lib/schemas.js";

import { TRANSACTION_TYPES, type ApiTransactionType } from "../settlement/index.js";

export { TRANSACTION_TYPES, type ApiTransactionType };

export const TRANSACTION_STATUSES = ["queued", "ready", "processing", "succeeded", "failed", "canceled", "disputed", "unknown"] as const;

export const transactionTypeSchema = z.enum(TRANSACTION_TYPES);

export const transactionSchema = z
  .object({
    id: z.string(),
    platform_id: z.string(),
    mode: modeSchema,
    contract_id: z.string().nullable(),
    subscription_id: z.string().nullable().describe("The subscription whose renewal this belongs to"),
    buyer_user_id: z.string().nullable(),
    seller_user_id: z.string().nullable(),
    amount: z.number().int().describe("Integer cents, always positive; the type says which way the money went"),
    amountRefunded: z.number().int().describe("Cents of this transaction that refunds have given back (or, for fees, absorbed), including refunds still processing"),
    currency: z.string(),
    stripeChargeId: z.string().nullable(),
    stripePaymentIntentId: z.string().nullable(),
    stripeTransferId: z.string().nullable(),
    stripeRefundId: z.string().nullable().describe("The Stripe refund (re_…) or transfer reversal (trr_…) of a :refund transaction"),
    type: transactionTypeSchema,
    status: z.enum(TRANSACTION_STATUSES),
    refund_of: z.string().nullable().describe("For a :refund transaction, the transaction it gives back"),
    transfer_group: z.string().nullable().describe("The settlement this movement belongs to; a refund of a charge reverses its group's transfers and fees"),
    description: z.string().nullable(),
    created: apiDate,
    updated: apiDate,
  })
  .meta({ id: "Transaction" });

/** List metadata's sums: API name → column. */
export const TRANSACTION_TOTALS = { amount: "amount", amountRefunded: "amountRefunded" } as const;

export const transactionListMetadataSchema = listMetadataSchema("TransactionListMetadata", "Transactions", {
  amount: "Σ amount, cents",
  amountRefunded: "Σ amountRefunded (refunds written against them), cents",
});

export const transactionListSchema = listOf(transactionSchema).extend({
  metadata: transactionListMetadataSchema.optional().describe("Aggregates over every transaction the filters match (not only this page), with `metadata=true`"),
});

const instant = z.iso.datetime({ offset: true, message: "must be an ISO 8601 date-time, e.g. 2026-03-09T13:00:00Z" }).transform((v) => new Date(v));

/** `[from, to)`: from inclusive, to exclusive, both optional (all time). */
const period = {
  from: instant.optional().describe("Start of the period, inclusive (default: the beginning)"),
  to: instant.optional().describe("End of the period, exclusive (default: now and after)"),
};

function orderedPeriod<T extends { from?: Date; to?: Date }>(value: T, ctx: z.RefinementCtx): void {
  // Object-level checks also run when a field failed (`from=yesterday` is still a string here):
  // only compare values that parsed.
  if (value.from instanceof Date && value.to instanceof Date && value.from.getTime() >= value.to.getTime()) {
    ctx.addIssue({ code: "custom", path: ["to"], message: "must be after `from`" });
  }
}

const idList = (name: string) => csv(z.string().min(1).max(100)).optional().describe(`One or more ${name} ids, comma-separated`);

export const listTransactionsQuery = z
  .object({
    ...pageParams,
    sort: sortParam(["created", "amount"], "-created"),
    "filter[type]": csv(transactionTypeSchema).optional().describe("incoming, outgoing, fee:candle, fee:platform, fee:stripe, and each with :refund"),
    "filter[status]": csv(z.enum(TRANSACTION_STATUSES)).optional(),
    "filter[buyer_user_id]": idList("user"),
    "filter[seller_user_id]": idList("user"),
    "filter[contract_id]": idList("contract"),
    "filter[subscription_id]": idList("subscription"),
    "filter[refund_of]": idList("transaction"),
    "filter[currency]": csv(currencyCode).optional(),
    ...period,
    metadata: metadataParam("transaction"),
  })
  .strict()
  .superRefine(orderedPeriod);

export type ListTransactionsQuery = z.infer<typeof listTransactionsQuery>;

export const transactionParams = z.object({ id: idParam("transaction") }).strict();
export const userParams = z.object({ user_id: idParam("user") }).strict();

export const refundBody = optionalBody(
  z
    .object({
      amount: money.min(1).optional().describe("Cents to refund; default: everything not refunded yet"),
      description: z.string().trim().max(500).optional(),
    })
    .strict(),
);

export type RefundInput = NonNullable<z.infer<typeof refundBody>>;

export const INTERVALS = ["day", "week", "month"] as const;
export type Interval = (typeof INTERVALS)[number];

const interval = z.enum(INTERVALS).default("month").describe("Series buckets, in UTC: day, week (ISO, from Monday) or month");

export const flowQuery = z
  .object({
    ...period,
    interval,
    currency: currencyCode.optional().describe("Only this currency (its series is zero-filled even without figures)"),
  })
  .strict()
  .superRefine(orderedPeriod);

export type FlowQuery = z.infer<typeof flowQuery>;

export const topQuery = z
  .object({
    ...period,
    limit: z.coerce.number().int().min(1).max(100).default(10),
    currency: currencyCode.optional().describe("Rank in this currency (default: the platform's)"),
  })
  .strict()
  .superRefine(orderedPeriod);

export type TopQuery = z.infer<typeof topQuery>;

export const periodQuery = z.object(period).strict().superRefine(orderedPeriod);
export type PeriodQuery = z.infer<typeof periodQuery>;

export const recurringQuery = z.object({}).strict();

const flowTotal = z.object({
  currency: z.string(),
  amount: z.number().int().describe("gross − refunded"),
  gross: z.number().int(),
  refunded: z.number().int(),
  count: z.number().int().describe("Payments counted in gross"),
  refund_count: z.number().int(),
});

const seriesPoint = z.object({
  start: apiDate.describe("Start of the bucket (UTC)"),
  currency: z.string(),
  amount: z.number().int(),
  gross: z.number().int(),
  refunded: z.number().int(),
  count: z.number().int(),
});

const periodEcho = { from: apiDate.nullable(), to: apiDate.nullable() };

export const flowSchema = z
  .object({
    ...periodEcho,
    interval: z.enum(INTERVALS),
    totals: z.array(flowTotal).describe("One entry per currency"),
    count: z.number().int().describe("Payments counted, all currencies"),
    series: z.array(seriesPoint).describe("Every bucket of the period for every currency of `totals`, zero-filled"),
  })
  .meta({ id: "TransactionFlow" });

export const userFlowSchema = flowSchema.extend({ user_id: z.string() }).meta({ id: "UserTransactionFlow" });

export const topSchema = z
  .object({
    ...periodEcho,
    currency: z.string(),
    data: z.array(
      z.object({
        rank: z.number().int(),
        user_id: z.string(),
        amount: z.number().int().describe("gross − refunded"),
        gross: z.number().int(),
        refunded: z.number().int(),
        count: z.number().int(),
      }),
    ),
  })
  .meta({ id: "TopUsers" });

export const cartValueSchema = z
  .object({
    ...periodEcho,
    totals: z.array(
      z.object({
        currency: z.string(),
        count: z.number().int().describe("Paid contracts"),
        sum: z.number().int(),
        average: z.number().int().describe("sum / count, whole cents, half up"),
        median: z.number().int().describe("The middle value, or the mean of the two middle values, whole cents, half up"),
      }),
    ),
  })
  .meta({ id: "CartValue" });

export const recurringSchema = z
  .object({
    as_of: apiDate,
    totals: z.array(
      z.object({
        currency: z.string(),
        subscriptions: z.number().int().describe("Active, unpaused subscriptions"),
        mrr: z.number().int(),
        arr: z.number().int().describe("12 × mrr"),
      }),
    ),
  })
  .meta({ id: "RecurringRevenue" });

export const refundResultSchema = z
  .object({
    transaction: transactionSchema.describe("The refunded charge, with its new amountRefunded"),
    refunds: z.array(transactionSchema).describe("The :refund transactions written: the buyer's first, then the reversals and fee refunds"),
  })
  .meta({ id: "TransactionRefund" });
