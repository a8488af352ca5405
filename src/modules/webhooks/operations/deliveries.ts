import type { Db, Prisma } from "../../../db/client.js";
import type { Event, WebhookDelivery } from "../../../generated/prisma/client.js";
import { enqueue } from "../../../jobs/queue.js";
import { ConflictError, NotFoundError } from "../../../lib/errors.js";
import { newId } from "../../../lib/ids.js";
import { pageMeta, pageWindow, type Page } from "../../../lib/pagination.js";
import type { AuthContext } from "../../../plugins/auth.js";
import { deliveryJobKey, eventTypesOf, recordUnroutedEvent } from "../../events/index.js";
import type { ListDeliveriesQuery } from "../webhooks.schemas.js";
import { toWebhookEndpointResponse, type DeliveryWithType } from "../webhooks.view.js";
import { find, findEnabled, lockEndpoints, type WebhooksContext } from "./shared.js";

/** Deliveries with their events' types (the events module's). */
async function withEventTypes(client: Db | Prisma.TransactionClient, deliveries: WebhookDelivery[]): Promise<DeliveryWithType[]> {
  const types = await eventTypesOf(
    client,
    deliveries.map((d) => d.eventId),
  );
  return deliveries.map((d) => ({ ...d, event: { type: types.get(d.eventId)! } }));
}

/**
 * Sends the endpoint a `webhook_endpoint.test` event (recorded like any event, delivered to this
 * endpoint only, whatever it subscribes to), after the deliveries already queued for it.
 */
export async function sendTest(ctx: WebhooksContext, auth: AuthContext, id: string): Promise<DeliveryWithType> {
  return ctx.db.$transaction(async (tx) => {
    await lockEndpoints(tx, auth);
    const endpoint = await findEnabled(tx, auth, id);
    const event = await recordUnroutedEvent(tx, {
      platformId: auth.platformId,
      mode: auth.mode,
      requestId: auth.requestId,
      type: "webhook_endpoint.test",
      object: toWebhookEndpointResponse(endpoint),
    });
    const delivery = await tx.webhookDelivery.create({
      data: { id: newId("webhookDelivery"), platformId: auth.platformId, mode: auth.mode, endpointId: endpoint.id, eventId: event.id },
    });
    await enqueue(tx, "deliver-webhooks", { endpointId: endpoint.id }, { jobKey: deliveryJobKey(endpoint.id) });
    return { ...delivery, event: { type: event.type } };
  });
}

/**
 * Sends a delivery that succeeded or failed again: it is pending once more, ahead of later ones,
 * with its attempts counted from 0 and 3 days of retries from now.
 */
export async function resend(ctx: WebhooksContext, auth: AuthContext, id: string, deliveryId: string): Promise<DeliveryWithType> {
  return ctx.db.$transaction(async (tx) => {
    await lockEndpoints(tx, auth);
    const endpoint = await findEnabled(tx, auth, id);
    const delivery = await tx.webhookDelivery.findFirst({ where: { id: deliveryId, endpointId: endpoint.id } });
    if (!delivery) throw new NotFoundError("webhook delivery", deliveryId, "delivery_id");
    if (delivery.status === "pending") {
      throw new ConflictError("delivery_pending", `${delivery.id} is still pending: it is being sent, or waits for its next attempt.`, "delivery_id");
    }
    const resent = await tx.webhookDelivery.update({
      where: { id: delivery.id },
      data: { status: "pending", attempts: 0, nextAttempt: null, delivered: null, resent: ctx.clock.now() },
    });
    await enqueue(tx, "deliver-webhooks", { endpointId: endpoint.id }, { jobKey: deliveryJobKey(endpoint.id) });
    return withEventTypes(tx, [resent]).then(([d]) => d!);
  });
}

/** Newest first. */
export async function deliveries(ctx: WebhooksContext, auth: AuthContext, id: string, query: ListDeliveriesQuery): Promise<Page<WebhookDelivery & { event: Pick<Event, "type"> }>> {
  const endpoint = await find(ctx.db, auth, id);
  const where: Prisma.WebhookDeliveryWhereInput = {
    endpointId: endpoint.id,
    ...(query["filter[status]"] ? { status: { in: query["filter[status]"] } } : {}),
    ...(query["filter[event_id]"] ? { eventId: { in: query["filter[event_id]"] } } : {}),
  };
  const [total, rows] = await ctx.db.$transaction([
    ctx.db.webhookDelivery.count({ where }),
    ctx.db.webhookDelivery.findMany({ where, orderBy: { seq: "desc" }, ...pageWindow(query.page, query.per_page) }),
  ]);
  const data = await withEventTypes(ctx.db, rows);
  return { data, meta: pageMeta(total, query.page, query.per_page, data.length) };
}
