import type { Tenant, Tx } from "../../db/tenant.js";
import { scrubEventsOfUserObjects } from "../events/index.js";

/** Erasure's part here: the user's calendar goes, and its events keep nothing of what it said. */
export async function eraseUserCalendar(tx: Tx, user: Tenant & { id: string }): Promise<void> {
  await tx.calendar.deleteMany({ where: { userId: user.id } });
  await scrubEventsOfUserObjects(tx, user, user.id, "calendar", { name: null, description: null, events: [] });
  await scrubEventsOfUserObjects(tx, user, user.id, "calendar_event", { title: null, description: null, location: null, attendees: [] });
}
