import { assertPublicHost, NonPublicAddressError, type HostResolver } from "../../adapters/webhooks/public-address.js";
import type { Db, Prisma } from "../../db/client.js";
import type { Event, WebhookDelivery, WebhookEndpoint } from "../../generated/prisma/client.js";
import { enqueue } from "../../jobs/queue.js";
import { randomBase62 } from "../../lib/crypto.js";
import { NotFoundError, UnprocessableError, ValidationError } from "../../lib/errors.js";
import { newId } from "../../lib/ids.js";
import { pageMeta, pageWindow, type Page } from "../../lib/pagination.js";
import { toApiDate } from "../../lib/time.js";
import type { AuthContext } from "../../plugins/auth.js";
import { deliveryJobKey, recordEvent } from "../events/index.js";
import type { CreateWebhookInput, ListDeliveriesQuery, UpdateWebhookInput } from "./webhooks.schemas.js";

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

export function createWebhooksService(deps: { db: Db; allowPrivate: boolean; resolve: HostResolver }) {
  const { db } = deps;

  /** Registration-time check of the URL's host; delivery checks it again when it connects. */
  async function assertDeliverable(url: string): Promise<void> {
    if (deps.allowPrivate) return;
    try {
      await assertPublicHost(new URL(url), deps.resolve);
    } catch (err) {
      if (err instanceof NonPublicAddressError) {
        throw new ValidationError(`Webhook URLs must reach the public internet: ${err.message}.`, "url", "url_not_public");
      }
      throw err;
    }
  }

  async function find(tx: Db | Prisma.TransactionClient, auth: AuthContext, id: string): Promise<WebhookEndpoint> {
    const endpoint = await tx.webhookEndpoint.findFirst({ where: { id, platformId: auth.platformId, mode: auth.mode } });
    if (!endpoint) throw new NotFoundError("webhook endpoint", id, "id");
    return endpoint;
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

    /** Newest first. */
    async deliveries(auth: AuthContext, id: string, query: ListDeliveriesQuery): Promise<Page<WebhookDelivery & { event: Pick<Event, "type"> }>> {
      const endpoint = await find(db, auth, id);
      const where: Prisma.WebhookDeliveryWhereInput = {
        endpointId: endpoint.id,
        ...(query["filter[status]"] ? { status: { in: query["filter[status]"] } } : {}),
        ...(query["filter[event_id]"] ? { eventId: { in: query["filter[event_id]"] } } : {}),
      };
      const [total, data] = await db.$transaction([
        db.webhookDelivery.count({ where }),
        db.webhookDelivery.findMany({ where, include: { event: { select: { type: true } } }, orderBy: { seq: "desc" }, ...pageWindow(query.page, query.per_page) }),
      ]);
      return { data, meta: pageMeta(total, query.page, query.per_page, data.length) };
    },
  };
}

export type WebhooksService = ReturnType<typeof createWebhooksService>;
