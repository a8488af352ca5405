import { randomUUID } from "node:crypto";
import type { WebhookSender } from "../../adapters/webhooks/http-sender.js";
import type { Db } from "../../db/client.js";
import type { Event, WebhookDelivery } from "../../generated/prisma/client.js";
import { enqueue } from "../../jobs/queue.js";
import type { Clock } from "../../lib/time.js";
import { deliveryJobKey, eventById, toEventResponse } from "../events/index.js";
import { signatureHeader } from "./signature.js";

/**
 * Sending webhook deliveries: the `deliver-webhooks` job (one endpoint at a time) and the
 * `sweep-webhooks` cron.
 *
 * Order. Each endpoint's deliveries go out one at a time in `seq` order (the order their events
 * committed, see recordEvent), and a delivery waiting for a retry holds back every later one: a
 * receiver never gets event B before event A. Only when A is given up (`failed`) does B go.
 *
 * Why not one graphile-worker job per delivery in a queue per endpoint: a failed job's retry gets a
 * future `run_at`, and a named queue only serialises jobs that are due, so B would overtake A's
 * retry; and graphile-worker's own backoff (exp(min(attempts, 10)) s) cannot stretch over three days.
 * So one job per endpoint drains its deliveries and schedules itself: after a failure, for the head
 * delivery's `nextAttempt`. Its job key (`deliver-webhooks:<endpoint>`) keeps at most one waiting
 * job per endpoint.
 *
 * One runner per endpoint. A lease on the endpoint row (`delivery_lease_until`, a token) — not the
 * job queue's lock — says who is sending: a worker killed mid-send leaves graphile-worker's lock
 * on its job for 4 hours, but its lease ends after `timeout + 30 s`, and the sweep (every minute)
 * then queues a new run for every endpoint whose head delivery is due and whose lease is free.
 *
 * Restarts. Deliveries and their first job commit with the event; the rows, not the jobs, are the
 * truth (the sweep rebuilds any missing job). A send interrupted by a shutdown is retried at once
 * by the next worker. A delivery that got a 2xx is marked `succeeded` and never sent again; one
 * whose answer was lost (timeout, crash between the answer and the write) is sent again: delivery
 * is at least once, and receivers dedupe on `Candle-Event-Id`.
 *
 * Retries. After the n-th failed attempt the next one waits `WEBHOOK_RETRY_BASE × 2^(n-1)` seconds
 * (capped at 6 hours); a delivery not delivered within 3 days of its event is `failed`.
 */
export const RETRY_WINDOW_MS = 3 * 86_400_000;
export const MAX_RETRY_DELAY_MS = 6 * 3_600_000;
/** Deliveries one run sends before it yields its worker slot (and queues its own continuation). */
const BATCH_SIZE = 50;
const LEASE_MARGIN_MS = 30_000;

/** The endpoint's secret, and the one before it while a rotation's overlap lasts. */
function signingSecrets(endpoint: LeasedEndpoint, now: Date): string[] {
  const overlap = endpoint.previous_secret && endpoint.previous_secret_expires && endpoint.previous_secret_expires > now;
  return overlap ? [endpoint.secret, endpoint.previous_secret!] : [endpoint.secret];
}

export function retryDelayMs(failedAttempts: number, baseSeconds: number): number {
  return Math.min(baseSeconds * 1000 * 2 ** Math.min(Math.max(failedAttempts - 1, 0), 30), MAX_RETRY_DELAY_MS);
}

interface LeasedEndpoint {
  id: string;
  url: string;
  secret: string;
  previous_secret: string | null;
  previous_secret_expires: Date | null;
  is_enabled: boolean;
}

type PendingDelivery = WebhookDelivery & { event: Event };

