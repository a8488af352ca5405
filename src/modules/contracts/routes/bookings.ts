import { errors } from "../../../lib/route.js";
import { requireAuth } from "../../../plugins/auth.js";
import { rescheduleBody } from "../checkout.schemas.js";
import { contractSchema, itemParams } from "../contracts.schemas.js";
import { tags, signedIn, CHANGE, type ContractsApp, type ContractsRoutesDeps } from "./shared.js";

/** A booked item's dates. */
export function bookingRoutes(app: ContractsApp, { contracts }: ContractsRoutesDeps): void {
  app.put(
    "/contracts/:id/item/:item_id/booking",
    {
      schema: {
        operationId: "rescheduleContractItem",
        tags,
        summary: "Move a booked item to other dates",
        description:
          "The item's booking (made at checkout for a cart line with dates) moves to `startDate`–`endDate`: checked as a new booking against the seller's availability, their calendar's events and their other bookings (409 `booking_unavailable`), " +
          `with both parties' calendar events moved along. The item is priced again at its new start. 422 \`item_not_booked\` when the item has no live booking. ${CHANGE}`,
        params: itemParams,
        body: rescheduleBody,
        response: { 200: contractSchema, ...errors(400, 401, 403, 404, 409, 422) },
      },
      config: signedIn,
    },
    async (request) => contracts.rescheduleItem(requireAuth(request), request.params.id, request.params.item_id, request.body),
  );
}
