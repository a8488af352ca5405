import { z } from "zod";
import { DAYS, normalizeTime } from "../../domain/calendar/availability.js";
import { apiDate, idParam } from "../../lib/schemas.js";
import { emailAddress, timezone } from "../users/index.js";

const time = z.string().transform((value, ctx) => {
  const normalized = normalizeTime(value);
  if (normalized === null) {
    ctx.addIssue({ code: "custom", message: "must be a time HH:MM or HH:MM:SS (24:00 only as an end)" });
    return z.NEVER;
  }
  return normalized;
});

const localDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, "must be a date YYYY-MM-DD")
  .refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d), "must be a real date");

/** One entry: a weekly range, a date's range, or a closed date. */
export const availabilityEntryInput = z
  .object({
    dayOfWeek: z.enum(DAYS).optional(),
    overrideDate: localDate.optional().describe("A local date whose ranges replace the weekday's"),
    startTime: time.optional(),
    endTime: time.optional(),
    isUnavailable: z.boolean().optional().describe("With overrideDate and no times: the date is closed"),
  })
  .strict()
  .superRefine((e, ctx) => {
    if ((e.dayOfWeek === undefined) === (e.overrideDate === undefined)) {
      ctx.addIssue({ code: "custom", path: ["dayOfWeek"], message: "give either dayOfWeek or overrideDate" });
    }
    if (e.isUnavailable && e.dayOfWeek !== undefined) {
      ctx.addIssue({ code: "custom", path: ["isUnavailable"], message: "only a date (overrideDate) can be closed" });
    }
    if (!e.isUnavailable && e.startTime === undefined) ctx.addIssue({ code: "custom", path: ["startTime"], message: "is required for a time range" });
    if (!e.isUnavailable && e.endTime === undefined) ctx.addIssue({ code: "custom", path: ["endTime"], message: "is required for a time range" });
  });

/** A Google Calendar id: an email-like address (`primary` for the account's main calendar). */
const googleCalendarId = z
  .string()
  .trim()
  .min(1)
  .max(254)
  .regex(/^[^\s,]+$/, "must be a Google Calendar id (no spaces or commas), e.g. `primary` or an address");

export const MAX_GOOGLE_CALENDARS = 20;

/** The calendar's own details: on `PUT /calendars/auth`, and beside a wrapped availability list. */
const calendarDetails = {
  name: z.string().trim().min(1).max(200).nullable().optional(),
  description: z.string().trim().max(2000).nullable().optional(),
  googleCalendarIds: z
    .array(googleCalendarId)
    .max(MAX_GOOGLE_CALENDARS)
    .refine((ids) => new Set(ids).size === ids.length, "must not repeat an id")
    .optional()
    .describe(`Google calendars whose busy times are taken out of availability once Google Calendar is connected (at most ${MAX_GOOGLE_CALENDARS})`),
};

/**
 * The whole list, wrapped as `{ availability: [...] }` or sent as a bare array (the starter app's
 * way); wrapped, the calendar's `name`, `description` and `googleCalendarIds` may come with it.
 */
export const setAvailabilityBody = z.preprocess(
  (body) => (Array.isArray(body) ? { availability: body } : body),
  z.object({ availability: z.array(availabilityEntryInput).max(500), ...calendarDetails }).strict(),
);

export type AvailabilityEntryInput = z.infer<typeof availabilityEntryInput>;

export const availabilitySchema = z
  .object({
    id: z.string(),
    dayOfWeek: z.enum(DAYS).nullable(),
    overrideDate: z.string().nullable(),
    startTime: z.string().nullable(),
    endTime: z.string().nullable(),
    isUnavailable: z.boolean(),
  })
  .meta({ id: "Availability" });

const responseStatus = z.enum(["accepted", "declined", "needsAction", "tentative"]);

export const attendeeSchema = z.object({ user_id: z.string().nullable(), email: z.string().nullable(), name: z.string().nullable(), responseStatus }).meta({ id: "Attendee" });

export const calendarEventSchema = z
  .object({
    id: z.string(),
    calendar_id: z.string(),
    user_id: z.string(),
    title: z.string().nullable(),
    description: z.string().nullable(),
    location: z.string().nullable(),
    color: z.string().nullable(),
    eventStart: apiDate,
    eventEnd: apiDate,
    isUnavailable: z.boolean(),
    cancelled: z.boolean(),
    booked: z.boolean(),
    confirmed: z.boolean(),
    attendees: z.array(attendeeSchema),
    subscription_id: z.string().nullable(),
    contract_id: z.string().nullable(),
    created: apiDate,
    updated: apiDate,
  })
  .meta({ id: "CalendarEvent" });

export const calendarSchema = z
  .object({
    id: z.string(),
    platform_id: z.string(),
    user_id: z.string(),
    name: z.string().nullable(),
    description: z.string().nullable(),
    googleCalendarIds: z.array(z.string()),
    timezone: z.string().describe("The owner's time zone, in which availability is read"),
    availability: z.array(availabilitySchema),
    events: z.array(calendarEventSchema),
    created: apiDate,
    updated: apiDate,
  })
  .meta({ id: "Calendar" });

const instant = z.iso.datetime({ offset: true, message: "must be an ISO 8601 date-time, e.g. 2026-03-09T13:00:00Z" }).transform((v) => new Date(v));

