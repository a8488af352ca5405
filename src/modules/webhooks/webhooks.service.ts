import { assertPublicHost, NonPublicAddressError, type HostResolver } from "../../adapters/webhooks/public-address.js";
import type { Db, Prisma } from "../../db/client.js";
import type { Event, WebhookDelivery, WebhookEndpoint } from "../../generated/prisma/client.js";
import { enqueue } from "../../jobs/queue.js";
import { randomBase62 } from "../../lib/crypto.js";
import { ConflictError, NotFoundError, UnprocessableError, ValidationError } from "../../lib/errors.js";
import { newId } from "../../lib/ids.js";
import { pageMeta, pageWindow, type Page } from "../../lib/pagination.js";
import { systemClock, toApiDate, type Clock } from "../../lib/time.js";
import type { AuthContext } from "../../plugins/auth.js";
import { deliveryJobKey, eventTypesOf, recordEvent, recordUnroutedEvent } from "../events/index.js";
import type { CreateWebhookInput, ListDeliveriesQuery, RotateSecretInput, UpdateWebhookInput } from "./webhooks.schemas.js";

/** How long the old secret keeps signing after a rotation, unless the request says otherwise. */
export const DEFAULT_SECRET_OVERLAP_SECONDS = 24 * 3600;

type DeliveryWithType = WebhookDelivery & { event: Pick<Event, "type"> };

/** Endpoints per platform and mode: each event fans out to all of them. */
export const MAX_WEBHOOK_ENDPOINTS = 20;

export function toWebhookEndpointResponse(e: WebhookEndpoint) {
  return {
    id: e.id,
    platform_id: e.platformId,
    mode: e.mode,
    name: e.name,
    description: e.description,
    url: e.url,
    events: e.events,
    isEnabled: e.isEnabled,
    previousSecretExpires: e.previousSecret && e.previousSecretExpires ? toApiDate(e.previousSecretExpires) : null,
    created: toApiDate(e.created),
    updated: toApiDate(e.updated),
  };
}

export function toWebhookDeliveryResponse(d: WebhookDelivery & { event: Pick<Event, "type"> }) {
  return {
    id: d.id,
    webhook_id: d.endpointId,
    event_id: d.eventId,
    eventType: d.event.type,
    status: d.status,
    attempts: d.attempts,
    responseStatus: d.responseStatus,
    responseBody: d.responseBody,
    error: d.error,
    lastAttempt: toApiDate(d.lastAttempt),
    nextAttempt: toApiDate(d.nextAttempt),
    delivered: toApiDate(d.delivered),
    created: toApiDate(d.created),
    updated: toApiDate(d.updated),
  };
}

export function generateWebhookSecret(): string {
  return `whsec_${randomBase62(32)}`;
}

