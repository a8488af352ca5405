import { z } from "zod";
import { listMetadataSchema, metadataParam } from "../../lib/list-metadata.js";
import { csv, listOf, pageParams, sortParam } from "../../lib/pagination.js";
import { apiDate, idParam, instant, modeSchema, optionalBody } from "../../lib/schemas.js";
import { CYCLES } from "../../domain/subscriptions/periods.js";

// ── the subscription object (docs/api/subscriptions.md) ─────────────────────────────────────────

export const cycleSchema = z.enum(CYCLES);

export const PAUSE_REASONS = ["admin", "subscriber", "buyer_suspended", "seller_suspended"] as const;
export type PauseReason = (typeof PAUSE_REASONS)[number];

export const subscriptionSchema = z
  .object({
    id: z.string(),
    platform_id: z.string(),
    user_id: z.string().describe("The subscriber: a buyer of the contract"),
    service_id: z.string().nullable().describe("The contract's first product"),
    price: z.number().int().describe("What the subscriber pays each cycle, in cents (their amountDue on the contract)"),
    isActive: z.boolean().describe("False once ended"),
    isPaused: z.boolean(),
    pausedAt: apiDate.nullable().describe("When the latest pause began"),
    pausedUntil: apiDate.nullable().describe("When the latest pause ends by itself (null: until resumed)"),
    pauseReason: z
      .enum(PAUSE_REASONS)
      .nullable()
      .describe(
        "Why it is paused: `admin` (PUT /subscriptions/:id/pause), `subscriber` (PUT /subscriptions/auth/:id/pause), or a renewal fell due while the subscriber (`buyer_suspended`) or a seller (`seller_suspended`) was suspended; null when not paused",
      ),
    cycle: cycleSchema,
    startDate: apiDate.describe("The billing anchor: period n starts n cycles after it"),
    ended: apiDate.nullable(),
    mode: modeSchema,
    contract_id: z.string(),
    currency: z.string(),
    currentPeriodStart: apiDate.describe("The period paid for (or skipped while paused) most recently"),
    currentPeriodEnd: apiDate.describe("When the next cycle is due"),
    pastDue: z.boolean().describe("Every retry of a renewal failed: no more automatic charges until the subscriber resumes it"),
    failedAttempts: z.number().int().describe("Declined attempts of the renewal now due"),
    nextAttempt: apiDate.nullable().describe("When the next charge is attempted: the period's end, or a retry after a decline; null when ended or past due"),
    created: apiDate,
    updated: apiDate,
  })
  .meta({ id: "Subscription" });

export type SubscriptionResponse = z.infer<typeof subscriptionSchema>;

export const SUBSCRIPTION_TOTALS = { price: "price" } as const;

export const subscriptionListSchema = listOf(subscriptionSchema).extend({
  metadata: listMetadataSchema("SubscriptionListMetadata", "Subscriptions", { price: "Σ price (what one cycle of each charges), cents" })
    .optional()
    .describe("Aggregates over every subscription the filters match (not only this page), with `metadata=true`"),
});

// ── requests ─────────────────────────────────────────────────────────────────────────────────────

export const contractParams = z.object({ contract_id: idParam("contract") }).strict();
export const subscriptionParams = z.object({ id: idParam("subscription") }).strict();
export const userParams = z.object({ user_id: idParam("user") }).strict();

export const subscribeBody = optionalBody(
  z
    .object({
      cycle: cycleSchema.optional().describe("Default: the contract's first product's cycle, else monthly"),
      platform_id: idParam("platform")
        .optional()
        .describe("On the host platform (HOST_PLATFORM_ID) only: the platform this subscription pays for, which the subscriber owns (an owner there with the same email)"),
    })
    .strict(),
);

export const pauseBody = optionalBody(
  z
    .object({
      pausedUntil: instant.nullish().describe("When the subscription resumes by itself (in the future); leave out to pause until resumed"),
    })
    .strict(),
);

export const noBody = optionalBody(z.object({}).strict());

export const listSubscriptionsQuery = z
  .object({
    ...pageParams,
    sort: sortParam(["created", "startDate"], "-created"),
    "filter[isActive]": z.enum(["true", "false"]).optional().describe("true: not ended"),
    "filter[isPaused]": z.enum(["true", "false"]).optional(),
    metadata: metadataParam("subscription"),
  })
  .strict();

export type ListSubscriptionsQuery = z.infer<typeof listSubscriptionsQuery>;

/** What a subscription is now: ended, else past due, else paused, else active. */
export const SUBSCRIPTION_STATUSES = ["active", "paused", "past_due", "ended"] as const;
export type SubscriptionStatus = (typeof SUBSCRIPTION_STATUSES)[number];

const idList = (name: string) => csv(z.string().min(1).max(100)).optional().describe(`One or more ${name} ids, comma-separated`);

/** `GET /subscriptions`: every subscription of the platform, for its key and admins. */
export const listAllSubscriptionsQuery = z
  .object({
    ...pageParams,
    sort: sortParam(["created", "startDate", "price"], "-created"),
    "filter[status]": csv(z.enum(SUBSCRIPTION_STATUSES)).optional().describe("active, paused, past_due, ended (ended wins over the others, then past_due, then paused)"),
    "filter[user_id]": idList("subscriber's user"),
    "filter[contract_id]": idList("contract"),
    "filter[isActive]": z.enum(["true", "false"]).optional().describe("true: not ended"),
    "filter[isPaused]": z.enum(["true", "false"]).optional(),
    metadata: metadataParam("subscription"),
  })
  .strict();

export type ListAllSubscriptionsQuery = z.infer<typeof listAllSubscriptionsQuery>;
export type SubscribeInput = NonNullable<z.infer<typeof subscribeBody>>;
export type PauseInput = NonNullable<z.infer<typeof pauseBody>>;
