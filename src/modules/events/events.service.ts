import { type Db, Prisma } from "../../db/client.js";
import type { Event } from "../../generated/prisma/client.js";
import { enqueue } from "../../jobs/queue.js";
import { NotFoundError, ValidationError } from "../../lib/errors.js";
import { newId } from "../../lib/ids.js";
import { pageMeta, pageWindow, type Page } from "../../lib/pagination.js";
import { toApiDate } from "../../lib/time.js";
import { EVENT_TYPE_LIST, WILDCARD_EVENT, type EventType } from "./event-types.js";
import type { ListEventsQuery } from "./events.schemas.js";
import type { Tenant } from "../../db/tenant.js";

export type { Tenant };

/** Where a change happened: the tenant, and the API request that made it (none for jobs). */
export interface EventSource extends Tenant {
  requestId?: string | null;
}

/** An object as the API renders it. */
export type EventObject = { id: string } & Record<string, unknown>;

export interface RecordEventInput extends EventSource {
  type: EventType;
  object: EventObject;
}

/**
 * Work another module does with an event, in its transaction, before it is recorded (the
 * notifications module emails the people an order, a payout or a refund concerns). A listener
 * should decide from `input.type` at once, and only read and queue jobs.
 */
export type EventListener = (tx: Prisma.TransactionClient, input: RecordEventInput) => Promise<void>;
const listeners = new Set<EventListener>();

/** Adds a listener of every event recorded (once per function, however often it is added). */
export function listenToEvents(listener: EventListener): void {
  listeners.add(listener);
}

/** The job that sends an endpoint's pending deliveries; one per endpoint at a time (its key). */
export const deliveryJobKey = (endpointId: string) => `deliver-webhooks:${endpointId}`;

/**
 * Records an event inside the caller's transaction, with the webhook deliveries it causes and the
 * jobs that send them: all of it exists exactly when the change commits.
 *
 * Call it last in the transaction, once the change is written, with the object rendered as the API
 * answers it after the change. Ordering: the subscribed endpoints' rows are locked (in id order)
 * before the deliveries are inserted, so two transactions that both feed an endpoint take their
 * delivery `seq` in the order they commit — the delivery job sends each endpoint's deliveries in
 * `seq` order. The lock is only taken on platforms that have subscribed endpoints, and is held only
 * from here to the commit.
 */
export async function recordEvent(tx: Prisma.TransactionClient, input: RecordEventInput): Promise<{ id: string }> {
  for (const listener of listeners) await listener(tx, input);
  const id = newId("event");
  // Plain SQL: every write of the API records an event, and the query builder's create cost a Wasm
  // compilation of the whole object on each one (bench/RESULTS.md, add-to-cart). The insert and the
  // subscribed endpoints' locks are one statement: one round trip per write less.
  const endpoints = await tx.$queryRaw<{ id: string }[]>`
    WITH event AS (
      INSERT INTO events (id, platform_id, mode, type, object_id, object_type, data, request_id)
      VALUES (${id}, ${input.platformId}, ${input.mode}::"Mode", ${input.type}, ${input.object.id}, ${EVENT_TYPE_LIST[input.type].object},
              ${JSON.stringify(input.object)}::json, ${input.requestId ?? null})
    )
    SELECT id FROM webhook_endpoints
    WHERE platform_id = ${input.platformId} AND mode = ${input.mode}::"Mode" AND is_enabled
      AND events && ARRAY[${input.type}, ${WILDCARD_EVENT}]::text[]
    ORDER BY id
    FOR UPDATE`;
  if (endpoints.length > 0) {
    await tx.webhookDelivery.createMany({
      data: endpoints.map((endpoint) => ({ id: newId("webhookDelivery"), platformId: input.platformId, mode: input.mode, endpointId: endpoint.id, eventId: id })),
    });
    for (const endpoint of endpoints) {
      await enqueue(tx, "deliver-webhooks", { endpointId: endpoint.id }, { jobKey: deliveryJobKey(endpoint.id) });
    }
  }
  return { id };
}