export function createWebhooksService(deps: { db: Db; allowPrivate: boolean; resolve: HostResolver; clock?: Clock }) {
  const { db } = deps;
  const clock = deps.clock ?? systemClock;

  /** Registration-time check of the URL's host; delivery checks it again when it connects. */
  async function assertDeliverable(url: string): Promise<void> {
    if (deps.allowPrivate) return;
    try {
      await assertPublicHost(new URL(url), deps.resolve);
    } catch (err) {
      if (err instanceof NonPublicAddressError) {
        throw new ValidationError("url_not_public", `Webhook URLs must reach the public internet: ${err.message}.`, "url");
      }
      throw err;
    }
  }

  async function find(tx: Db | Prisma.TransactionClient, auth: AuthContext, id: string): Promise<WebhookEndpoint> {
    const endpoint = await tx.webhookEndpoint.findFirst({ where: { id, platformId: auth.platformId, mode: auth.mode } });
    if (!endpoint) throw new NotFoundError("webhook endpoint", id, "id");
    return endpoint;
  }

  async function findEnabled(tx: Prisma.TransactionClient, auth: AuthContext, id: string): Promise<WebhookEndpoint> {
    const endpoint = await find(tx, auth, id);
    if (!endpoint.isEnabled) throw new ConflictError("webhook_disabled", `${endpoint.id} is disabled: enable it (isEnabled: true) first.`, "id");
    return endpoint;
  }

  /** Deliveries with their events' types (the events module's). */
  async function withEventTypes(client: Db | Prisma.TransactionClient, deliveries: WebhookDelivery[]): Promise<DeliveryWithType[]> {
    const types = await eventTypesOf(
      client,
      deliveries.map((d) => d.eventId),
    );
    return deliveries.map((d) => ({ ...d, event: { type: types.get(d.eventId)! } }));
  }

  const source = (auth: AuthContext) => ({ platformId: auth.platformId, mode: auth.mode, requestId: auth.requestId });

  /**
   * Locks the platform's endpoints in id order — the order recordEvent locks them in — before one
   * of them is changed, so a change racing an event on the same platform waits instead of deadlocking.
   */
  async function lockEndpoints(tx: Prisma.TransactionClient, auth: AuthContext): Promise<void> {
    await tx.$queryRaw`SELECT id FROM webhook_endpoints WHERE platform_id = ${auth.platformId} AND mode = ${auth.mode}::"Mode" ORDER BY id FOR UPDATE`;
  }

  return {
    async create(auth: AuthContext, input: CreateWebhookInput): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
      await assertDeliverable(input.url);
      const secret = generateWebhookSecret();
      const endpoint = await db.$transaction(async (tx) => {
        // Serialise creations per platform so parallel ones cannot pass the cap together.
        await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`webhooks:${auth.platformId}:${auth.mode}`}))`;
        const count = await tx.webhookEndpoint.count({ where: { platformId: auth.platformId, mode: auth.mode } });
        if (count >= MAX_WEBHOOK_ENDPOINTS) {
          throw new UnprocessableError("too_many_webhooks", `A platform can have at most ${MAX_WEBHOOK_ENDPOINTS} webhook endpoints.`, "url");
        }
        const created = await tx.webhookEndpoint.create({
          data: {
            id: newId("webhook"),
            platformId: auth.platformId,
            mode: auth.mode,
            url: input.url,
            events: input.events,
            description: input.description ?? null,
            name: input.name ?? null,
            secret,
          },
        });
        await recordEvent(tx, { ...source(auth), type: "webhook_endpoint.created", object: toWebhookEndpointResponse(created) });
        return created;
      });
      return { endpoint, secret };
    },

    async list(auth: AuthContext, query: { page: number; per_page: number }): Promise<Page<WebhookEndpoint>> {
      const where = { platformId: auth.platformId, mode: auth.mode };
      const [total, data] = await db.$transaction([
        db.webhookEndpoint.count({ where }),
        db.webhookEndpoint.findMany({ where, orderBy: [{ created: "desc" }, { id: "desc" }], ...pageWindow(query.page, query.per_page) }),
      ]);
      return { data, meta: pageMeta(total, query.page, query.per_page, data.length) };
    },

    retrieve: (auth: AuthContext, id: string) => find(db, auth, id),

    /** Re-enabling an endpoint sends what queued up for it while it was off (within 3 days). */
    async update(auth: AuthContext, id: string, input: UpdateWebhookInput): Promise<WebhookEndpoint> {
      if (input.url !== undefined) await assertDeliverable(input.url);
      return db.$transaction(async (tx) => {
        await lockEndpoints(tx, auth);
        const current = await find(tx, auth, id);
        const updated = await tx.webhookEndpoint.update({ where: { id: current.id }, data: input });
        if (!current.isEnabled && updated.isEnabled) {
          await enqueue(tx, "deliver-webhooks", { endpointId: updated.id }, { jobKey: deliveryJobKey(updated.id) });
        }
        await recordEvent(tx, { ...source(auth), type: "webhook_endpoint.updated", object: toWebhookEndpointResponse(updated) });
        return updated;
      });
    },

    /** Deletes the endpoint and its deliveries; answers it as it was. */
    async remove(auth: AuthContext, id: string): Promise<WebhookEndpoint> {
      return db.$transaction(async (tx) => {
        await lockEndpoints(tx, auth);
        const current = await find(tx, auth, id);
        await tx.webhookEndpoint.delete({ where: { id: current.id } });
        await recordEvent(tx, { ...source(auth), type: "webhook_endpoint.deleted", object: toWebhookEndpointResponse(current) });
        return current;
      });
    },

    /**
     * Sends the endpoint a `webhook_endpoint.test` event (recorded like any event, delivered to this
     * endpoint only, whatever it subscribes to), after the deliveries already queued for it.
     */
    async sendTest(auth: AuthContext, id: string): Promise<DeliveryWithType> {
      return db.$transaction(async (tx) => {
        await lockEndpoints(tx, auth);
        const endpoint = await findEnabled(tx, auth, id);
        const event = await recordUnroutedEvent(tx, { ...source(auth), type: "webhook_endpoint.test", object: toWebhookEndpointResponse(endpoint) });
        const delivery = await tx.webhookDelivery.create({
          data: { id: newId("webhookDelivery"), platformId: auth.platformId, mode: auth.mode, endpointId: endpoint.id, eventId: event.id },
        });
        await enqueue(tx, "deliver-webhooks", { endpointId: endpoint.id }, { jobKey: deliveryJobKey(endpoint.id) });
        return { ...delivery, event: { type: event.type } };
      });
    },

    /**
     * Sends a delivery that succeeded or failed again: it is pending once more, ahead of later ones,
     * with its attempts counted from 0 and 3 days of retries from now.
     */
    async resend(auth: AuthContext, id: string, deliveryId: string): Promise<DeliveryWithType> {
      return db.$transaction(async (tx) => {
        await lockEndpoints(tx, auth);
        const endpoint = await findEnabled(tx, auth, id);
        const delivery = await tx.webhookDelivery.findFirst({ where: { id: deliveryId, endpointId: endpoint.id } });
        if (!delivery) throw new NotFoundError("webhook delivery", deliveryId, "delivery_id");
        if (delivery.status === "pending") {
          throw new ConflictError("delivery_pending", `${delivery.id} is still pending: it is being sent, or waits for its next attempt.`, "delivery_id");
        }
        const resent = await tx.webhookDelivery.update({
          where: { id: delivery.id },
          data: { status: "pending", attempts: 0, nextAttempt: null, delivered: null, resent: clock.now() },
        });
        await enqueue(tx, "deliver-webhooks", { endpointId: endpoint.id }, { jobKey: deliveryJobKey(endpoint.id) });
        return withEventTypes(tx, [resent]).then(([d]) => d!);
      });
    },

    /**
     * A new signing secret, answered once. The old one keeps signing beside it (two `v1=` in
     * `Candle-Signature`) for `expires_in` seconds, so receivers can switch without losing a
     * delivery; 0 drops it at once. Rotating again during an overlap drops the oldest secret.
     */
    async rotateSecret(auth: AuthContext, id: string, input: RotateSecretInput): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
      const overlap = input.expires_in ?? DEFAULT_SECRET_OVERLAP_SECONDS;
      const secret = generateWebhookSecret();
      const endpoint = await db.$transaction(async (tx) => {
        await lockEndpoints(tx, auth);
        const current = await find(tx, auth, id);
        const updated = await tx.webhookEndpoint.update({
          where: { id: current.id },
          data: {
            secret,
            previousSecret: overlap > 0 ? current.secret : null,
            previousSecretExpires: overlap > 0 ? new Date(clock.now().getTime() + overlap * 1000) : null,
          },
        });
        await recordEvent(tx, { ...source(auth), type: "webhook_endpoint.updated", object: toWebhookEndpointResponse(updated) });
        return updated;
      });
      return { endpoint, secret };
    },

    /** Newest first. */
    async deliveries(auth: AuthContext, id: string, query: ListDeliveriesQuery): Promise<Page<WebhookDelivery & { event: Pick<Event, "type"> }>> {
      const endpoint = await find(db, auth, id);
      const where: Prisma.WebhookDeliveryWhereInput = {
        endpointId: endpoint.id,
        ...(query["filter[status]"] ? { status: { in: query["filter[status]"] } } : {}),
        ...(query["filter[event_id]"] ? { eventId: { in: query["filter[event_id]"] } } : {}),
      };
      const [total, rows] = await db.$transaction([
        db.webhookDelivery.count({ where }),
        db.webhookDelivery.findMany({ where, orderBy: { seq: "desc" }, ...pageWindow(query.page, query.per_page) }),
      ]);
      const data = await withEventTypes(db, rows);
      return { data, meta: pageMeta(total, query.page, query.per_page, data.length) };
    },
  };
}

export type WebhooksService = ReturnType<typeof createWebhooksService>;
