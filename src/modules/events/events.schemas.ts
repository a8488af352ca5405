import { z } from "zod";
import { csv, listOf, pageParams } from "../../lib/pagination.js";
import { apiDate, idParam, modeSchema } from "../../lib/schemas.js";
import { EVENT_TYPES } from "./event-types.js";

export const eventTypeSchema = z.enum(EVENT_TYPES);

export const eventSchema = z
  .object({
    id: z.string(),
    platform_id: z.string(),
    mode: modeSchema,
    type: z.string().describe(`The event type: ${EVENT_TYPES.join(", ")}`),
    object_type: z.string().describe("The kind of object in data.object: platform, api_key, user, waitlist_entry, webhook_endpoint, …"),
    object_id: z.string(),
    data: z.object({ object: z.record(z.string(), z.unknown()).describe("The object as the API rendered it right after the change") }),
    request_id: z.string().nullable().describe("The API request that made the change (null for background jobs)"),
    created: apiDate,
  })
  .meta({ id: "Event" });

/** A date, or a date and time (UTC unless it says otherwise). */
const sinceDate = z
  .union([z.iso.datetime({ offset: true }), z.iso.date()], { error: "must be a date (YYYY-MM-DD) or a date and time (YYYY-MM-DDTHH:MM:SSZ)" })
  .transform((v) => new Date(v.length === 10 ? `${v}T00:00:00Z` : v));

const cursor = z.string().min(1).max(100);

export const listEventsQuery = z
  .object({
    ...pageParams,
    limit: z.coerce
      .number()
      .int()
      .min(1)
      .max(100)
      .optional()
      .describe("Cursor paging: events per page, 1 to 100 (default 10). Sending it (or a cursor) answers `{ data, has_more }`"),
    starting_after: cursor.optional().describe("Cursor paging: the events older than this event id (the next page)"),
    ending_before: cursor.optional().describe("Cursor paging: the events newer than this event id (the previous page; poll with the newest id seen)"),
    "filter[type]": csv(eventTypeSchema).optional().describe("Event types, comma-separated"),
    "filter[object_id]": csv(z.string().min(1).max(100)).optional().describe("Object ids, comma-separated"),
    since: sinceDate.optional().describe("Only events created at or after this date"),
  })
  .strict();

export const eventParams = z.object({ id: idParam("event") }).strict();

export type ListEventsQuery = z.infer<typeof listEventsQuery>;

export const eventListSchema = listOf(eventSchema);

export const eventCursorPageSchema = z.object({
  data: z.array(eventSchema).describe("Newest first"),
  has_more: z.boolean().describe("Whether more events lie beyond this page in the direction asked (older for starting_after, newer for ending_before)"),
});

/** Whether a list asks for cursor paging (Stripe's `limit`, `starting_after`, `ending_before`). */
export const wantsCursor = (query: ListEventsQuery) => query.limit !== undefined || query.starting_after !== undefined || query.ending_before !== undefined;