/**
 * Records several events in order, for a transaction that changes several objects: collect them
 * as the changes are written, and record them together once the writes are done (`recordEvent`'s
 * rule — last in the transaction — so its endpoint locks are never held while other rows are
 * locked).
 */
export async function recordEvents(tx: Prisma.TransactionClient, inputs: readonly RecordEventInput[]): Promise<void> {
  for (const input of inputs) await recordEvent(tx, input);
}

/**
 * Records an event that goes to no subscribed endpoint (the webhooks module's test event, delivered
 * to one endpoint by it), inside the caller's transaction.
 */
export async function recordUnroutedEvent(tx: Prisma.TransactionClient, input: RecordEventInput): Promise<Event> {
  return tx.event.create({
    data: {
      id: newId("event"),
      platformId: input.platformId,
      mode: input.mode,
      type: input.type,
      objectId: input.object.id,
      objectType: EVENT_TYPE_LIST[input.type].object,
      data: input.object as Prisma.InputJsonValue,
      requestId: input.requestId ?? null,
    },
  });
}

/** The event a webhook delivery sends; null when it was pruned. */
export function eventById(client: Db | Prisma.TransactionClient, id: string): Promise<Event | null> {
  return client.event.findUnique({ where: { id } });
}

/** The types of these events, by id (a webhook delivery's `eventType`). */
export async function eventTypesOf(client: Db | Prisma.TransactionClient, ids: readonly string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = await client.event.findMany({ where: { id: { in: [...new Set(ids)] } }, select: { id: true, type: true } });
  return new Map(rows.map((e) => [e.id, e.type]));
}

/** The event as `GET /v1/events/:id` answers it — and as webhook deliveries post it. */
export function toEventResponse(e: Event) {
  return {
    id: e.id,
    platform_id: e.platformId,
    mode: e.mode,
    type: e.type,
    object_type: e.objectType,
    object_id: e.objectId,
    data: { object: e.data as Record<string, unknown> },
    request_id: e.requestId,
    created: toApiDate(e.created),
  };
}

/**
 * Deletes the events recorded before `before` (their webhook deliveries go with them), a batch at a
 * time so no transaction holds many rows; answers how many.
 */
export async function pruneEvents(db: Db, before: Date, batchSize = 1000): Promise<number> {
  let total = 0;
  for (;;) {
    const deleted = await db.$executeRaw`
      DELETE FROM events WHERE id IN (SELECT id FROM events WHERE created < ${before} ORDER BY created LIMIT ${batchSize})`;
    total += deleted;
    if (deleted < batchSize) return total;
  }
}

/**
 * The horizon of cursor pages: the lowest transaction still running in this database, or the next
 * transaction id if none. Transactions of other databases on the same server are left out (their
 * ids are known from the lock each holds on its own id and the database of the session holding it),
 * so a long transaction elsewhere does not hold this feed back; a transaction whose database cannot
 * be told counts, which only delays a page. pg_locks and pg_stat_activity are read after the
 * snapshot, so a transaction that finished in between merely counts too.
 */
const HORIZON = Prisma.sql`
  WITH snap AS (SELECT pg_current_snapshot() AS s),
  elsewhere AS (
    SELECT l.transactionid::text::bigint AS xid
    FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
    WHERE l.locktype = 'transactionid' AND l.mode = 'ExclusiveLock' AND l.granted
      AND a.datid IS NOT NULL AND a.datid <> (SELECT oid FROM pg_database WHERE datname = current_database())
  )
  SELECT COALESCE(
    (SELECT min(x::text::bigint) FROM snap, pg_snapshot_xip(snap.s) AS x WHERE x::text::bigint % 4294967296 NOT IN (SELECT xid FROM elsewhere)),
    (SELECT pg_snapshot_xmax(s)::text::bigint FROM snap)
  ) AS horizon`;

