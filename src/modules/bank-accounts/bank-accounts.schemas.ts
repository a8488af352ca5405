import { z } from "zod";
import { CONNECT_COUNTRIES } from "../../lib/currency.js";
import { apiDate, httpUrl, optionalBody } from "../../lib/schemas.js";
import { userSchema } from "../users/index.js";

export const payoutScheduleSchema = z
  .object({
    interval: z.string().describe("`manual`, `daily`, `weekly` or `monthly`"),
    delayDays: z.number().int().describe("Days between a charge and its payout"),
    weeklyAnchor: z.string().optional().describe("Day of the week of weekly payouts"),
    monthlyAnchor: z.number().int().optional().describe("Day of the month of monthly payouts"),
  })
  .meta({ id: "PayoutSchedule" });

export const bankAccountSchema = z
  .object({
    id: z.string().describe("The Stripe Connect account (`acct_…`); also the user's `stripeConnectId`"),
    user_id: z.string().describe("The user whose account it is"),
    chargesEnabled: z.boolean(),
    detailsSubmitted: z.boolean(),
    payoutSchedule: payoutScheduleSchema.nullable(),
    last4: z.string().nullable().describe("Last 4 digits of the account's bank account for payouts"),
  })
  .meta({ id: "BankAccount" });

export const userWithBankAccountSchema = userSchema.extend({ bankAccount: bankAccountSchema }).meta({ id: "UserWithBankAccount" });

export const userWithAccountLinkSchema = userSchema
  .extend({
    bankAccount: bankAccountSchema,
    url: z.string().describe("Stripe's onboarding page for the user: send them there"),
    expiresAt: apiDate.describe("When the link stops working (minutes from now); ask for a new one after that"),
  })
  .meta({ id: "UserWithAccountLink" });

export const connectBankAccountBody = optionalBody(
  z
    .object({
      return_url: httpUrl
        .optional()
        .describe(
          "Where Stripe sends the user after onboarding. Default: the platform's `url` with `?stripe_connect=return`, else a page of this server saying onboarding is complete",
        ),
      country: z
        .enum(CONNECT_COUNTRIES as [string, ...string[]])
        .optional()
        .describe(
          "The country of the Connect account (ISO 3166-1 alpha-2), when it is created: it decides the currencies the seller may be paid out in (payout settings' `currency`). Default: the platform's Stripe country (offline: US). Ignored once the account exists",
        ),
      refresh_url: httpUrl
        .optional()
        .describe(
          "Where Stripe sends the user when the link expired or was used: ask for a new link there. Default: the platform's `url` with `?stripe_connect=refresh`, else `return_url`, else a page of this server saying onboarding must be restarted",
        ),
    })
    .strict(),
);

export type ConnectBankAccountInput = NonNullable<z.infer<typeof connectBankAccountBody>>;

/** `PUT …/bank_account`: what the platform sets of the account. */
export const updateBankAccountBody = z
  .object({
    payoutSchedule: z
      .object({
        interval: z.enum(["manual", "daily", "weekly", "monthly"]).describe("`manual` pays out only when asked"),
        delayDays: z.number().int().min(2).max(365).optional().describe("Days between a charge and its payout (Stripe's minimum for the country applies)"),
        weeklyAnchor: z.enum(["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]).optional().describe("Required with `weekly`"),
        monthlyAnchor: z.number().int().min(1).max(31).optional().describe("Required with `monthly`"),
      })
      .strict()
      .superRefine((s, ctx) => {
        if (s.interval === "weekly" && s.weeklyAnchor === undefined) ctx.addIssue({ code: "custom", path: ["weeklyAnchor"], message: "is required with a weekly interval" });
        if (s.interval === "monthly" && s.monthlyAnchor === undefined) ctx.addIssue({ code: "custom", path: ["monthlyAnchor"], message: "is required with a monthly interval" });
        if (s.interval !== "weekly" && s.weeklyAnchor !== undefined) ctx.addIssue({ code: "custom", path: ["weeklyAnchor"], message: "only goes with a weekly interval" });
        if (s.interval !== "monthly" && s.monthlyAnchor !== undefined) ctx.addIssue({ code: "custom", path: ["monthlyAnchor"], message: "only goes with a monthly interval" });
      }),
  })
  .strict();

export type UpdateBankAccountInput = z.infer<typeof updateBankAccountBody>;
