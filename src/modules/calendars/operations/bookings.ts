import type { Tenant, Tx } from "../../../db/tenant.js";
import { isWithin, openIntervals } from "../../../domain/calendar/availability.js";
import { ConflictError, UnprocessableError } from "../../../lib/errors.js";
import { newId } from "../../../lib/ids.js";
import { systemClock } from "../../../lib/time.js";
import { type RecordEventInput, recordEvents } from "../../events/index.js";
import { attendeesOrdered, toDomainEntry, toEventResponse } from "../calendars.view.js";
import { importedBusy } from "./busy.js";
import { ensureCalendar, eventOfChange, lockCalendar, type CalendarsContext } from "./shared.js";

/**
 * Bookings: contract items with dates (`startDate`/`endDate`) take their seller's time. A seller's
 * time is one resource — two of their products cannot be booked for overlapping times, nor can
 * anything overlap the events on their calendar or the busy times Google reports. A seller without
 * any availability is bookable at any time; one with availability, only inside it.
 *
 * Two checkouts of one slot cannot both succeed, whatever the timing: the seller's calendar row is
 * locked while a booking is checked and written (so the second sees the first's events), and the
 * database itself refuses overlapping live bookings of one seller — an exclusion constraint
 * (`bookings_no_overlap`, btree_gist over `tstzrange(booking_start, booking_end)`), which the
 * insert meets with ON CONFLICT DO NOTHING, so a conflict is a 409, never an aborted transaction.
 *
 * Each booking puts an event on the seller's and the buyer's calendar (`booked`, `contract_id`),
 * `confirmed` once the contract is paid, `cancelled` with the booking (contract voided or deleted,
 * item removed). Everything runs in the caller's (the contracts module's) transaction.
 */

export interface BookingRequest {
  contractId: string;
  buyerId: string;
  items: { itemId: string; productId: string | null; sellerId: string; start: Date; end: Date; title: string }[];
}

// Runs in the caller's transaction, so it never takes a connection of its own.
const inCallersTransaction = {
  get db(): never {
    throw new Error("bookings are written in the caller's transaction");
  },
  clock: systemClock,
} as unknown as CalendarsContext;

/** Books every dated item: 409 `booking_unavailable` (naming the item) when one cannot be, and then nothing is booked. */
export async function bookItems(tx: Tx, tenant: Tenant, request: BookingRequest): Promise<void> {
  if (request.items.length === 0) return;
  const events: RecordEventInput[] = [];
  // Sellers' calendars in id order, as subscription events lock them: two writers never wait on each other in a circle.
  const items = [...request.items].sort((a, b) => (a.sellerId < b.sellerId ? -1 : a.sellerId > b.sellerId ? 1 : a.start.getTime() - b.start.getTime()));
  const buyerCalendar = await ensureCalendar(inCallersTransaction, tenant, request.buyerId, tx, events);
  const locked = new Map<string, Awaited<ReturnType<typeof lockCalendar>>>();
  for (const item of items) {
    let calendar = locked.get(item.sellerId);
    if (!calendar) {
      calendar = await lockCalendar(inCallersTransaction, tx, tenant, item.sellerId, events);
      locked.set(item.sellerId, calendar);
    }
    await assertFree(tx, calendar, item);
    const id = newId("booking");
    const inserted = await tx.$queryRaw<{ id: string }[]>`
      INSERT INTO bookings (id, platform_id, mode, contract_id, contract_item_id, product_id, seller_id, buyer_id, booking_start, booking_end, status, updated)
      VALUES (${id}, ${tenant.platformId}, ${tenant.mode}::"Mode", ${request.contractId}, ${item.itemId}, ${item.productId}, ${item.sellerId}, ${request.buyerId},
              ${item.start}, ${item.end}, 'held', now())
      ON CONFLICT DO NOTHING RETURNING id`;
    if (inserted.length === 0) throw refusal(item, "another booking of the seller overlaps it");
    const description = `Booking ${id} (contract ${request.contractId}).`;
    const sellerEventId = newId("calendarEvent");
    const buyerEventId = newId("calendarEvent");
    const common = {
      platformId: tenant.platformId,
      mode: tenant.mode,
      title: item.title,
      description,
      eventStart: item.start,
      eventEnd: item.end,
      booked: true,
      contractId: request.contractId,
    };
    await tx.calendarEvent.create({ data: { id: sellerEventId, calendarId: calendar.id, userId: item.sellerId, ...common } });
    await tx.calendarEvent.create({ data: { id: buyerEventId, calendarId: buyerCalendar.id, userId: request.buyerId, ...common } });
    await tx.booking.update({ where: { id }, data: { sellerEventId, buyerEventId } });
    const written = await tx.calendarEvent.findMany({ where: { id: { in: [sellerEventId, buyerEventId] } }, include: attendeesOrdered, orderBy: { id: "asc" } });
    for (const e of written) events.push(eventOfChange(tenant, "calendar_event.created", toEventResponse(e)));
  }
  await recordEvents(tx, events);
}

/** The contract's live bookings (or those of some of its items) end: their events are cancelled, and the time is free again. */
export async function cancelBookings(tx: Tx, tenant: Tenant, contractId: string, itemIds?: string[]): Promise<number> {
  return updateBookings(tx, tenant, contractId, itemIds, "cancelled", { cancelled: true });
}

