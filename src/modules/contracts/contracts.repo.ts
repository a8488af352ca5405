import type { Db } from "../../db/client.js";
import { Prisma } from "../../db/client.js";
import type { Tenant, Tx } from "../../db/tenant.js";
import type { FeeType } from "../../generated/prisma/enums.js";
import { NotFoundError } from "../../lib/errors.js";
import { newId } from "../../lib/ids.js";
import { pageMeta, parseSort, type Page } from "../../lib/pagination.js";
import { metafieldFilterSql, metafieldsJsonSql, parseMetafieldFilters } from "../metafields/index.js";
import { platformFeeBps } from "../platforms/index.js";
import { DB_FEE_TYPE, computeFigures, type BaseRates } from "../settlement/index.js";
import { DATE_OPERATORS, type ContractResponse, type ListContractsQuery } from "./contracts.schemas.js";

export type { Tenant };

/**
 * The contracts module's rows: the row lock and state every change works on, the rebalanced
 * figures every change ends with, and the contract object as PostgreSQL builds it.
 */

// ── the state under the row lock ────────────────────────────────────────────────────────────────

export const stateInclude = {
  items: { orderBy: [{ created: "asc" }, { id: "asc" }] },
  buyers: { orderBy: [{ position: "asc" }, { id: "asc" }] },
  sellers: { orderBy: [{ position: "asc" }, { id: "asc" }] },
  fees: { orderBy: [{ created: "asc" }, { id: "asc" }] },
  shipping: { orderBy: [{ created: "asc" }, { id: "asc" }] },
} satisfies Prisma.ContractInclude;

export type ContractState = Prisma.ContractGetPayload<{ include: typeof stateInclude }>;

/** The computed fee rows: one each, recomputed on every change. */
const COMPUTED_FEES = ["stripe_cc", "candle_base", "platform_base", "shipping"] as const satisfies readonly FeeType[];

/**
 * Locks the contract's row for the rest of the transaction — every change to a contract, its
 * settlement steps and its webhooks take turns on it — and reads its state. 404 for another
 * platform's (or mode's) contract.
 */
export async function lockContract(tx: Tx, tenant: Tenant, id: string): Promise<ContractState> {
  const rows = await tx.$queryRaw<{ id: string }[]>`
    SELECT id FROM contracts WHERE id = ${id} AND platform_id = ${tenant.platformId} AND mode = ${tenant.mode}::"Mode" FOR UPDATE`;
  if (rows.length === 0) throw new NotFoundError("contract", id, "id");
  return loadState(tx, id);
}

export function loadState(tx: Tx, id: string): Promise<ContractState> {
  return tx.contract.findUniqueOrThrow({ where: { id }, include: stateInclude });
}

/** Every change to a contract's money (items, parties, amounts, fees, inclusion, currency) voids its buyers' acceptances. */
export async function voidAcceptances(tx: Tx, contractId: string): Promise<void> {
  await tx.contractBuyer.updateMany({ where: { contractId, accepted: { not: null } }, data: { accepted: null, acceptedAmount: null, acceptedCurrency: null } });
}

// ── rebalancing ─────────────────────────────────────────────────────────────────────────────────

/**
 * Recomputes the contract's figures with `rebalanceContract` and stores them: subTotal, total, each
 * buyer's and seller's base and current amounts, and the computed fee rows — one stable row per
 * type, updated in place, deleted when it falls to 0. Writes only what changed.
 */
