import { cancelBookings } from "../calendars/index.js";
import type { Tx } from "../../db/tenant.js";
import type { RecordEventInput } from "../events/index.js";
import { refundedInFull } from "../settlement/index.js";

/**
 * A listener of the events module: an order refunded in full — every charge of it given back by
 * refunds that succeeded, however they were made (a cancel, `POST /transactions/:id/refund`, an
 * approved refund request) — no longer holds its bookings: they are cancelled, and their calendar
 * events with them (`calendar_event.updated`). A partial refund leaves the bookings as they are: the
 * sale stands, only its price changed (a booked item that should go is removed from the contract,
 * which cancels its booking). Runs in the transaction that recorded the refund's success.
 */
export async function cancelBookingsOfRefundedOrder(tx: Tx, event: RecordEventInput): Promise<void> {
  if (event.type !== "transaction.updated" && event.type !== "transaction.created") return;
  const o = event.object as Record<string, unknown>;
  if (o.type !== "incoming:refund" || o.status !== "succeeded" || typeof o.contract_id !== "string") return;
  const tenant = { platformId: event.platformId, mode: event.mode };
  if (await refundedInFull(tx, tenant, o.contract_id)) await cancelBookings(tx, tenant, o.contract_id);
}
