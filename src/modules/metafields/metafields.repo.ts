import { Prisma } from "../../db/client.js";
import type { Tenant, Tx } from "../../db/tenant.js";
import { UnprocessableError } from "../../lib/errors.js";
import { newId } from "../../lib/ids.js";
import type { Db } from "../../db/client.js";
import { MAX_METAFIELDS, type MetafieldFilter, type MetafieldInput, type MetafieldResponse } from "./metafields.schemas.js";

/** What a metafield hangs on: one of three, each its own column (and cascade) in `metafields`. */
export type MetafieldOwner = "product" | "contract" | "user";

const OWNER_COLUMN: Record<MetafieldOwner, Prisma.Sql> = {
  product: Prisma.raw("product_id"),
  contract: Prisma.raw("contract_id"),
  user: Prisma.raw("user_id"),
};

const column = (alias: string, owner: MetafieldOwner) => Prisma.raw(`${alias}.${OWNER_COLUMN[owner].text}`);
const apiDate = (expr: string) => Prisma.raw(`to_char(${expr} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')`);

/**
 * The owner's metafields as a JSON array already in the API's shape (by namespace, then key): the
 * subquery the products, contracts and users modules put in the statements that build their objects.
 * `ownerId` is the owner's id column in the outer statement (e.g. `p.id`).
 */
export function metafieldsJsonSql(owner: MetafieldOwner, ownerId: Prisma.Sql): Prisma.Sql {
  return Prisma.sql`coalesce((
    SELECT json_agg(json_build_object('namespace', mf.namespace, 'key', mf.key, 'type', mf.type, 'value', mf.value,
                                      'created', ${apiDate("mf.created")}, 'updated', ${apiDate("mf.updated")}) ORDER BY mf.namespace, mf.key)
    FROM metafields mf WHERE ${column("mf", owner)} = ${ownerId}), '[]'::json)`;
}

/**
 * A facet's counts of one metafield's values over a list's matches: `matches` is a relation of the
 * owners with an `id` column (the list's `m`), probed through the owner's (namespace, key) index.
 * Rows `value` (as the API answers it) and `n`; owners without the metafield are not counted.
 */
export function metafieldValueCountsSql(owner: MetafieldOwner, matches: Prisma.Sql, namespace: string, key: string): Prisma.Sql {
  return Prisma.sql`SELECT mf.value, count(*)::int AS n FROM ${matches} o JOIN metafields mf ON ${column("mf", owner)} = o.id AND mf.namespace = ${namespace} AND mf.key = ${key} GROUP BY mf.value`;
}

/**
 * The conditions of a list's metafield filters on the owner whose id column is `ownerId`: each an
 * EXISTS on the owner's (namespace, key) index. Comparisons read the value as a number or a date only
 * for a metafield of that type (CASE keeps the cast from ever seeing another type's value).
 */
export function metafieldFilterSql(owner: MetafieldOwner, ownerId: Prisma.Sql, filters: readonly MetafieldFilter[]): Prisma.Sql[] {
  return filters.map((f) => {
    const text = Prisma.raw("(mf.value #>> '{}')");
    let condition: Prisma.Sql;
    if (f.op === "eq") {
      const numbers = f.values.filter((v) => /^-?\d+(\.\d+)?$/.test(v)).map(Number);
      condition =
        numbers.length === 0
          ? Prisma.sql`${text} = ANY(${f.values}::text[])`
          : Prisma.sql`(${text} = ANY(${f.values}::text[]) OR (CASE WHEN mf.type = 'number' THEN ${text}::numeric END) = ANY(${numbers}::numeric[]))`;
    } else {
      const op = Prisma.raw({ gt: ">", gte: ">=", lt: "<", lte: "<=" }[f.op]);
      condition =
        f.number !== null
          ? Prisma.sql`(CASE WHEN mf.type = 'number' THEN ${text}::numeric END) ${op} ${f.number}::numeric`
          : Prisma.sql`(CASE WHEN mf.type = 'date' THEN ${text}::timestamptz END) ${op} ${f.date}::timestamptz`;
    }
    return Prisma.sql`EXISTS (SELECT 1 FROM metafields mf WHERE ${column("mf", owner)} = ${ownerId} AND mf.namespace = ${f.namespace} AND mf.key = ${f.key} AND ${condition})`;
  });
}

