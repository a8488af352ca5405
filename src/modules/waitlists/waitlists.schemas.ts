import { z } from "zod";
import { listOf, pageParams, sortParam } from "../../lib/pagination.js";
import { apiDate, idParam, emailAddress } from "../../lib/schemas.js";

export const waitlistEntrySchema = z
  .object({
    id: z.string(),
    platform_id: z.string(),
    email: z.string(),
    name: z.string().nullable(),
    position: z.number().int().describe("1..n in order of joining, among the entries still on the list"),
    granted: apiDate.nullable().describe("When access was granted"),
    created: apiDate,
  })
  .meta({ id: "WaitlistEntry" });

export const waitlistJoinReceiptSchema = z
  .object({
    joined: z.literal(true).describe("The email is on the list (it may have been already: this answer does not say)"),
    platform_id: z.string(),
    email: z.string(),
  })
  .meta({ id: "WaitlistJoinReceipt" });

export const joinWaitlistBody = z
  .object({
    email: emailAddress,
    name: z.string().trim().min(1).max(200).optional(),
    platform_id: z.string().min(1).max(100).optional().describe("The platform, when no platform key is sent"),
  })
  .strict();

export const listWaitlistQuery = z
  .object({
    ...pageParams,
    search: z.string().trim().min(1).max(200).optional().describe("Matches email or name (case-insensitive, substring)"),
    sort: sortParam(["position", "created"], "position"),
    "filter[granted]": z.enum(["true", "false"]).optional(),
  })
  .strict();

export const waitlistParams = z.object({ id: idParam("waitlist entry") }).strict();

export const waitlistCountSchema = z.object({ count: z.number().int(), waiting: z.number().int(), granted: z.number().int() }).meta({ id: "WaitlistCount" });

export const waitlistListSchema = listOf(waitlistEntrySchema);
export type ListWaitlistQuery = z.infer<typeof listWaitlistQuery>;
