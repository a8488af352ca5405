import { errors } from "../../../lib/route.js";
import { noBody } from "../../../lib/schemas.js";
import { requireUser } from "../../../plugins/auth.js";
import { feedParams, feedSchema } from "../calendars.schemas.js";
import { self, tags, type CalendarsApp, type CalendarsRoutesDeps } from "./shared.js";

/** The calendar's secret iCalendar feed: its URL, its rotation, and the feed itself. */
export function feedRoutes(app: CalendarsApp, { calendars, platforms }: CalendarsRoutesDeps): void {
  app.get(
    "/calendars/auth/feed",
    {
      schema: {
        operationId: "retrieveSignedInUserCalendarFeed",
        tags,
        summary: "The secret iCalendar feed URL of the signed-in user's calendar",
        description:
          "Subscribe to `url` from Google Calendar (Other calendars → From URL), Apple Calendar (File → New Calendar Subscription) or Outlook (Add calendar → Subscribe from web). Anyone with the URL can read the events: rotate it when it leaked.",
        response: { 200: feedSchema, ...errors(401) },
      },
      config: self,
    },
    async (request) => {
      const auth = requireUser(request);
      return calendars.feedOf(auth, auth.user.id);
    },
  );

  app.post(
    "/calendars/auth/feed/rotate",
    {
      schema: {
        operationId: "rotateSignedInUserCalendarFeed",
        tags,
        summary: "Give the signed-in user's calendar feed a new secret URL (the old one is then a 404)",
        body: noBody,
        response: { 200: feedSchema, ...errors(401) },
      },
      config: self,
    },
    async (request) => {
      const auth = requireUser(request);
      return calendars.rotateFeed(auth, auth.user.id);
    },
  );

  app.get(
    "/calendars/feed/:platform_id/:calendar_id/:secret",
    {
      schema: {
        operationId: "retrieveCalendarFeed",
        tags,
        summary: "A calendar's iCalendar feed (RFC 5545), for calendar apps; the secret in the path is the credential",
        description: "`text/calendar`: the calendar's events that are not cancelled, from a month back to a year ahead. A wrong or rotated secret is a 404.",
        params: feedParams,
        response: errors(404),
      },
      config: { auth: "public" },
    },
    async (request, reply) => {
      const platform = await platforms.resolvePublic(request.auth, request.params.platform_id);
      const text = await calendars.renderFeed({ platformId: platform.id, mode: platform.mode }, request.params.calendar_id, request.params.secret);
      // iCalendar, not the JSON the response schemas describe (those cover the errors only).
      return reply
        .header("cache-control", "private, max-age=300")
        .header("content-disposition", 'inline; filename="calendar.ics"')
        .type("text/calendar; charset=utf-8")
        .send(text as never);
    },
  );
}