export async function rebalanceAndStore(tx: Tx, c: ContractState, rates: BaseRates): Promise<void> {
  const figures = computeFigures(c, rates, await platformFeeBps(tx, c.platformId));

  if (figures.subTotal !== c.subTotal || figures.total !== c.total) {
    await tx.contract.update({ where: { id: c.id }, data: { subTotal: figures.subTotal, total: figures.total } });
  }
  for (const [i, b] of c.buyers.entries()) {
    const f = figures.buyers[i]!;
    if (f.baseAmountDue !== b.baseAmountDue || f.amountDue !== b.amountDue) {
      await tx.contractBuyer.update({ where: { id: b.id }, data: { baseAmountDue: f.baseAmountDue, amountDue: f.amountDue } });
    }
  }
  for (const [i, s] of c.sellers.entries()) {
    const f = figures.sellers[i]!;
    if (f.baseAmountOwed !== s.baseAmountOwed || f.amountOwed !== s.amountOwed) {
      await tx.contractSeller.update({ where: { id: s.id }, data: { baseAmountOwed: f.baseAmountOwed, amountOwed: f.amountOwed } });
    }
  }
  // Shipping at the platform's rates is the buyers' to pay, whatever the fee inclusion.
  const bearer = { stripe_cc: c.includeStripeFees, candle_base: c.includeCandleFees, platform_base: c.includePlatformFees, shipping: true } as const;
  for (const type of COMPUTED_FEES) {
    const amount = figures.fees.find((fee) => DB_FEE_TYPE[fee.type] === type)?.amount ?? 0;
    const payer = bearer[type] ? ("buyers" as const) : ("sellers" as const);
    const [row, ...extra] = c.fees.filter((fee) => fee.type === type);
    if (extra.length > 0) await tx.contractFee.deleteMany({ where: { id: { in: extra.map((fee) => fee.id) } } });
    if (amount === 0) {
      if (row) await tx.contractFee.delete({ where: { id: row.id } });
    } else if (!row) {
      await tx.contractFee.create({ data: { id: newId("fee"), platformId: c.platformId, mode: c.mode, contractId: c.id, type, amount, payer } });
    } else if (row.amount !== amount || row.payer !== payer) {
      await tx.contractFee.update({ where: { id: row.id }, data: { amount, payer } });
    }
  }
}

// ── the contract object ─────────────────────────────────────────────────────────────────────────

/**
 * The contract object, built by PostgreSQL: one statement returns the contract with its items,
 * buyers, sellers and fees as one JSON text, already in the API's shape (dates as
 * YYYY-MM-DDTHH:MM:SSZ). Retrieving a contract is a hot path (`GET /v1/contracts/:id`, and every
 * mutation answers the contract): Prisma's `include` would be five queries, each compiled in Wasm
 * on every call (see products.list.ts for what that cost the product list).
 */

type Client = Db | Prisma.TransactionClient;

const date = (column: string) => Prisma.raw(`to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')`);

/**
 * One definition of the contract object: the zod schema (contracts.schemas.ts), which the OpenAPI
 * document and the route's serializer use. The statement below is derived from it — every field
 * of each object is one entry of a map typed by the schema's inferred type, so a field the schema
 * has and the statement lacks (or the reverse) does not compile — and the Prisma state is never
 * rendered: every answer is this statement's.
 */
type Columns<T> = { readonly [K in keyof T]-?: Prisma.Sql };
type Item = ContractResponse["items"][number];
type Buyer = ContractResponse["buyers"][number];
type Seller = ContractResponse["sellers"][number];
type Fee = ContractResponse["fees"][number];
type Shipping = ContractResponse["shipping"][number];

/** `json_build_object('key', expression, …)` in the map's order (the JSON's key order). */
function jsonObject<T>(columns: Columns<T>): Prisma.Sql {
  const pairs = Object.entries(columns as Record<string, Prisma.Sql>).map(([key, value]) => Prisma.sql`${Prisma.raw(`'${key}'`)}, ${value}`);
  return Prisma.sql`json_build_object(${Prisma.join(pairs, ", ")})`;
}

const raw = Prisma.raw;

const ITEM = {
  id: raw("i.id"),
  contract_id: raw("i.contract_id"),
  user_id: raw("i.user_id"),
  type: raw("i.type"),
  product_id: raw("i.product_id"),
  startDate: date("i.start_date"),
  endDate: date("i.end_date"),
  quantity: raw("i.quantity"),
  price: raw("i.price"),
  total: raw("i.total"),
  description: raw("i.description"),
  add_ons: raw("i.add_ons"),
} satisfies Columns<Item>;

const BUYER = {
  id: raw("b.id"),
  user_id: raw("b.user_id"),
  email: raw("b.email"),
  name: raw("b.name"),
  baseAmountDue: raw("b.base_amount_due"),
  amountDue: raw("b.amount_due"),
  amountPaid: raw("b.amount_paid"),
  amountAuthorized: raw("b.amount_authorized"),
  accepted: date("b.accepted"),
  acceptedAmount: raw("b.accepted_amount"),
} satisfies Columns<Buyer>;

