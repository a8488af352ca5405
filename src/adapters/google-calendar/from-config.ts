import type { GoogleCalendarConfig } from "../../config.js";
import type { GoogleCalendarGateway } from "./gateway.js";
import { createOfflineGoogleCalendar } from "./offline.js";

/** Google's API when an OAuth client is configured (loaded only then: it is a few MB), else the offline fake. */
export async function createGoogleCalendarGateway(config: GoogleCalendarConfig): Promise<GoogleCalendarGateway> {
  if (config.kind === "google") return (await import("./google.js")).createGoogleCalendar(config);
  return createOfflineGoogleCalendar({ redirectUrl: config.redirectUrl });
}