export function createEventsService(deps: { db: Db }) {
  const { db } = deps;

  return {
    /** Newest first. */
    async list(tenant: Tenant, query: ListEventsQuery): Promise<Page<Event>> {
      const where: Prisma.EventWhereInput = {
        platformId: tenant.platformId,
        mode: tenant.mode,
        ...(query["filter[type]"] ? { type: { in: query["filter[type]"] } } : {}),
        ...(query["filter[object_id]"] ? { objectId: { in: query["filter[object_id]"] } } : {}),
        ...(query.since ? { created: { gte: query.since } } : {}),
      };
      const [total, data] = await db.$transaction([
        db.event.count({ where }),
        db.event.findMany({ where, orderBy: [{ created: "desc" }, { id: "desc" }], ...pageWindow(query.page, query.per_page) }),
      ]);
      return { data, meta: pageMeta(total, query.page, query.per_page, data.length) };
    },

    /**
     * Cursor paging, newest first, so that polling with `ending_before=<newest id seen>` never skips
     * nor repeats an event. Events are ordered by the id of the transaction that recorded them, then
     * by their order within it; and only events of transactions below the snapshot's horizon
     * (every transaction of this database with a lower id has finished: see HORIZON) are shown. An event that
     * commits later therefore always sorts above every event already shown: ids (UUIDv7) and
     * `created` are taken before the commit, so a slow transaction could otherwise commit an event
     * below the newest one a poller has seen. The price: an event shows up here only once every
     * transaction that started before its own has finished (offset pages show it at once).
     */
    async page(tenant: Tenant, query: ListEventsQuery): Promise<{ data: Event[]; has_more: boolean }> {
      if (query.starting_after && query.ending_before) {
        throw new ValidationError("cursor_conflict", "Send `starting_after` or `ending_before`, not both.", "ending_before");
      }
      const limit = query.limit ?? 10;
      const cursorId = query.starting_after ?? query.ending_before;
      const newer = query.ending_before !== undefined;
      let after: Prisma.EventWhereInput = {};
      if (cursorId) {
        const at = await db.event.findFirst({ where: { id: cursorId, platformId: tenant.platformId, mode: tenant.mode }, select: { txId: true, seq: true } });
        if (!at) throw new ValidationError("resource_missing", `No such event: '${cursorId}'.`, newer ? "ending_before" : "starting_after");
        after = newer ? { OR: [{ txId: { gt: at.txId } }, { txId: at.txId, seq: { gt: at.seq } }] } : { OR: [{ txId: { lt: at.txId } }, { txId: at.txId, seq: { lt: at.seq } }] };
      }
      const [snapshot] = await db.$queryRaw<{ horizon: bigint }[]>(HORIZON);
      const horizon = snapshot!.horizon;
      const where: Prisma.EventWhereInput = {
        platformId: tenant.platformId,
        mode: tenant.mode,
        txId: { lt: horizon },
        ...(query["filter[type]"] ? { type: { in: query["filter[type]"] } } : {}),
        ...(query["filter[object_id]"] ? { objectId: { in: query["filter[object_id]"] } } : {}),
        ...(query.since ? { created: { gte: query.since } } : {}),
        AND: [after],
      };
      // ending_before: the events just above the cursor, then shown newest first like every page.
      const direction = newer ? "asc" : "desc";
      const rows = await db.event.findMany({ where, orderBy: [{ txId: direction }, { seq: direction }], take: limit + 1 });
      const data = rows.slice(0, limit);
      return { data: newer ? data.reverse() : data, has_more: rows.length > limit };
    },

    async retrieve(tenant: Tenant, id: string): Promise<Event> {
      const event = await db.event.findFirst({ where: { id, platformId: tenant.platformId, mode: tenant.mode } });
      if (!event) throw new NotFoundError("event", id, "id");
      return event;
    },
  };
}

export type EventsService = ReturnType<typeof createEventsService>;