/** The contract was paid: its bookings, and their events, are confirmed. */
export async function confirmBookings(tx: Tx, tenant: Tenant, contractId: string): Promise<number> {
  return updateBookings(tx, tenant, contractId, undefined, "confirmed", { confirmed: true });
}

async function updateBookings(
  tx: Tx,
  tenant: Tenant,
  contractId: string,
  itemIds: string[] | undefined,
  status: "cancelled" | "confirmed",
  change: { cancelled: true } | { confirmed: true },
): Promise<number> {
  const rows = await tx.booking.updateManyAndReturn({
    where: {
      contractId,
      platformId: tenant.platformId,
      mode: tenant.mode,
      status: status === "cancelled" ? { not: "cancelled" } : "held",
      ...(itemIds ? { contractItemId: { in: itemIds } } : {}),
    },
    data: { status },
  });
  const eventIds = rows.flatMap((b) => [b.sellerEventId, b.buyerEventId]).filter((id): id is string => id !== null);
  if (eventIds.length === 0) return rows.length;
  await tx.calendarEvent.updateMany({ where: { id: { in: eventIds } }, data: change });
  const changed = await tx.calendarEvent.findMany({ where: { id: { in: eventIds } }, include: attendeesOrdered, orderBy: { id: "asc" } });
  await recordEvents(
    tx,
    changed.map((e) => eventOfChange(tenant, "calendar_event.updated", toEventResponse(e))),
  );
  return rows.length;
}

const refusal = (item: { title: string; productId: string | null; itemId: string; start: Date; end: Date }, why: string) =>
  new ConflictError(
    "booking_unavailable",
    `${item.title} (${item.productId ?? item.itemId}) cannot be booked for ${item.start.toISOString()} – ${item.end.toISOString()}: ${why}.`,
    "items",
  );

/** Inside the seller's availability (when they set any), clear of their live events (but `ownEventId`) and of Google busy times. Under the calendar's lock. */
async function assertFree(tx: Tx, calendar: Awaited<ReturnType<typeof lockCalendar>>, item: BookingRequest["items"][number], ownEventId?: string): Promise<void> {
  const availability = await tx.availability.findMany({ where: { calendarId: calendar.id } });
  if (availability.length > 0) {
    const open = openIntervals(availability.map(toDomainEntry), calendar.timezone, item.start.getTime(), item.end.getTime());
    if (!isWithin(open, item.start.getTime(), item.end.getTime())) throw refusal(item, "it is outside the seller's availability");
  }
  const clash = await tx.calendarEvent.findFirst({
    where: { calendarId: calendar.id, cancelled: false, eventStart: { lt: item.end }, eventEnd: { gt: item.start }, ...(ownEventId ? { id: { not: ownEventId } } : {}) },
    select: { id: true },
  });
  if (clash) throw refusal(item, "the seller is booked or busy then");
  if ((await importedBusy(tx, calendar.id, item.start, item.end)).length > 0) throw refusal(item, "the seller's Google Calendar is busy then");
}

/**
 * The booking of an item moves to other dates (its contract's item was rescheduled): checked as a
 * new booking is, but clear of itself; both parties' events move with it (`calendar_event.updated`).
 * 422 `item_not_booked` when the item has no live booking.
 */
export async function moveBooking(tx: Tx, tenant: Tenant, move: { itemId: string; start: Date; end: Date; title: string }): Promise<void> {
  const booking = await tx.booking.findFirst({ where: { contractItemId: move.itemId, platformId: tenant.platformId, mode: tenant.mode, status: { not: "cancelled" } } });
  if (!booking)
    throw new UnprocessableError("item_not_booked", `Item ${move.itemId} has no live booking: only an item booked at checkout (a cart line with dates) moves.`, "item_id");
  const events: RecordEventInput[] = [];
  const calendar = await lockCalendar(inCallersTransaction, tx, tenant, booking.sellerId, events);
  const item = { itemId: move.itemId, productId: booking.productId, sellerId: booking.sellerId, start: move.start, end: move.end, title: move.title };
  await assertFree(tx, calendar, item, booking.sellerEventId ?? undefined);
  // Other bookings of the seller hold the calendar's lock to be written: this check sees them all (the constraint stays the last word).
  const overlapping = await tx.booking.findFirst({
    where: { sellerId: booking.sellerId, status: { not: "cancelled" }, id: { not: booking.id }, bookingStart: { lt: move.end }, bookingEnd: { gt: move.start } },
    select: { id: true },
  });
  if (overlapping) throw refusal(item, "another booking of the seller overlaps it");
  await tx.booking.update({ where: { id: booking.id }, data: { bookingStart: move.start, bookingEnd: move.end } });
  const eventIds = [booking.sellerEventId, booking.buyerEventId].filter((id): id is string => id !== null);
  await tx.calendarEvent.updateMany({ where: { id: { in: eventIds } }, data: { eventStart: move.start, eventEnd: move.end } });
  const moved = await tx.calendarEvent.findMany({ where: { id: { in: eventIds } }, include: attendeesOrdered, orderBy: { id: "asc" } });
  for (const e of moved) events.push(eventOfChange(tenant, "calendar_event.updated", toEventResponse(e)));
  await recordEvents(tx, events);
}