/** The owner's metafields, as the API answers them. */
export async function listMetafields(client: Db | Tx, owner: MetafieldOwner, ownerId: string): Promise<MetafieldResponse[]> {
  const [row] = await client.$queryRaw<{ list: string }[]>`SELECT ${metafieldsJsonSql(owner, Prisma.sql`${ownerId}`)}::text AS list`;
  return JSON.parse(row?.list ?? "[]") as MetafieldResponse[];
}

/**
 * Sets (or, with a null value, removes) the owner's metafields, in the caller's transaction — after
 * it has locked the owner and checked who may change it. 422 `too_many_metafields` past the limit.
 * Answers whether anything changed.
 */
export async function writeMetafields(tx: Tx, tenant: Tenant, owner: MetafieldOwner, ownerId: string, inputs: readonly MetafieldInput[]): Promise<boolean> {
  let changed = false;
  const col = OWNER_COLUMN[owner];
  for (const m of inputs) {
    if (m.value === null) {
      changed = (await tx.$executeRaw`DELETE FROM metafields WHERE ${col} = ${ownerId} AND namespace = ${m.namespace} AND key = ${m.key}`) > 0 || changed;
      continue;
    }
    const value = JSON.stringify(m.value);
    // Rewriting the same type and value changes nothing (and records nothing).
    const written = await tx.$executeRaw`
      INSERT INTO metafields (id, platform_id, mode, ${col}, namespace, key, type, value, created, updated)
      VALUES (${newId("metafield")}, ${tenant.platformId}, ${tenant.mode}::"Mode", ${ownerId}, ${m.namespace}, ${m.key}, ${m.type}::"MetafieldType", ${value}::jsonb, now(), now())
      ON CONFLICT (${col}, namespace, key) DO UPDATE SET type = EXCLUDED.type, value = EXCLUDED.value, updated = now()
      WHERE metafields.type <> EXCLUDED.type OR metafields.value <> EXCLUDED.value`;
    changed = written > 0 || changed;
  }
  if (changed) {
    const [count] = await tx.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM metafields WHERE ${col} = ${ownerId}`;
    if ((count?.n ?? 0) > MAX_METAFIELDS) {
      throw new UnprocessableError("too_many_metafields", `A ${owner} keeps at most ${MAX_METAFIELDS} metafields.`, "metafields");
    }
  }
  return changed;
}

/** Removes all the owner's metafields (a user's, when they are erased). */
export async function eraseMetafields(tx: Tx, owner: MetafieldOwner, ownerId: string): Promise<void> {
  await tx.$executeRaw`DELETE FROM metafields WHERE ${OWNER_COLUMN[owner]} = ${ownerId}`;
}

/** The metafields of each of these owners (a page of a list), by owner id. */
export async function metafieldsOf(client: Db | Tx, owner: MetafieldOwner, ownerIds: readonly string[]): Promise<Map<string, MetafieldResponse[]>> {
  const byOwner = new Map<string, MetafieldResponse[]>(ownerIds.map((id) => [id, []]));
  if (ownerIds.length === 0) return byOwner;
  const rows = await client.$queryRaw<{ owner: string; list: MetafieldResponse[] }[]>`
    SELECT o.id AS owner, ${metafieldsJsonSql(owner, Prisma.raw("o.id"))} AS list FROM unnest(${[...ownerIds]}::text[]) AS o(id)`;
  for (const row of rows) byOwner.set(row.owner, row.list);
  return byOwner;
}

/** Of the tenant's owners with metafields, those every filter matches (a list's metafield filters, for a list not built in SQL). */
export async function ownersMatching(client: Db | Tx, tenant: Tenant, owner: MetafieldOwner, filters: readonly MetafieldFilter[]): Promise<string[]> {
  const col = OWNER_COLUMN[owner];
  const rows = await client.$queryRaw<{ id: string }[]>`
    SELECT o.id FROM (SELECT DISTINCT ${col} AS id FROM metafields WHERE ${col} IS NOT NULL AND platform_id = ${tenant.platformId} AND mode = ${tenant.mode}::"Mode") o
    WHERE ${Prisma.join(metafieldFilterSql(owner, Prisma.raw("o.id"), filters), " AND ")}`;
  return rows.map((r) => r.id);
}

/** Removes one metafield; answers whether there was one. */
export async function deleteMetafield(tx: Tx, owner: MetafieldOwner, ownerId: string, namespace: string, key: string): Promise<boolean> {
  return (await tx.$executeRaw`DELETE FROM metafields WHERE ${OWNER_COLUMN[owner]} = ${ownerId} AND namespace = ${namespace} AND key = ${key}`) > 0;
}