export function createDeliveryService(deps: { db: Db; clock: Clock; send: WebhookSender; retryBaseSeconds: number; timeoutMs: number }) {
  const { db, clock, send } = deps;
  const leaseMs = deps.timeoutMs + LEASE_MARGIN_MS;
  // A delivery resent on request gets its 3 days again from the resend.
  const deadline = (d: WebhookDelivery) => (d.resent ?? d.created).getTime() + RETRY_WINDOW_MS;

  async function acquire(endpointId: string, token: string): Promise<LeasedEndpoint | null> {
    const now = clock.now();
    const [row] = await db.$queryRaw<LeasedEndpoint[]>`
      UPDATE webhook_endpoints SET delivery_lease_until = ${new Date(now.getTime() + leaseMs)}, delivery_lease_token = ${token}
      WHERE id = ${endpointId} AND (delivery_lease_until IS NULL OR delivery_lease_until < ${now})
      RETURNING id, url, secret, previous_secret, previous_secret_expires, is_enabled`;
    return row ?? null;
  }

  /** Extends the lease before each send, and reads the endpoint afresh (its URL may have changed). */
  async function renew(endpointId: string, token: string): Promise<LeasedEndpoint | null> {
    const [row] = await db.$queryRaw<LeasedEndpoint[]>`
      UPDATE webhook_endpoints SET delivery_lease_until = ${new Date(clock.now().getTime() + leaseMs)}
      WHERE id = ${endpointId} AND delivery_lease_token = ${token}
      RETURNING id, url, secret, previous_secret, previous_secret_expires, is_enabled`;
    return row ?? null;
  }

  async function release(endpointId: string, token: string): Promise<void> {
    await db.$executeRaw`
      UPDATE webhook_endpoints SET delivery_lease_until = NULL, delivery_lease_token = NULL
      WHERE id = ${endpointId} AND delivery_lease_token = ${token}`;
  }

  function schedule(endpointId: string, runAt: Date, jobKeyMode: "replace" | "preserve_run_at" = "replace"): Promise<void> {
    return enqueue(db, "deliver-webhooks", { endpointId }, { jobKey: deliveryJobKey(endpointId), jobKeyMode, runAt });
  }

  async function head(endpointId: string): Promise<PendingDelivery | null> {
    const delivery = await db.webhookDelivery.findFirst({ where: { endpointId, status: "pending" }, orderBy: { seq: "asc" } });
    // The event goes with its deliveries (they cascade), so it is there: the events module reads it.
    const event = delivery && (await eventById(db, delivery.eventId));
    return delivery && event ? { ...delivery, event } : null;
  }

  async function headIsDue(endpointId: string): Promise<boolean> {
    const [row] = await db.$queryRaw<{ due: boolean }[]>`
      SELECT (d.next_attempt IS NULL OR d.next_attempt <= ${clock.now()}) AS due
      FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
      WHERE d.endpoint_id = ${endpointId} AND d.status = 'pending' AND e.is_enabled
      ORDER BY d.seq LIMIT 1`;
    return row?.due ?? false;
  }

  /** One attempt; true when the endpoint may go on with its next delivery (this one is settled). */
  async function attempt(endpoint: LeasedEndpoint, delivery: PendingDelivery, signal?: AbortSignal): Promise<boolean> {
    const started = clock.now();
    await db.webhookDelivery.update({ where: { id: delivery.id }, data: { attempts: { increment: 1 }, lastAttempt: started } });
    const body = JSON.stringify(toEventResponse(delivery.event));
    const outcome = await send({
      url: endpoint.url,
      body,
      headers: {
        "candle-signature": signatureHeader(signingSecrets(endpoint, started), Math.floor(started.getTime() / 1000), body),
        "candle-event-id": delivery.eventId,
        "candle-event-type": delivery.event.type,
        "candle-delivery-id": delivery.id,
      },
      signal,
    });
    const finished = clock.now();
    const answer =
      "status" in outcome ? { responseStatus: outcome.status, responseBody: outcome.body, error: null } : { responseStatus: null, responseBody: null, error: outcome.error };

    if ("status" in outcome && outcome.status >= 200 && outcome.status < 300) {
      await db.webhookDelivery.updateMany({ where: { id: delivery.id, status: "pending" }, data: { ...answer, status: "succeeded", delivered: finished, nextAttempt: null } });
      return true;
    }
    const interrupted = "error" in outcome && outcome.interrupted;
    const retryAt = interrupted ? finished : new Date(finished.getTime() + retryDelayMs(delivery.attempts + 1, deps.retryBaseSeconds));
    const giveUp = !interrupted && retryAt.getTime() > deadline(delivery);
    await db.webhookDelivery.updateMany({
      where: { id: delivery.id, status: "pending" },
      data: { ...answer, status: giveUp ? "failed" : "pending", nextAttempt: giveUp ? null : retryAt },
    });
    if (!giveUp) await schedule(endpoint.id, retryAt);
    return giveUp;
  }

  return {
    /** The `deliver-webhooks` job: sends the endpoint's due deliveries, oldest first. */
    async flush(endpointId: string, signal?: AbortSignal): Promise<void> {
      const token = randomUUID();
      let endpoint = await acquire(endpointId, token);
      if (!endpoint) {
        // Another run is sending (or died holding the lease): look again when the lease ends.
        const held = await db.webhookEndpoint.findUnique({ where: { id: endpointId }, select: { deliveryLeaseUntil: true } });
        if (held?.deliveryLeaseUntil) await schedule(endpointId, new Date(held.deliveryLeaseUntil.getTime() + 1000), "preserve_run_at");
        return;
      }
      try {
        let sent = 0;
        while (endpoint?.is_enabled && !signal?.aborted) {
          const delivery = await head(endpointId);
          if (!delivery) break;
          const now = clock.now();
          if (delivery.nextAttempt && delivery.nextAttempt > now) {
            await schedule(endpointId, delivery.nextAttempt);
            break;
          }
          if (now.getTime() > deadline(delivery)) {
            // Held back for 3 days (a disabled endpoint, or a failing delivery ahead of it).
            await db.webhookDelivery.updateMany({
              where: { id: delivery.id, status: "pending" },
              data: { status: "failed", nextAttempt: null, error: delivery.error ?? "not delivered within 3 days of the event" },
            });
            continue;
          }
          if (sent === BATCH_SIZE) {
            await schedule(endpointId, now);
            break;
          }
          endpoint = await renew(endpointId, token);
          if (!endpoint?.is_enabled) break;
          sent += 1;
          if (!(await attempt(endpoint, delivery, signal))) break;
        }
      } finally {
        await release(endpointId, token);
      }
      // A delivery committed while this run was finishing found the lease taken and left it to us.
      if (await headIsDue(endpointId)) await schedule(endpointId, clock.now());
    },

    /**
     * The `sweep-webhooks` cron: queues a run for every enabled endpoint whose oldest pending delivery
     * is due and whose lease is free — runs lost with a killed worker, or jobs lost in any other way.
     */
    async sweep(): Promise<number> {
      const now = clock.now();
      const due = await db.$queryRaw<{ id: string }[]>`
        SELECT e.id FROM webhook_endpoints e
        JOIN LATERAL (
          SELECT d.next_attempt FROM webhook_deliveries d
          WHERE d.endpoint_id = e.id AND d.status = 'pending'
          ORDER BY d.seq LIMIT 1
        ) head ON TRUE
        WHERE e.is_enabled
          AND (e.delivery_lease_until IS NULL OR e.delivery_lease_until < ${now})
          AND (head.next_attempt IS NULL OR head.next_attempt <= ${now})`;
      for (const { id } of due) await schedule(id, now);
      return due.length;
    },
  };
}

export type DeliveryService = ReturnType<typeof createDeliveryService>;
