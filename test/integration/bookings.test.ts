import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newId } from "../../src/lib/ids.js";
import { bearer, createTestContext, type TestContext, type TestPlatform, type TestUser } from "../helpers/app.js";
import { addCard, failed, okContract, onboardSeller, type Json } from "../helpers/contracts.js";

/**
 * Bookings: cart lines with `startDate`/`endDate` become contract items that take their seller's
 * time at checkout — inside the seller's availability, clear of their other bookings and events —
 * with an event on the seller's and the buyer's calendar that is confirmed when the contract is
 * paid and cancelled when it is voided or the item removed. Of parallel checkouts of one slot
 * exactly one succeeds, enforced by the database (an exclusion constraint).
 */

let t: TestContext;
let acme: TestPlatform;
let seller: TestUser;
let cabin: Json;

beforeAll(async () => {
  t = await createTestContext();
  acme = await t.createPlatform({ name: "Acme" });
  seller = await t.createUser(acme, "member");
  await onboardSeller(t, acme, seller.id);
  const res = await t.request({
    method: "POST",
    url: "/v1/products",
    headers: bearer(acme.apiKey),
    payload: { user_id: seller.id, name: "Lake cabin", price: 12000, type: "service" },
  });
  expect(res.statusCode, res.body).toBe(201);
  cabin = res.json();
});
afterAll(() => t?.close());

const key = () => bearer(acme.apiKey);
let day = 0;
/** A fresh two-night slot for each test: far enough ahead, never overlapping another test's. */
function slot(): { startDate: string; endDate: string } {
  day += 5;
  const start = new Date(Date.UTC(2031, 0, 1 + day, 15));
  return { startDate: start.toISOString().replace(".000", ""), endDate: new Date(start.getTime() + 2 * 86_400_000).toISOString().replace(".000", "") };
}

async function buyerWithCart(dates: { startDate: string; endDate: string }): Promise<{ buyer: TestUser; cartId: string }> {
  const buyer = await t.createUser(acme, "member");
  await addCard(t, acme, buyer.id);
  const res = await t.request({ method: "POST", url: `/v1/carts/auth/product/${cabin.id}`, headers: bearer(buyer.token), payload: { quantity: 1, ...dates } });
  expect(res.statusCode, res.body).toBeLessThan(300);
  return { buyer, cartId: res.json().id };
}

const checkout = (buyer: TestUser, cartId: string) => t.request({ method: "POST", url: `/v1/contracts/cart/${cartId}`, headers: bearer(buyer.token) });
const calendarEvents = async (user: TestUser) =>
  (await t.request({ method: "GET", url: "/v1/calendars/auth?from=2031-01-01T00:00:00Z&to=2031-12-31T00:00:00Z", headers: bearer(user.token) })).json().events as Json[];

