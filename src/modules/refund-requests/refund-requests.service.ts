import type { Db, Prisma } from "../../db/client.js";
import type { Tenant, Tx } from "../../db/tenant.js";
import type { RefundRequest } from "../../generated/prisma/client.js";
import { ConflictError, NotFoundError, PermissionError, UnprocessableError, ValidationError } from "../../lib/errors.js";
import { newId } from "../../lib/ids.js";
import { pageMeta, pageWindow, type Page } from "../../lib/pagination.js";
import { roleAtLeast } from "../../lib/roles.js";
import { toApiDate, type Clock } from "../../lib/time.js";
import type { AuthContext } from "../../plugins/auth.js";
import { contractView, type ContractResponse } from "../contracts/index.js";
import { recordEvents, type RecordEventInput } from "../events/index.js";
import { buyerCharge, refundStatuses, type Refunds } from "../settlement/index.js";
import type { CreateRefundRequestInput, RefundRequestResponse } from "./refund-requests.schemas.js";

/**
 * Refunds a buyer asks for (`POST /contracts/:id/refund_requests`), by amount or by item, and that
 * a seller of the contract or the platform (an admin, an owner, the key) approves or declines.
 * Approving runs the refund through the settlement's refund path (`Refunds.refund`), the request's
 * approval written inside the refund's own reservation (`within`): two approvals, or an approval
 * and a decline, can never both win, and a refund refused before any money moved (409/422) leaves
 * the request `requested`.
 *
 * Who may do what:
 * - ask: a buyer of the contract who paid (their own charge only); withdraw (`cancel`): that buyer.
 * - approve / decline: a seller of the contract — for a request by item, a seller of those items —
 *   or an admin, an owner, the key. The buyer who asked: 403. Anyone else who may not read the
 *   contract: 404, as if it were not there.
 * - read: the buyer who asked, the contract's sellers, editors and up.
 */

/** Contract states with nothing to refund (or a bank deciding already: `disputed`). Any other state whose buyer paid may be refunded. */
const NOT_REFUNDABLE = new Set(["draft", "open", "processing", "void", "uncollectible", "disputed"]);

export interface RefundRequestsDeps {
  db: Db;
  clock: Clock;
  refunds: Pick<Refunds, "refund">;
}

type Row = RefundRequest;

const isAdmin = (auth: AuthContext) => roleAtLeast(auth.role, "admin");
const isEditor = (auth: AuthContext) => roleAtLeast(auth.role, "editor");
const tenantOf = (auth: AuthContext): Tenant => ({ platformId: auth.platformId, mode: auth.mode, requestId: auth.requestId });