const SELLER = {
  id: raw("s.id"),
  user_id: raw("s.user_id"),
  email: raw("s.email"),
  name: raw("s.name"),
  baseAmountOwed: raw("s.base_amount_owed"),
  amountOwed: raw("s.amount_owed"),
  amountReceived: raw("s.amount_received"),
} satisfies Columns<Seller>;

const FEE = {
  id: raw("f.id"),
  buyer_user_id: raw("f.buyer_user_id"),
  type: raw("f.type"),
  amount: raw("f.amount"),
  description: raw("f.description"),
  payer: raw("f.payer"),
} satisfies Columns<Fee>;

const SHIPPING = {
  id: raw("sh.id"),
  shipping_rate_id: raw("sh.shipping_rate_id"),
  user_id: raw("sh.user_id"),
  payee: raw("sh.payee"),
  title: raw("sh.title"),
  amount: raw("sh.amount"),
} satisfies Columns<Shipping>;

/** The contract object of the row aliased `c`. */
const CONTRACT_JSON = jsonObject<ContractResponse>({
  id: raw("c.id"),
  number: raw("c.number"),
  platform_id: raw("c.platform_id"),
  mode: raw("c.mode"),
  user_id: raw("c.user_id"),
  cart_id: raw("c.cart_id"),
  items: Prisma.sql`coalesce((
    SELECT json_agg(${jsonObject<Item>(ITEM)} ORDER BY i.created, i.id) FROM contract_items i WHERE i.contract_id = c.id), '[]')`,
  notes: raw("c.notes"),
  sent: date("c.sent"),
  lastSent: date("c.last_sent"),
  due: date("c.due"),
  lastPaymentAttempt: date("c.last_payment_attempt"),
  paid: date("c.paid"),
  shipping: Prisma.sql`coalesce((
    SELECT json_agg(${jsonObject<Shipping>(SHIPPING)} ORDER BY sh.created, sh.id) FROM contract_shipping sh WHERE sh.contract_id = c.id), '[]')`,
  shippingTotal: Prisma.sql`(SELECT coalesce(sum(sh.amount), 0)::int FROM contract_shipping sh WHERE sh.contract_id = c.id)`,
  subTotal: raw("c.sub_total"),
  total: raw("c.total"),
  currency: raw("c.currency"),
  status: raw("c.status"),
  buyers: Prisma.sql`coalesce((
    SELECT json_agg(${jsonObject<Buyer>(BUYER)} ORDER BY b.position, b.id) FROM contract_buyers b WHERE b.contract_id = c.id), '[]')`,
  sellers: Prisma.sql`coalesce((
    SELECT json_agg(${jsonObject<Seller>(SELLER)} ORDER BY s.position, s.id) FROM contract_sellers s WHERE s.contract_id = c.id), '[]')`,
  fees: Prisma.sql`coalesce((
    SELECT json_agg(${jsonObject<Fee>(FEE)}
      ORDER BY CASE f.type WHEN 'stripe:cc' THEN 0 WHEN 'stripe:us_bank_account' THEN 1 WHEN 'candle:base' THEN 2 WHEN 'platform:base' THEN 3 WHEN 'shipping' THEN 4 ELSE 5 END, f.created, f.id)
    FROM contract_fees f WHERE f.contract_id = c.id), '[]')`,
  includeStripeFees: raw("c.include_stripe_fees"),
  includeCandleFees: raw("c.include_candle_fees"),
  includePlatformFees: raw("c.include_platform_fees"),
  metafields: metafieldsJsonSql("contract", raw("c.id")),
  orderStatus: raw("c.order_status"),
  acceptBy: date("c.accept_by"),
  fulfilled: date("c.fulfilled"),
  completed: date("c.completed"),
  tracking: raw(`CASE WHEN coalesce(c.tracking_carrier, c.tracking_number, c.tracking_url) IS NULL THEN NULL
    ELSE json_build_object('carrier', c.tracking_carrier, 'number', c.tracking_number, 'url', c.tracking_url) END`),
  fundsHeld: raw("(c.hold_funds AND c.funds_released IS NULL AND c.status IN ('paid', 'disputed'))"),
  created: date("c.created"),
  updated: date("c.updated"),
});

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
export async function contractViewText(client: Client, tenant: Tenant, id: string): Promise<{ json: string; userId: string | null; buyers: string[]; sellers: string[] } | null> {
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

const SORT_COLUMNS = { created: "c.created", updated: "c.updated", due: "c.due", total: "c.total", number: "c.number" } as const;

const DATE_SQL = { gt: ">", gte: ">=", lt: "<", lte: "<=" } as const;

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
  parts.push(...metafieldFilterSql("contract", Prisma.raw("c.id"), parseMetafieldFilters(query as Record<string, unknown>)));
  if (query["filter[id]"]) parts.push(Prisma.sql`c.id = ANY(${query["filter[id]"]}::text[])`);
  if (query["filter[cart_id]"]) parts.push(Prisma.sql`c.cart_id = ANY(${query["filter[cart_id]"]}::text[])`);
  if (query["filter[number]"]) parts.push(Prisma.sql`c.number = ANY(${query["filter[number]"]}::int[])`);
  for (const field of ["created", "updated"] as const) {
    for (const op of DATE_OPERATORS) {
      const at = query[`filter[${field}][${op}]`];
      if (at) parts.push(Prisma.sql`${Prisma.raw(`c.${field} ${DATE_SQL[op]}`)} ${at}`);
    }
  }
  return Prisma.join(parts, " AND ");
}

