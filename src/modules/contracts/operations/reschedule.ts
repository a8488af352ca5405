import { NotFoundError } from "../../../lib/errors.js";
import type { AuthContext } from "../../../plugins/auth.js";
import { moveBooking } from "../../calendars/index.js";
import { effectivePrice, lockProductForSale } from "../../products/index.js";
import type { RescheduleInput } from "../checkout.schemas.js";
import { change, type ContractsContext } from "./shared.js";

/**
 * `PUT /contracts/:id/item/:item_id/booking`: a booked item moves to other dates, as any change of
 * the contract's items (its creator, an editor or the key; only while nothing is paid; acceptances
 * voided, figures rebalanced). The item is priced again at its new start (seasonal prices), and its
 * booking moves — checked as a new one against the seller's availability, events and other
 * bookings (409 `booking_unavailable`) — with both parties' calendar events.
 */
export const rescheduleItem = (ctx: ContractsContext, auth: AuthContext, id: string, itemId: string, input: RescheduleInput) =>
  change(ctx, auth, id, async (tx, c) => {
    const item = c.items.find((i) => i.id === itemId);
    if (!item) throw new NotFoundError("item on this contract", itemId, "item_id");
    let price = item.price;
    if (item.productId) {
      const product = await lockProductForSale(tx, c, item.productId);
      price = effectivePrice(product, product.seasonalPrices, input.startDate);
    }
    await moveBooking(tx, { platformId: c.platformId, mode: c.mode }, { itemId: item.id, start: input.startDate, end: input.endDate, title: item.description ?? "Booking" });
    await tx.contractItem.update({ where: { id: item.id }, data: { startDate: input.startDate, endDate: input.endDate, price, total: price * item.quantity } });
  });
