import type { Event, WebhookDelivery, WebhookEndpoint } from "../../generated/prisma/client.js";
import { randomBase62 } from "../../lib/crypto.js";
import { toApiDate } from "../../lib/time.js";

/** Endpoints and deliveries as the API answers them, their limits and secrets: no database here. */

/** How long the old secret keeps signing after a rotation, unless the request says otherwise. */
export const DEFAULT_SECRET_OVERLAP_SECONDS = 24 * 3600;

export type DeliveryWithType = WebhookDelivery & { event: Pick<Event, "type"> };

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
