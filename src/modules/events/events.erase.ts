import type { Tx } from "../../db/tenant.js";
import type { Tenant } from "../../db/tenant.js";
import { EVENT_TYPE_LIST, EVENT_TYPES, type EventObjectType } from "./event-types.js";

/*
 * Erasure's part in the events feed: the feed keeps no copy of an erased person. Each module says
 * which of its objects' fields describe the person; these write the events table for it.
 */

/** Every event of one object now carries `data` (the object as erasure left it). */
export async function replaceEventData(tx: Tx, objectId: string, data: object): Promise<void> {
  await tx.event.updateMany({ where: { objectId }, data: { data } });
}

/** The events of these objects get `fields` overwritten (e.g. `{ email: null }`). */
export async function scrubEventsOf(tx: Tx, objectIds: readonly string[], fields: Readonly<Record<string, unknown>>): Promise<void> {
  if (objectIds.length === 0) return;
  await tx.$executeRaw`
    UPDATE events SET data = (data::jsonb || ${JSON.stringify(fields)}::jsonb)::json
    WHERE object_id = ANY(${[...objectIds]}::text[])`;
}

/** The events of one user's objects of one type (each names its `user_id`) get `fields` overwritten. */
export async function scrubEventsOfUserObjects(tx: Tx, tenant: Tenant, userId: string, objectType: EventObjectType, fields: Readonly<Record<string, unknown>>): Promise<void> {
  const types = EVENT_TYPES.filter((type) => EVENT_TYPE_LIST[type].object === objectType);
  await tx.$executeRaw`
    UPDATE events SET data = (data::jsonb || ${JSON.stringify(fields)}::jsonb)::json
    WHERE platform_id = ${tenant.platformId} AND mode = ${tenant.mode}::"Mode" AND type = ANY(${types}::text[])
      AND data->>'user_id' = ${userId}`;
}
