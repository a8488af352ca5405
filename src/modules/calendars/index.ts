/** The calendars module's public API: a user's calendar, availability and calendar events. */
export { calendarsRoutes } from "./calendars.routes.js";
export { createCalendarsService, type CalendarsService } from "./calendars.service.js";
export { eraseUserCalendar } from "./calendars.repo.js";
export { syncSubscriptionEvents, type SubscriptionEventsSpec } from "./operations/subscription-events.js";
export type { RefreshBusyJob } from "./operations/calendar.js";
export { bookItems, cancelBookings, confirmBookings, moveBooking, type BookingRequest } from "./operations/bookings.js";