export function createRefundRequestsService({ db, clock, refunds }: RefundRequestsDeps) {
  async function render(client: Db | Tx, tenant: Tenant, rows: readonly Row[]): Promise<RefundRequestResponse[]> {
    const statuses = await refundStatuses(
      client,
      tenant,
      rows.flatMap((r) => (r.refundTransactionId ? [r.refundTransactionId] : [])),
    );
    const currencies = new Map<string, string>();
    for (const r of rows) {
      if (!currencies.has(r.contractId)) currencies.set(r.contractId, (await contractView(client, tenant, r.contractId))?.currency ?? "usd");
    }
    return rows.map((r) => toResponse(r, currencies.get(r.contractId)!, r.refundTransactionId ? statuses.get(r.refundTransactionId) : undefined));
  }

  async function one(client: Db | Tx, tenant: Tenant, row: Row): Promise<RefundRequestResponse> {
    return (await render(client, tenant, [row]))[0]!;
  }

  function event(tenant: Tenant, type: RecordEventInput["type"], object: RefundRequestResponse): RecordEventInput {
    return { platformId: tenant.platformId, mode: tenant.mode, requestId: tenant.requestId ?? null, type, object };
  }

  /** The request and its contract, if the caller may read them (else 404). */
  async function readable(client: Db | Tx, auth: AuthContext, id: string): Promise<{ row: Row; contract: ContractResponse }> {
    const tenant = tenantOf(auth);
    const row = await client.refundRequest.findFirst({ where: { id, platformId: tenant.platformId, mode: tenant.mode } });
    const contract = row && (await contractView(client, tenant, row.contractId));
    if (!row || !contract || !mayRead(auth, row, contract)) throw new NotFoundError("refund request", id, "id");
    return { row, contract };
  }

  /** 403 unless the caller may approve or decline: a seller concerned, an admin, an owner, the key. */
  function assertMayDecide(auth: AuthContext, row: Row, contract: ContractResponse): void {
    if (isAdmin(auth)) return;
    const me = auth.user?.id;
    const sellers = row.sellerUserIds.length > 0 ? row.sellerUserIds : contract.sellers.map((s) => s.user_id);
    if (me && sellers.includes(me)) return;
    throw new PermissionError(
      "refund_decider_required",
      `Only ${row.sellerUserIds.length > 0 ? "a seller of the items asked for" : "a seller of the contract"}, an admin, an owner or the platform key can approve or decline ${row.id}.`,
    );
  }

  /** Locks the request and checks it still waits for a decision (409 otherwise). */
  async function lockRequested(tx: Tx, tenant: Tenant, id: string): Promise<Row> {
    await tx.$queryRaw`SELECT id FROM refund_requests WHERE id = ${id} AND platform_id = ${tenant.platformId} AND mode = ${tenant.mode}::"Mode" FOR UPDATE`;
    const row = await tx.refundRequest.findUniqueOrThrow({ where: { id } });
    if (row.status !== "requested")
      throw new ConflictError("refund_request_not_pending", `${id} is ${row.status}: only a request still \`requested\` can be decided or withdrawn.`, "id");
    return row;
  }

  async function decide(auth: AuthContext, id: string, status: "declined" | "canceled", data: Prisma.RefundRequestUpdateInput): Promise<RefundRequestResponse> {
    const tenant = tenantOf(auth);
    return db.$transaction(async (tx) => {
      await lockRequested(tx, tenant, id);
      const row = await tx.refundRequest.update({ where: { id }, data: { ...data, status } });
      const object = await one(tx, tenant, row);
      await recordEvents(tx, [event(tenant, status === "declined" ? "refund_request.declined" : "refund_request.canceled", object)]);
      return object;
    });
  }

  return {
    /** A buyer asks to be refunded: by amount, by item, or (neither) everything not refunded yet. */
    async create(auth: AuthContext & { user: NonNullable<AuthContext["user"]> }, contractId: string, input: CreateRefundRequestInput): Promise<RefundRequestResponse> {
      const tenant = tenantOf(auth);
      const me = auth.user.id;
      if (input.amount !== undefined && input.items !== undefined) throw new ValidationError("parameter_invalid", "Send `amount` or `items`, not both.", "items");
      return db.$transaction(async (tx) => {
        const contract = await contractView(tx, tenant, contractId);
        const parties = contract && [contract.user_id, ...contract.buyers.map((b) => b.user_id), ...contract.sellers.map((s) => s.user_id)];
        if (!contract || (!isEditor(auth) && !parties!.includes(me))) throw new NotFoundError("contract", contractId, "id");
        const buyer = contract.buyers.find((b) => b.user_id === me);
        if (!buyer) throw new PermissionError("not_contract_buyer", `Only a buyer of ${contractId} can ask for its refund.`);
        // One request of a buyer's waits at a time: taken in turn, so two at once cannot both pass the check.
        await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`refund-request:${contractId}:${me}`}))`;
        if (NOT_REFUNDABLE.has(contract.status)) {
          throw new ConflictError("contract_not_refundable", `${contractId} is ${contract.status}: only a contract its buyer paid can be refunded.`, "id");
        }
        const charge = await buyerCharge(tx, tenant, contractId, me);
        if (charge?.status !== "succeeded") {
          throw new ConflictError("contract_not_refundable", `You have no settled payment for ${contractId} to refund${charge ? ` (your charge is ${charge.status})` : ""}.`, "id");
        }
        const refundable = charge.amount - charge.amountRefunded;
        if (refundable <= 0) throw new UnprocessableError("charge_already_refunded", `Your payment for ${contractId} is refunded in full already.`, "amount");
        const open = await tx.refundRequest.findFirst({ where: { platformId: tenant.platformId, mode: tenant.mode, contractId, buyerUserId: me, status: "requested" } });
        if (open) throw new ConflictError("refund_request_open", `Your refund request ${open.id} for ${contractId} is still waiting: withdraw it, or wait for its decision.`, "id");

        let amount = input.amount ?? refundable;
        let items: { item_id: string; quantity: number }[] | null = null;
        let sellerUserIds: string[] = [];
        if (input.items) {
          ({ amount, items, sellerUserIds } = byItems(contract, buyer.amountPaid, input.items));
          amount = Math.min(amount, refundable);
          if (amount < 1) throw new UnprocessableError("amount_too_small", "These items come to less than a cent of what you paid.", "items");
        }
        if (amount > refundable) {
          throw new UnprocessableError("amount_too_large", `You may ask for at most ${refundable} cents back: what is left of your payment for ${contractId}.`, "amount", {
            amount_requested: amount,
            amount_refundable: refundable,
          });
        }
        const row = await tx.refundRequest.create({
          data: {
            id: newId("refundRequest"),
            platformId: tenant.platformId,
            mode: tenant.mode,
            contractId,
            buyerUserId: me,
            transactionId: charge.id,
            amount,
            ...(items ? { items } : {}),
            sellerUserIds,
            reason: input.reason ?? null,
          },
        });
        const object = await one(tx, tenant, row);
        await recordEvents(tx, [event(tenant, "refund_request.created", object)]);
        return object;
      });
    },

    async retrieve(auth: AuthContext, id: string): Promise<RefundRequestResponse> {
      const { row } = await readable(db, auth, id);
      return one(db, tenantOf(auth), row);
    },

    /** A contract's requests: all of them for its sellers and editors and up, their own for a buyer. */
    async listForContract(auth: AuthContext, contractId: string, query: { page: number; per_page: number }): Promise<Page<RefundRequestResponse>> {
      const tenant = tenantOf(auth);
      const contract = await contractView(db, tenant, contractId);
      const me = auth.user?.id ?? null;
      const seesAll = isEditor(auth) || (me !== null && contract?.sellers.some((s) => s.user_id === me));
      const isBuyer = me !== null && contract?.buyers.some((b) => b.user_id === me);
      if (!contract || (!seesAll && !isBuyer && contract.user_id !== me)) throw new NotFoundError("contract", contractId, "id");
      const where = { platformId: tenant.platformId, mode: tenant.mode, contractId, ...(seesAll ? {} : { buyerUserId: me ?? "" }) };
      const [total, rows] = await Promise.all([
        db.refundRequest.count({ where }),
        db.refundRequest.findMany({ where, orderBy: [{ created: "desc" }, { id: "desc" }], ...pageWindow(query.page, query.per_page) }),
      ]);
      return { data: await render(db, tenant, rows), meta: pageMeta(total, query.page, query.per_page, rows.length) };
    },

    /**
     * Approves: the refund is made through the settlement's refund path, the approval written in its
     * reservation. Answers the request and whether the refund is done (false: the payment processor
     * holds it pending, or could not be reached and a job finishes it).
     */
    async approve(auth: AuthContext, id: string): Promise<{ request: RefundRequestResponse; complete: boolean; pendingError?: unknown }> {
      const tenant = tenantOf(auth);
      const { row, contract } = await readable(db, auth, id);
      assertMayDecide(auth, row, contract);
      if (row.status !== "requested") throw new ConflictError("refund_request_not_pending", `${id} is ${row.status}: only a request still \`requested\` can be approved.`, "id");
      const outcome = await refunds.refund(tenant, row.transactionId, {
        amount: row.amount,
        description: `Refund request ${row.id}${row.reason ? `: ${row.reason}` : ""}`,
        sellerUserIds: row.sellerUserIds,
        within: async (tx, { refundId }) => {
          await lockRequested(tx, tenant, id);
          const approved = await tx.refundRequest.update({
            where: { id },
            data: { status: "approved", decided: clock.now(), decidedByUserId: auth.user?.id ?? null, refundTransactionId: refundId },
          });
          return [event(tenant, "refund_request.approved", await one(tx, tenant, approved))];
        },
      });
      const head = outcome.refunds[0];
      const done = head?.status === "succeeded";
      const request = await db.$transaction(async (tx) => {
        const current = await tx.refundRequest.findUniqueOrThrow({ where: { id } });
        const object = await one(tx, tenant, current);
        if (done) await recordEvents(tx, [event(tenant, "refund_request.refunded", object)]);
        return object;
      });
      return { request, complete: done, pendingError: outcome.pendingError };
    },

    async decline(auth: AuthContext, id: string, reason: string | undefined): Promise<RefundRequestResponse> {
      const { row, contract } = await readable(db, auth, id);
      assertMayDecide(auth, row, contract);
      return decide(auth, id, "declined", { decided: clock.now(), decidedByUserId: auth.user?.id ?? null, declineReason: reason ?? null });
    },

    /** The buyer withdraws their request. */
    async cancel(auth: AuthContext, id: string): Promise<RefundRequestResponse> {
      const { row } = await readable(db, auth, id);
      if (auth.user?.id !== row.buyerUserId) throw new PermissionError("not_contract_buyer", `Only the buyer who asked can withdraw ${id}.`);
      return decide(auth, id, "canceled", {});
    },
  };
}

