import type { Db } from "../../db/client.js";
import { Prisma } from "../../db/client.js";
import type { Mode } from "../../generated/prisma/enums.js";
import { pageMeta, parseSort, type Page } from "../../lib/pagination.js";
import type { ContractResponse, ListContractsQuery } from "./contracts.schemas.js";
import type { Tenant } from "../../db/tenant.js";

export type { Tenant };

/**
 * The contract object, built by PostgreSQL: one statement returns the contract with its items,
 * buyers, sellers and fees as one JSON text, already in the API's shape (dates as
 * YYYY-MM-DDTHH:MM:SSZ). Retrieving a contract is a hot path (`GET /v1/contracts/:id`, and every
 * mutation answers the contract): Prisma's `include` would be five queries, each compiled in Wasm
 * on every call (see products.list.ts for what that cost the product list).
 */

type Client = Db | Prisma.TransactionClient;

const date = (column: string) => Prisma.raw(`to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')`);

/** The contract object of the row aliased `c`. */
const CONTRACT_JSON = Prisma.sql`json_build_object(
  'id', c.id, 'platform_id', c.platform_id, 'mode', c.mode, 'user_id', c.user_id, 'cart_id', c.cart_id,
  'items', coalesce((
    SELECT json_agg(json_build_object(
      'id', i.id, 'contract_id', i.contract_id, 'user_id', i.user_id, 'type', i.type, 'product_id', i.product_id,
      'startDate', ${date("i.start_date")}, 'endDate', ${date("i.end_date")}, 'quantity', i.quantity, 'price', i.price,
      'total', i.total, 'description', i.description
    ) ORDER BY i.created, i.id) FROM contract_items i WHERE i.contract_id = c.id), '[]'),
  'notes', c.notes, 'sent', ${date("c.sent")}, 'lastSent', ${date("c.last_sent")}, 'due', ${date("c.due")},
  'lastPaymentAttempt', ${date("c.last_payment_attempt")}, 'paid', ${date("c.paid")},
  'subTotal', c.sub_total, 'total', c.total, 'currency', c.currency, 'status', c.status,
  'buyers', coalesce((
    SELECT json_agg(json_build_object(
      'id', b.id, 'user_id', b.user_id, 'email', b.email, 'name', b.name,
      'baseAmountDue', b.base_amount_due, 'amountDue', b.amount_due, 'amountPaid', b.amount_paid,
      'accepted', ${date("b.accepted")}, 'acceptedAmount', b.accepted_amount
    ) ORDER BY b.position, b.id) FROM contract_buyers b WHERE b.contract_id = c.id), '[]'),
  'sellers', coalesce((
    SELECT json_agg(json_build_object(
      'id', s.id, 'user_id', s.user_id, 'email', s.email, 'name', s.name,
      'baseAmountOwed', s.base_amount_owed, 'amountOwed', s.amount_owed, 'amountReceived', s.amount_received
    ) ORDER BY s.position, s.id) FROM contract_sellers s WHERE s.contract_id = c.id), '[]'),
  'fees', coalesce((
    SELECT json_agg(json_build_object(
      'id', f.id, 'buyer_user_id', f.buyer_user_id, 'type', f.type, 'amount', f.amount, 'description', f.description, 'payer', f.payer
    ) ORDER BY CASE f.type WHEN 'stripe:cc' THEN 0 WHEN 'stripe:us_bank_account' THEN 1 WHEN 'candle:base' THEN 2 WHEN 'platform:base' THEN 3 ELSE 4 END, f.created, f.id)
    FROM contract_fees f WHERE f.contract_id = c.id), '[]'),
  'includeStripeFees', c.include_stripe_fees, 'includeCandleFees', c.include_candle_fees, 'includePlatformFees', c.include_platform_fees,
  'created', ${date("c.created")}, 'updated', ${date("c.updated")}
)`;

/** The contract object, or null when the tenant has no such contract. */
export async function contractView(client: Client, tenant: Tenant, id: string): Promise<ContractResponse | null> {
  const rows = await client.$queryRaw<{ contract: string }[]>`
    SELECT ${CONTRACT_JSON}::text AS contract FROM contracts c
    WHERE c.id = ${id} AND c.platform_id = ${tenant.platformId} AND c.mode = ${tenant.mode}::"Mode"`;
  return rows[0] ? (JSON.parse(rows[0].contract) as ContractResponse) : null;
}

/**
 * The contract object as the JSON text PostgreSQL built, with its parties for the access check:
 * `GET /contracts/:id` sends the text as it is. The statement names every field the object has and
 * nothing else, so skipping the parse and the serializer's pass over it leaks nothing — and saves
 * the API a third of its CPU on the hottest read (bench/RESULTS.md).
 */
