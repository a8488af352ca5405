import type { Db } from "../../db/client.js";
import type { Tx } from "../../db/tenant.js";
import type { Clock } from "../../lib/time.js";
import type { BaseRates } from "../settlement/index.js";
import { mayRead } from "./contracts.state.js";
import type { AuthContext } from "../../plugins/auth.js";
import { accept } from "./operations/accept.js";
import { sellerBalance } from "./operations/balance.js";
import { create } from "./operations/create.js";
import { addFee, modifyFee, removeFee, setFeeInclusion } from "./operations/fees.js";
import { fromCart } from "./operations/from-cart.js";
import { addItem, removeItem } from "./operations/items.js";
import { rescheduleItem } from "./operations/reschedule.js";
import { modify } from "./operations/modify.js";
import { changeMetafields, metafields } from "./operations/metafields.js";
import { addBuyer, addSeller, removeBuyer, removeSeller, setDue, setOwed } from "./operations/parties.js";
import { list, listForSignedIn, listForUser, retrieve } from "./operations/read.js";
import { remove } from "./operations/remove.js";
import { send } from "./operations/send.js";
import type { ContractsContext, PurchaseGate } from "./operations/shared.js";
import { sync } from "./operations/sync.js";
import { DEFAULT_HOLD_RULES, type HoldRules } from "./stock-holds.js";

/**
 * Contracts (docs/api/contracts.md; rules in docs/architecture.md, Money and fees): invoices with several buyers and sellers.
 *
 * Every change runs in one database transaction under a row lock on the contract, and ends by
 * recomputing the figures with `rebalanceContract` (src/domain/fees) and storing them — so the
 * invariants hold after every change, and a change that would make pinned amounts impossible is
 * refused (422) with nothing written. Items, parties and fees change only while nothing is paid.
 * A contract's items hold their products' stock: taken when added, given back when removed or when
 * the unpaid contract is deleted or voided — or when the unpaid contract's hold expires, bounded in
 * time and per member (stock-holds.ts).
 *
 * Every change records its event last in its transaction, with the contract as answered:
 * `contract.created`, `contract.updated`, `contract.deleted` / `contract.voided`, `contract.sent`,
 * `contract.accepted` (settlement records `contract.payment_failed` and `contract.paid`).
 *
 * A buyer's acceptance (`accept`) is their consent to be charged exactly what they owe then; every
 * change to the contract's money voids it (see assertConsent in contracts.state.ts).
 */

/** The operations, one file each under operations/, bound to their dependencies. */
export function createContractsService(deps: {
  db: Db;
  clock: Clock;
  rates: BaseRates;
  holds?: HoldRules;
  hasSubscriptions: (tx: Tx, contractId: string) => Promise<boolean>;
  purchaseGate?: PurchaseGate;
}) {
  const ctx: ContractsContext = {
    db: deps.db,
    clock: deps.clock,
    rates: deps.rates,
    holds: deps.holds ?? DEFAULT_HOLD_RULES,
    hasSubscriptions: deps.hasSubscriptions,
    purchaseGate: deps.purchaseGate ?? (async () => {}),
  };
  type Rest<F> = F extends (ctx: ContractsContext, ...rest: infer A) => infer R ? (...rest: A) => R : never;
  const bind = <F extends (ctx: ContractsContext, ...rest: never[]) => unknown>(f: F): Rest<F> =>
    ((...rest: unknown[]) => (f as unknown as (...a: unknown[]) => unknown)(ctx, ...rest)) as Rest<F>;
  return {
    retrieve: bind(retrieve),
    list: bind(list),
    listForUser: bind(listForUser),
    listForSignedIn: bind(listForSignedIn),
    create: bind(create),
    fromCart: bind(fromCart),
    modify: bind(modify),
    remove: bind(remove),
    addItem: bind(addItem),
    removeItem: bind(removeItem),
    rescheduleItem: bind(rescheduleItem),
    addBuyer: bind(addBuyer),
    setDue: bind(setDue),
    removeBuyer: bind(removeBuyer),
    addSeller: bind(addSeller),
    setOwed: bind(setOwed),
    removeSeller: bind(removeSeller),
    addFee: bind(addFee),
    modifyFee: bind(modifyFee),
    removeFee: bind(removeFee),
    setFeeInclusion: bind(setFeeInclusion),
    sync: bind(sync),
    send: bind(send),
    accept: bind(accept),
    metafields: bind(metafields),
    changeMetafields: bind(changeMetafields),
    balance: (auth: AuthContext, userId: string) => sellerBalance(deps.db, auth, userId),
    mayRead,
  };
}

export type ContractsService = ReturnType<typeof createContractsService>;
