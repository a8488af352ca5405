import type { Db } from "../../db/client.js";
import { Prisma } from "../../db/client.js";
import type { Platform } from "../../generated/prisma/client.js";
import type { Mode } from "../../generated/prisma/enums.js";
import { enqueue } from "../../jobs/queue.js";
import { NotFoundError } from "../../lib/errors.js";
import { newId } from "../../lib/ids.js";
import { pageMeta, parseSort, type Page } from "../../lib/pagination.js";
import { toApiDate, type Clock } from "../../lib/time.js";
import { waitlistGrantedEmail } from "./waitlists.emails.js";
import { type EventType, recordEvent } from "../events/index.js";
import type { ListWaitlistQuery } from "./waitlists.schemas.js";
import type { Tenant } from "../../db/tenant.js";

export type { Tenant };

interface EntryRow {
  id: string;
  platform_id: string;
  email: string;
  name: string | null;
  granted: Date | null;
  created: Date;
  position: bigint;
}

export type WaitlistEntryView = Omit<EntryRow, "position"> & { position: number };

export function toWaitlistEntryResponse(e: WaitlistEntryView) {
  return { id: e.id, platform_id: e.platform_id, email: e.email, name: e.name, position: e.position, granted: toApiDate(e.granted), created: toApiDate(e.created) };
}

const toView = (row: EntryRow): WaitlistEntryView => ({ ...row, position: Number(row.position) });

export function createWaitlistsService(deps: { db: Db; clock: Clock }) {
  const { db, clock } = deps;

  async function ranked(
    tenant: Tenant,
    filter: Prisma.Sql,
    order: Prisma.Sql,
    limit: number,
    offset: number,
    client: Db | Prisma.TransactionClient = db,
  ): Promise<WaitlistEntryView[]> {
    const rows = await client.$queryRaw<EntryRow[]>`
      SELECT * FROM (
        SELECT id, platform_id, email, name, granted, created, seq,
               row_number() OVER (ORDER BY seq) AS position
        FROM waitlist_entries
        WHERE platform_id = ${tenant.platformId} AND mode = ${tenant.mode}::"Mode"
      ) ranked
      WHERE ${filter}
      ORDER BY ${order}
      LIMIT ${limit} OFFSET ${offset}`;
    return rows.map(toView);
  }

  async function one(tenant: Tenant, id: string, client: Db | Prisma.TransactionClient = db): Promise<WaitlistEntryView> {
    const [entry] = await ranked(tenant, Prisma.sql`id = ${id}`, Prisma.sql`seq`, 1, 0, client);
    if (!entry) throw new NotFoundError("waitlist entry", id, "id");
    return entry;
  }

  async function recordChange(tx: Prisma.TransactionClient, tenant: Tenant, type: EventType, entry: WaitlistEntryView): Promise<void> {
    await recordEvent(tx, { platformId: tenant.platformId, mode: tenant.mode, requestId: tenant.requestId, type, object: toWaitlistEntryResponse(entry) });
  }

  return {
    /** Joining twice with one email keeps the first place (and answers `created: false`). */
    async join(platform: Platform, input: { email: string; name?: string }, requestId?: string): Promise<{ entry: WaitlistEntryView; created: boolean }> {
      const tenant = { platformId: platform.id, mode: platform.mode, requestId };
      const id = newId("waitlist");
      const inserted = await db.$transaction(async (tx) => {
        const { count } = await tx.waitlistEntry.createMany({
          data: [{ id, platformId: platform.id, mode: platform.mode, email: input.email, name: input.name ?? null }],
          skipDuplicates: true,
        });
        // The event's `position` is the one this transaction sees; joins committing at the same
        // moment are not counted yet (positions move anyway as people join and leave). Joins are not
        // serialised to make it exact: a launch-day rush must not queue on one lock.
        if (count === 1) await recordChange(tx, tenant, "waitlist_entry.created", await one(tenant, id, tx));
        return count === 1;
      });
      if (inserted) return { entry: await one(tenant, id), created: true };
      const existing = await db.waitlistEntry.findUniqueOrThrow({ where: { platformId_email: { platformId: platform.id, email: input.email } }, select: { id: true } });
      return { entry: await one(tenant, existing.id), created: false };
    },

    async list(tenant: Tenant, query: ListWaitlistQuery): Promise<Page<WaitlistEntryView>> {
      const conditions: Prisma.Sql[] = [Prisma.sql`TRUE`];
      if (query.search) {
        const pattern = `%${query.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
        conditions.push(Prisma.sql`(email ILIKE ${pattern} OR name ILIKE ${pattern})`);
      }
      if (query["filter[granted]"] === "true") conditions.push(Prisma.sql`granted IS NOT NULL`);
      if (query["filter[granted]"] === "false") conditions.push(Prisma.sql`granted IS NULL`);
      const filter = Prisma.join(conditions, " AND ");
      const { field, direction } = parseSort<"position" | "created">(query.sort);
      const dir = direction === "asc" ? Prisma.sql`ASC` : Prisma.sql`DESC`;
      const order = field === "created" ? Prisma.sql`created ${dir}, seq ${dir}` : Prisma.sql`seq ${dir}`;
      const [data, [{ total }]] = await Promise.all([
        ranked(tenant, filter, order, query.per_page, (query.page - 1) * query.per_page),
        db.$queryRaw<[{ total: bigint }]>`
          SELECT count(*) AS total FROM waitlist_entries
          WHERE platform_id = ${tenant.platformId} AND mode = ${tenant.mode}::"Mode" AND ${filter}`,
      ]);
      return { data, meta: pageMeta(Number(total), query.page, query.per_page, data.length) };
    },

    async count(tenant: Tenant): Promise<{ count: number; waiting: number; granted: number }> {
      const [count, granted] = await Promise.all([
        db.waitlistEntry.count({ where: { platformId: tenant.platformId, mode: tenant.mode } }),
        db.waitlistEntry.count({ where: { platformId: tenant.platformId, mode: tenant.mode, granted: { not: null } } }),
      ]);
      return { count, waiting: count - granted, granted };
    },

    /** Grants access and emails the person — once: granting again changes nothing and sends nothing. */
    async grant(platform: Platform, id: string, requestId?: string): Promise<WaitlistEntryView> {
      const tenant = { platformId: platform.id, mode: platform.mode, requestId };
      return db.$transaction(async (tx) => {
        const entry = await tx.waitlistEntry.findFirst({ where: { id, platformId: platform.id, mode: platform.mode } });
        if (!entry) throw new NotFoundError("waitlist entry", id, "id");
        const updated = await tx.waitlistEntry.updateMany({ where: { id, granted: null }, data: { granted: clock.now() } });
        const view = await one(tenant, id, tx);
        if (updated.count === 1) {
          await enqueue(tx, "send-email", waitlistGrantedEmail(entry.email, platform.name, platform.url));
          await recordChange(tx, tenant, "waitlist_entry.granted", view);
        }
        return view;
      });
    },

    /** Removes the entry; everyone after it moves up one place. Answers the entry as it was. */
    async remove(tenant: Tenant, id: string): Promise<WaitlistEntryView> {
      return db.$transaction(async (tx) => {
        const entry = await one(tenant, id, tx);
        const { count } = await tx.waitlistEntry.deleteMany({ where: { id, platformId: tenant.platformId, mode: tenant.mode } });
        if (count === 0) throw new NotFoundError("waitlist entry", id, "id");
        await recordChange(tx, tenant, "waitlist_entry.removed", entry);
        return entry;
      });
    },
  };
}

export type WaitlistsService = ReturnType<typeof createWaitlistsService>;