const attendeeInput = z
  .object({
    user_id: z.string().min(1).max(100).optional(),
    email: emailAddress.optional(),
    name: z.string().trim().max(200).optional(),
    responseStatus: responseStatus.optional(),
  })
  .strict();

const eventFields = {
  title: z.string().trim().max(500).nullable().optional(),
  description: z.string().max(10_000).nullable().optional(),
  location: z.string().max(1000).nullable().optional(),
  color: z.string().max(32).nullable().optional(),
  isUnavailable: z.boolean().optional().describe("Blocks time off; may lie outside availability"),
  booked: z.boolean().optional(),
  confirmed: z.boolean().optional(),
  attendees: z.array(attendeeInput).max(100).optional(),
};

export const createEventBody = z.object({ ...eventFields, eventStart: instant, eventEnd: instant }).strict();
export const updateEventBody = z.object({ ...eventFields, eventStart: instant.optional(), eventEnd: instant.optional(), cancelled: z.boolean().optional() }).strict();
export type CreateEventInput = z.infer<typeof createEventBody>;
export type UpdateEventInput = z.infer<typeof updateEventBody>;

export const eventParams = z.object({ event_id: idParam("event") }).strict();
export const userParams = z.object({ user_id: idParam("user") }).strict();

export const calendarWindowQuery = z
  .object({
    from: instant.optional().describe("Events ending after this instant (default: 7 days ago)"),
    to: instant.optional().describe("Events starting before this instant (default: 90 days ahead)"),
  })
  .strict();

export const slotsQuery = z
  .object({
    from: instant.optional().describe("Default: now"),
    to: instant.optional().describe("Default: 14 days after `from`; at most 62 days after it"),
    duration: z.coerce.number().int().min(5).max(1440).describe("Slot length, minutes"),
    step: z.coerce.number().int().min(5).max(1440).optional().describe("Minutes between slot starts (default: duration)"),
    timezone: timezone.optional().describe("Time zone of the answer (default: the owner's)"),
  })
  .strict();

export const slotsSchema = z
  .object({
    user_id: z.string(),
    timezone: z.string(),
    duration: z.number().int(),
    slots: z.array(z.object({ start: z.string().describe("Local, with offset"), end: z.string(), startUtc: apiDate, endUtc: apiDate })),
  })
  .meta({ id: "FreeSlots" });

export const localtimeQuery = z
  .object({
    date: instant.describe("The UTC instant to convert"),
    timezone: timezone.optional().describe("Default: the signed-in user's time zone"),
  })
  .strict();

export const localtimeSchema = z
  .object({
    date: apiDate,
    timezone: z.string(),
    local: z.string().describe("ISO 8601 local date-time with offset"),
    localDate: z.string(),
    localTime: z.string(),
    offset: z.string(),
    offsetMinutes: z.number().int(),
    abbreviation: z.string(),
  })
  .meta({ id: "LocalTime" });

export const updateCalendarBody = z.object(calendarDetails).strict();
export type UpdateCalendarInput = z.infer<typeof updateCalendarBody>;

export const availabilityQuery = z
  .object({
    from: instant.optional().describe("Start of `openings` (default: now)"),
    to: instant.optional().describe("End of `openings` (default: 14 days after `from`; at most 62 days after it)"),
  })
  .strict();

const interval = z.object({ start: apiDate, end: apiDate });

export const calendarAvailabilitySchema = calendarSchema
  .extend({
    openings: z.array(interval).describe("UTC intervals in [from, to) within availability and clear of events and of busy times imported from Google Calendar"),
  })
  .meta({ id: "CalendarAvailability" });

export const feedSchema = z
  .object({
    url: z.string().describe("The secret iCalendar (RFC 5545) feed of the calendar's events: subscribe to it from Google Calendar, Apple Calendar or Outlook"),
    webcalUrl: z.string().describe("The same feed as a `webcal://` link, which calendar apps open directly"),
  })
  .meta({ id: "CalendarFeed" });

export const feedParams = z
  .object({
    platform_id: z.string().min(1).max(100),
    calendar_id: z.string().min(1).max(100),
    secret: z.string().min(1).max(200).describe("The feed's secret, optionally followed by `.ics`"),
  })
  .strict();

export const googleConnectionSchema = z
  .object({
    connected: z.boolean(),
    email: z.string().nullable().describe("The connected Google account, when Google says it"),
    googleCalendarIds: z.array(z.string()),
    busySynced: apiDate.nullable().describe("When busy times were last imported"),
    connected_at: apiDate.nullable(),
  })
  .meta({ id: "GoogleCalendarConnection" });

export const googleConnectSchema = z.object({ url: z.string().describe("Google's consent page: send the user there") }).meta({ id: "GoogleCalendarConsent" });

export const googleCallbackQuery = z
  .object({
    state: z.string().min(1).max(1000),
    code: z.string().min(1).max(2000).optional(),
    error: z.string().max(200).optional().describe("Google's refusal (`access_denied` when the user declined)"),
    scope: z.string().max(2000).optional(),
    authuser: z.string().max(20).optional(),
    prompt: z.string().max(50).optional(),
    hd: z.string().max(255).optional(),
  })
  .strict();