/**
 * A page of contracts and the total, in one statement returning one JSON text (see products.list.ts
 * for why one statement: each Prisma call costs CPU of its own, and a batch `$transaction` of count
 * and findMany holds a pooled connection for both).
 */
export async function listContracts(db: Db, scope: ListScope, query: ListContractsQuery): Promise<Page<ContractResponse> & { metadata?: ContractListMetadata }> {
  const where = conditions(scope, query);
  const sort = parseSort<keyof typeof SORT_COLUMNS>(query.sort);
  const direction = Prisma.raw(sort.direction === "desc" ? "DESC" : "ASC");
  // Contracts without a due date sort last either way.
  const nulls = Prisma.raw(sort.field === "due" ? "NULLS LAST" : "");
  const order = Prisma.sql`${Prisma.raw(SORT_COLUMNS[sort.field])} ${direction} ${nulls}, c.id ${direction}`;
  const offset = (query.page - 1) * query.per_page;
  // Aggregates (the seed's list metadata) only when asked: a GROUP BY over every matching contract.
  const metadata =
    query.metadata === "true"
      ? Prisma.sql`(SELECT coalesce(json_agg(m ORDER BY m.currency), '[]')::text FROM (
          SELECT c.currency, count(*)::int AS count, coalesce(sum(c.sub_total), 0)::bigint AS "subTotal", coalesce(sum(c.total), 0)::bigint AS total,
                 coalesce(sum(c.total) FILTER (WHERE c.status = 'paid'), 0)::bigint AS paid
          FROM contracts c WHERE ${where} GROUP BY c.currency) m)`
      : Prisma.sql`NULL::text`;
  const [result] = await db.$queryRaw<{ total: number; page: string; metadata: string | null }[]>`
    SELECT (SELECT count(*)::int FROM contracts c WHERE ${where}) AS total, ${metadata} AS metadata,
           (SELECT coalesce(json_agg(${CONTRACT_JSON} ORDER BY ${order}), '[]')::text FROM (
              SELECT c.* FROM contracts c WHERE ${where}
              ORDER BY ${order}
              LIMIT ${query.per_page} OFFSET ${offset}
           ) c) AS page`;
  const data = JSON.parse(result?.page ?? "[]") as ContractResponse[];
  const page = { data, meta: pageMeta(result?.total ?? 0, query.page, query.per_page, data.length) };
  return result?.metadata ? { ...page, metadata: { totals: JSON.parse(result.metadata) as ContractListMetadata["totals"] } } : page;
}

export interface ContractListMetadata {
  totals: { currency: string; count: number; subTotal: number; total: number; paid: number }[];
}

/** Whether the tenant has this contract (a platform naming it as its subscription plan). */
export async function contractExists(client: Client, tenant: Tenant, id: string): Promise<boolean> {
  return (await client.contract.count({ where: { id, platformId: tenant.platformId, mode: tenant.mode } })) > 0;
}

/**
 * Gives the new contract its order number now instead of at commit (the deferred trigger of the
 * migration `*_shipping_orders`), so the answer shows it. Called last before the answer: the
 * platform's counter row stays locked until commit, and nothing is locked after it.
 */
export async function numberNow(tx: Tx): Promise<void> {
  await tx.$executeRaw`SET CONSTRAINTS contracts_number IMMEDIATE`;
}