export async function contractViewText(
  client: Client,
  tenant: Tenant,
  id: string,
): Promise<{ json: string; userId: string | null; buyers: string[]; sellers: string[] } | null> {
  const rows = await client.$queryRaw<{ contract: string; user_id: string | null; buyers: string[]; sellers: string[] }[]>`
    SELECT ${CONTRACT_JSON}::text AS contract, c.user_id,
           ARRAY(SELECT b.user_id FROM contract_buyers b WHERE b.contract_id = c.id) AS buyers,
           ARRAY(SELECT s.user_id FROM contract_sellers s WHERE s.contract_id = c.id) AS sellers
    FROM contracts c
    WHERE c.id = ${id} AND c.platform_id = ${tenant.platformId} AND c.mode = ${tenant.mode}::"Mode"`;
  const row = rows[0];
  return row ? { json: row.contract, userId: row.user_id, buyers: row.buyers, sellers: row.sellers } : null;
}

/** Who a list is for: everyone's contracts, or those a user is on. */
export interface ListScope extends Tenant {
  /** Only contracts where this user is a buyer. */
  buyerUserId?: string;
  /** Only contracts where this user is a seller. */
  sellerUserId?: string;
  /** Only contracts this user created or is a buyer or seller of. */
  partyUserId?: string;
}

const SORT_COLUMNS = { created: "c.created", updated: "c.updated", due: "c.due", total: "c.total" } as const;

function conditions(scope: ListScope, query: ListContractsQuery): Prisma.Sql {
  const parts: Prisma.Sql[] = [Prisma.sql`c.platform_id = ${scope.platformId}`, Prisma.sql`c.mode = ${scope.mode}::"Mode"`];
  const buyerIn = (ids: string[]) => Prisma.sql`EXISTS (SELECT 1 FROM contract_buyers b WHERE b.contract_id = c.id AND b.user_id = ANY(${ids}::text[]))`;
  const sellerIn = (ids: string[]) => Prisma.sql`EXISTS (SELECT 1 FROM contract_sellers s WHERE s.contract_id = c.id AND s.user_id = ANY(${ids}::text[]))`;
  if (scope.buyerUserId) parts.push(buyerIn([scope.buyerUserId]));
  if (scope.sellerUserId) parts.push(sellerIn([scope.sellerUserId]));
  if (scope.partyUserId) {
    const me = [scope.partyUserId];
    parts.push(Prisma.sql`(c.user_id = ${scope.partyUserId} OR ${buyerIn(me)} OR ${sellerIn(me)})`);
  }
  const statuses = query["filter[status]"];
  if (statuses) parts.push(Prisma.sql`c.status::text = ANY(${statuses}::text[])`);
  if (query["filter[buyer_user_id]"]) parts.push(buyerIn(query["filter[buyer_user_id]"]));
  if (query["filter[seller_user_id]"]) parts.push(sellerIn(query["filter[seller_user_id]"]));
  if (query["filter[user_id]"]) parts.push(Prisma.sql`c.user_id = ANY(${query["filter[user_id]"]}::text[])`);
  if (query["filter[currency]"]) parts.push(Prisma.sql`c.currency = ANY(${query["filter[currency]"]}::text[])`);
  if (query["filter[due][gte]"]) parts.push(Prisma.sql`c.due >= ${query["filter[due][gte]"]}`);
  if (query["filter[due][lte]"]) parts.push(Prisma.sql`c.due <= ${query["filter[due][lte]"]}`);
  return Prisma.join(parts, " AND ");
}

/**
 * A page of contracts and the total, in one statement returning one JSON text (see products.list.ts
 * for why one statement: each Prisma call costs CPU of its own, and a batch `$transaction` of count
 * and findMany holds a pooled connection for both).
 */
export async function listContracts(db: Db, scope: ListScope, query: ListContractsQuery): Promise<Page<ContractResponse>> {
  const where = conditions(scope, query);
  const sort = parseSort<keyof typeof SORT_COLUMNS>(query.sort);
  const direction = Prisma.raw(sort.direction === "desc" ? "DESC" : "ASC");
  // Contracts without a due date sort last either way.
  const nulls = Prisma.raw(sort.field === "due" ? "NULLS LAST" : "");
  const order = Prisma.sql`${Prisma.raw(SORT_COLUMNS[sort.field])} ${direction} ${nulls}, c.id ${direction}`;
  const offset = (query.page - 1) * query.per_page;
  const [result] = await db.$queryRaw<{ total: number; page: string }[]>`
    SELECT (SELECT count(*)::int FROM contracts c WHERE ${where}) AS total,
           (SELECT coalesce(json_agg(${CONTRACT_JSON} ORDER BY ${order}), '[]')::text FROM (
              SELECT c.* FROM contracts c WHERE ${where}
              ORDER BY ${order}
              LIMIT ${query.per_page} OFFSET ${offset}
           ) c) AS page`;
  const data = JSON.parse(result?.page ?? "[]") as ContractResponse[];
  return { data, meta: pageMeta(result?.total ?? 0, query.page, query.per_page, data.length) };
}