describe("bookings", () => {
  it("a checkout books the slot: an event on the seller's and the buyer's calendar, confirmed when paid", async () => {
    const dates = slot();
    const { buyer, cartId } = await buyerWithCart(dates);
    const created = okContract(await checkout(buyer, cartId), 201);
    const mine = (await calendarEvents(buyer)).filter((e) => e.contract_id === created.id);
    const theirs = (await calendarEvents(seller)).filter((e) => e.contract_id === created.id);
    for (const events of [mine, theirs]) {
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ eventStart: dates.startDate, eventEnd: dates.endDate, booked: true, confirmed: false, cancelled: false, title: "Lake cabin" });
    }
    const settled = await t.request({ method: "PUT", url: `/v1/contracts/${created.id}/settle`, headers: bearer(buyer.token) });
    expect(settled.statusCode, settled.body).toBe(200);
    expect((await calendarEvents(seller)).find((e) => e.contract_id === created.id)!.confirmed).toBe(true);
    expect((await calendarEvents(buyer)).find((e) => e.contract_id === created.id)!.confirmed).toBe(true);
    expect(await t.db.booking.findFirst({ where: { contractId: created.id } })).toMatchObject({ status: "confirmed" });
  });

  it("of parallel checkouts of one slot exactly one succeeds; the others are 409 booking_unavailable", async () => {
    const dates = slot();
    const carts = await Promise.all(Array.from({ length: 4 }, () => buyerWithCart(dates)));
    const answers = await Promise.all(carts.map(({ buyer, cartId }) => checkout(buyer, cartId)));
    const codes = answers.map((r) => r.statusCode).sort();
    expect(codes, answers.map((r) => r.body).join("\n")).toEqual([201, 409, 409, 409]);
    for (const r of answers.filter((a) => a.statusCode === 409)) expect(r.json().error.code).toBe("booking_unavailable");
    // An overlapping (not identical) slot is taken too; the losers' carts are untouched.
    const overlapping = { startDate: dates.endDate.replace("T15", "T10"), endDate: new Date(Date.parse(dates.endDate) + 86_400_000).toISOString().replace(".000", "") };
    const late = await buyerWithCart(overlapping);
    failed(await checkout(late.buyer, late.cartId), 409, "booking_unavailable");
    expect(await t.db.booking.count({ where: { productId: cabin.id, bookingStart: new Date(dates.startDate), status: { not: "cancelled" } } })).toBe(1);
  });

  it("the database refuses overlapping live bookings of one seller (the exclusion constraint), whoever writes them", async () => {
    const dates = slot();
    const row = (contractItemId: string) => ({
      id: newId("booking"),
      platformId: acme.id,
      mode: "test" as const,
      contractId: newId("contract"),
      contractItemId,
      sellerId: seller.id,
      buyerId: seller.id,
      bookingStart: new Date(dates.startDate),
      bookingEnd: new Date(dates.endDate),
    });
    await t.db.booking.create({ data: row(newId("contractItem")) });
    await expect(t.db.booking.create({ data: row(newId("contractItem")) })).rejects.toThrow(/bookings_no_overlap|exclusion|conflicting key/i);
    // A cancelled booking frees the time.
    await t.db.booking.updateMany({ where: { sellerId: seller.id, bookingStart: new Date(dates.startDate) }, data: { status: "cancelled" } });
    await t.db.booking.create({ data: row(newId("contractItem")) });
  });

  it("outside the seller's availability: 409; inside it: booked", async () => {
    // Weekdays 09:00–17:00 (the seller's time zone: UTC).
    const availability = ["monday", "tuesday", "wednesday", "thursday", "friday"].map((dayOfWeek) => ({ dayOfWeek, startTime: "09:00", endTime: "17:00" }));
    const set = await t.request({ method: "PUT", url: "/v1/calendars/auth/availability", headers: bearer(seller.token), payload: availability });
    expect(set.statusCode, set.body).toBe(200);
    try {
      // Saturday 2031-03-01.
      const weekend = await buyerWithCart({ startDate: "2031-03-01T10:00:00Z", endDate: "2031-03-01T12:00:00Z" });
      const refused = failed(await checkout(weekend.buyer, weekend.cartId), 409, "booking_unavailable");
      expect(refused.message).toContain("availability");
      // Monday 2031-03-03.
      const weekday = await buyerWithCart({ startDate: "2031-03-03T10:00:00Z", endDate: "2031-03-03T12:00:00Z" });
      okContract(await checkout(weekday.buyer, weekday.cartId), 201);
    } finally {
      await t.request({ method: "PUT", url: "/v1/calendars/auth/availability", headers: bearer(seller.token), payload: [] });
    }
  });

  it("moving a booked item moves its booking and both events; onto a taken slot it is 409 and nothing moves", async () => {
    const [taken, free] = [slot(), slot()];
    const other = await buyerWithCart(taken);
    okContract(await checkout(other.buyer, other.cartId), 201);
    const dates = slot();
    const mine = await buyerWithCart(dates);
    const created = okContract(await checkout(mine.buyer, mine.cartId), 201);
    const item = created.items[0];
    const move = (body: Json) => t.request({ method: "PUT", url: `/v1/contracts/${created.id}/item/${item.id}/booking`, headers: bearer(mine.buyer.token), payload: body });
    failed(await move(taken), 409, "booking_unavailable");
    expect((await calendarEvents(mine.buyer)).find((e) => e.contract_id === created.id)).toMatchObject({ eventStart: dates.startDate });
    const moved = okContract(await move(free));
    expect(moved.items[0]).toMatchObject({ startDate: free.startDate, endDate: free.endDate });
    for (const user of [mine.buyer, seller]) {
      expect((await calendarEvents(user)).find((e) => e.contract_id === created.id)).toMatchObject({ eventStart: free.startDate, eventEnd: free.endDate, cancelled: false });
    }
    // The old slot is free again.
    const next = await buyerWithCart(dates);
    okContract(await checkout(next.buyer, next.cartId), 201);
    // An item without a booking: 422.
    const plain = okContract(
      await t.request({ method: "POST", url: "/v1/contracts", headers: key(), payload: { items: [{ user_id: seller.id, price: 1000 }], buyers: [{ user_id: mine.buyer.id }] } }),
      201,
    );
    failed(await t.request({ method: "PUT", url: `/v1/contracts/${plain.id}/item/${plain.items[0].id}/booking`, headers: key(), payload: free }), 422, "item_not_booked");
  });

  it("voiding the contract (or removing the item) cancels the events and frees the slot", async () => {
    const dates = slot();
    const first = await buyerWithCart(dates);
    const created = okContract(await checkout(first.buyer, first.cartId), 201);
    await t.request({ method: "POST", url: `/v1/contracts/${created.id}/send`, headers: key() });
    const voided = await t.request({ method: "DELETE", url: `/v1/contracts/${created.id}`, headers: { ...key(), "content-type": "application/json" } });
    expect(voided.statusCode, voided.body).toBe(200);
    expect((await calendarEvents(seller)).find((e) => e.contract_id === created.id)!.cancelled).toBe(true);
    expect((await calendarEvents(first.buyer)).find((e) => e.contract_id === created.id)!.cancelled).toBe(true);
    // The slot is free again.
    const second = await buyerWithCart(dates);
    const rebooked = okContract(await checkout(second.buyer, second.cartId), 201);
    const item = rebooked.items[0];
    const removed = await t.request({ method: "DELETE", url: `/v1/contracts/${rebooked.id}/item/${item.id}`, headers: { ...key(), "content-type": "application/json" } });
    expect(removed.statusCode, removed.body).toBe(200);
    expect(await t.db.booking.findFirst({ where: { contractId: rebooked.id } })).toMatchObject({ status: "cancelled" });
    const types = (await t.request({ method: "GET", url: `/v1/events?filter[type]=calendar_event.updated&per_page=100`, headers: key() })).json().data as Json[];
    expect(types.some((e) => e.data.object.contract_id === rebooked.id && e.data.object.cancelled === true)).toBe(true);
  });
});
