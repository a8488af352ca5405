import type { Prisma } from "../../../db/client.js";
import type { Interval } from "../../../domain/calendar/availability.js";
import type { Db } from "../../../db/client.js";

/** What takes time out of a calendar: its live events and the busy times imported from Google, in [from, to). */
export async function busyIntervals(client: Db | Prisma.TransactionClient, calendarId: string, from: Date, to: Date): Promise<Interval[]> {
  // One after the other: `client` may be a transaction, whose queries share one connection.
  const events = await client.calendarEvent.findMany({
    where: { calendarId, cancelled: false, eventEnd: { gt: from }, eventStart: { lt: to } },
    select: { eventStart: true, eventEnd: true },
  });
  const imported = await importedBusy(client, calendarId, from, to);
  return [...events.map((e) => ({ start: e.eventStart.getTime(), end: e.eventEnd.getTime() })), ...imported];
}

export async function importedBusy(client: Db | Prisma.TransactionClient, calendarId: string, from: Date, to: Date): Promise<Interval[]> {
  const rows = await client.calendarBusyTime.findMany({
    where: { calendarId, busyEnd: { gt: from }, busyStart: { lt: to } },
    select: { busyStart: true, busyEnd: true },
  });
  return rows.map((b) => ({ start: b.busyStart.getTime(), end: b.busyEnd.getTime() })).sort((a, b) => a.start - b.start);
}
