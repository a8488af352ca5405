import { z } from "zod";
import { listOf, pageParams } from "../../lib/pagination.js";
import { apiDate, idParam, money, noBody, optionalBody } from "../../lib/schemas.js";

export const REFUND_REQUEST_STATUSES = ["requested", "approved", "declined", "canceled", "refunded", "refund_failed"] as const;

export const refundRequestSchema = z
  .object({
    id: z.string(),
    platform_id: z.string(),
    mode: z.enum(["test", "live"]),
    contract_id: z.string(),
    buyer_user_id: z.string().describe("The buyer who asked"),
    transaction_id: z.string().describe("The buyer's charge (`incoming`) it refunds"),
    amount: z.number().int().describe("Cents to give back"),
    currency: z.string(),
    items: z
      .array(z.object({ item_id: z.string(), quantity: z.number().int() }))
      .nullable()
      .describe("By item: the contract's items and how many of each; null for a refund by amount"),
    seller_user_ids: z.array(z.string()).describe("Whose transfers the refund reverses (the sellers of the items asked for); empty: every seller in proportion"),
    reason: z.string().nullable(),
    status: z
      .enum(REFUND_REQUEST_STATUSES)
      .describe(
        "`requested` (waiting for a seller or the platform), `declined`, `canceled` (by the buyer), `approved` (its refund is under way at the payment processor), `refunded` (the money is back with the buyer), `refund_failed` (the payment processor refused the refund)",
      ),
    decided_by: z.string().nullable().describe("The user who approved or declined it; null for the platform key or while requested"),
    decided: apiDate.nullable(),
    decline_reason: z.string().nullable(),
    refund_transaction_id: z.string().nullable().describe("Once approved: the refund's `incoming:refund` transaction"),
    created: apiDate,
    updated: apiDate,
  })
  .meta({ id: "RefundRequest" });

export type RefundRequestResponse = z.infer<typeof refundRequestSchema>;

export const createRefundRequestBody = optionalBody(
  z
    .object({
      amount: money.min(1).optional().describe("Cents to ask back; with neither `amount` nor `items`, everything not refunded yet"),
      items: z
        .array(
          z
            .object({
              item_id: idParam("contract item"),
              quantity: z.number().int().min(1).optional().describe("How many of the item; default all of it"),
            })
            .strict(),
        )
        .min(1)
        .max(100)
        .optional()
        .describe("By item: the amount is the items' share of what the buyer paid, and only those items' sellers give their transfers back"),
      reason: z.string().trim().min(1).max(1000).optional(),
    })
    .strict(),
);
export type CreateRefundRequestInput = NonNullable<z.infer<typeof createRefundRequestBody>>;

export const declineRefundRequestBody = optionalBody(z.object({ reason: z.string().trim().min(1).max(1000).optional() }).strict());
export const emptyBody = noBody;

export const refundRequestParams = z.object({ id: idParam("refund request") }).strict();
export const contractRefundRequestsParams = z.object({ id: idParam("contract") }).strict();
export const listRefundRequestsQuery = z.object({ ...pageParams }).strict();
export const refundRequestListSchema = listOf(refundRequestSchema).meta({ id: "RefundRequestList" });