export type RefundRequestsService = ReturnType<typeof createRefundRequestsService>;

function mayRead(auth: AuthContext, row: Row, contract: ContractResponse): boolean {
  if (isEditor(auth)) return true;
  const me = auth.user?.id;
  return me !== undefined && (row.buyerUserId === me || contract.sellers.some((s) => s.user_id === me));
}

/**
 * A refund by item: each item's total for the quantity asked, as a share of what this buyer paid
 * (`amountPaid / subTotal`, so fees the buyer paid on top are given back with the item, and a
 * contract split between buyers refunds each their part). Rounded down, in the buyer's disfavour by
 * less than a cent.
 */
function byItems(
  contract: ContractResponse,
  amountPaid: number,
  asked: readonly { item_id: string; quantity?: number | undefined }[],
): { amount: number; items: { item_id: string; quantity: number }[]; sellerUserIds: string[] } {
  const seen = new Set<string>();
  let value = 0;
  const items: { item_id: string; quantity: number }[] = [];
  const sellers = new Set<string>();
  asked.forEach((a, i) => {
    if (seen.has(a.item_id)) throw new ValidationError("parameter_invalid", `Item ${a.item_id} is named twice.`, `items[${i}].item_id`);
    seen.add(a.item_id);
    const item = contract.items.find((it) => it.id === a.item_id);
    if (!item) throw new NotFoundError("contract item", a.item_id, `items[${i}].item_id`);
    const quantity = a.quantity ?? item.quantity;
    if (quantity > item.quantity) {
      throw new UnprocessableError("refund_quantity_too_large", `Item ${item.id} has ${item.quantity}; ${quantity} cannot be refunded.`, `items[${i}].quantity`);
    }
    value += Math.round((item.total * quantity) / item.quantity);
    items.push({ item_id: item.id, quantity });
    sellers.add(item.user_id);
  });
  const amount = contract.subTotal > 0 ? Math.floor((value * amountPaid) / contract.subTotal) : 0;
  return { amount, items, sellerUserIds: [...sellers] };
}

function toResponse(r: Row, currency: string, refundStatus: string | undefined): RefundRequestResponse {
  const status = r.status !== "approved" ? r.status : refundStatus === "succeeded" ? "refunded" : refundStatus === "failed" ? "refund_failed" : "approved";
  return {
    id: r.id,
    platform_id: r.platformId,
    mode: r.mode,
    contract_id: r.contractId,
    buyer_user_id: r.buyerUserId,
    transaction_id: r.transactionId,
    amount: r.amount,
    currency,
    items: (r.items as { item_id: string; quantity: number }[] | null) ?? null,
    seller_user_ids: r.sellerUserIds,
    reason: r.reason,
    status,
    decided_by: r.decidedByUserId,
    decided: r.decided ? toApiDate(r.decided) : null,
    decline_reason: r.declineReason,
    refund_transaction_id: r.refundTransactionId,
    created: toApiDate(r.created),
    updated: toApiDate(r.updated),
  };
}
