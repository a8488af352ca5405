import type { Tenant, Tx } from "../../db/tenant.js";
import { scrubEventsOfUserObjects } from "../events/index.js";

/**
 * Erasure's part here: the user's calendar goes (with its imported busy times), so does their
 * Google Calendar grant (not revoked at Google from here: the user can revoke it in their Google
 * account), and its events keep nothing of what it said.
 */
export async function eraseUserCalendar(tx: Tx, user: Tenant & { id: string }): Promise<void> {
  await tx.googleCalendarConnection.deleteMany({ where: { userId: user.id } });
  await tx.calendar.deleteMany({ where: { userId: user.id } });
  await scrubEventsOfUserObjects(tx, user, user.id, "calendar", { name: null, description: null, events: [] });
  await scrubEventsOfUserObjects(tx, user, user.id, "calendar_event", { title: null, description: null, location: null, attendees: [] });
}
