import type { Db } from "../../db/client.js";
import { Prisma } from "../../db/client.js";
import type { ContractItem, Product } from "../../generated/prisma/client.js";
import type { ItemType } from "../../generated/prisma/enums.js";
import { enqueue } from "../../jobs/queue.js";
import { ConflictError, NotFoundError, PermissionError, UnprocessableError } from "../../lib/errors.js";
import { newId } from "../../lib/ids.js";
import type { Page } from "../../lib/pagination.js";
import type { Clock } from "../../lib/time.js";
import type { AuthContext } from "../../plugins/auth.js";
import { recordEvent } from "../events/events.service.js";
import type { EventType } from "../events/event-types.js";
import { effectivePrice } from "../products/pricing.js";
import { toCartResponse } from "../carts/carts.service.js";
import { contractEmail } from "./contracts.emails.js";
import {
  MAX_CUSTOM_FEES,
  MAX_ITEMS,
  MAX_PARTIES,
  type BuyerInput,
  type ContractResponse,
  type CreateContractInput,
  type CustomFeeInput,
  type FeeInclusionInput,
  type FromCartInput,
  type ItemInput,
  type ListContractsQuery,
  type ModifyContractInput,
  type ModifyFeeInput,
  type SellerInput,
} from "./contracts.schemas.js";
import {
  MAX_CONTRACT_TOTAL,
  assertInDeal,
  assertManageable,
  assertMaySend,
  assertReadable,
  assertUnlocked,
  computeFigures,
  isEditor,
  isUnlocked,
  loadState,
  lockContract,
  mayRead,
  rebalanceAndStore,
  voidAcceptances,
  type BaseRates,
  type ContractState,
} from "./contracts.state.js";
import { contractView, contractViewText, listContracts, type Tenant } from "./contracts.view.js";
import { DEFAULT_HOLD_RULES, assertWithinHoldCap, holdUntil, refreshHold, releaseExpiredHolds, retakeHolds, type HoldRules } from "./stock-holds.js";
import type { Tx } from "../../db/tenant.js";

/**
 * Contracts (DESIGN.md §6, §8; notes/contracts-spec.md): invoices with several buyers and sellers.
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

/** A cart line with what a contract needs of its product (fromCart reads them in one statement). */
interface CartLine {
  productId: string;
  quantity: number;
  startDate: string | null;
  endDate: string | null;
  sellerId: string;
  sellerEmail: string | null;
  sellerName: string | null;
  type: ItemType;
  name: string;
  price: number;
  currency: string;
  stock: number | null;
  isEnabled: boolean;
  archived: boolean;
  useSeasonalPrices: boolean;
  seasons: { seasonStart: string; seasonEnd: string; price: number }[] | null;
  parentOk: boolean;
}

const tenantOf = (auth: AuthContext): Tenant => ({ platformId: auth.platformId, mode: auth.mode });

export function createContractsService(deps: { db: Db; clock: Clock; rates: BaseRates; holds?: HoldRules }) {
  const { db, clock, rates } = deps;
  const holds = deps.holds ?? DEFAULT_HOLD_RULES;

  async function view(client: Db | Tx, tenant: Tenant, id: string): Promise<ContractResponse> {
    const contract = await contractView(client, tenant, id);
    if (!contract) throw new NotFoundError("contract", id, "id");
    return contract;
  }

  /** Records the change's event (last in its transaction) and answers the contract it holds. */
  async function recorded(tx: Tx, auth: AuthContext, type: EventType, contract: ContractResponse): Promise<ContractResponse> {
    await recordEvent(tx, { platformId: auth.platformId, mode: auth.mode, requestId: auth.requestId, type, object: contract });
    return contract;
  }

  /**
   * Rebalances with the current rates; a buyer whose amount moved (the rates changed since) no
   * longer holds the acceptance of what they owed before. Answers the state after.
   */
  async function rebalanceVoiding(tx: Tx, c: ContractState): Promise<ContractState> {
    await rebalanceAndStore(tx, c, rates);
    const after = await loadState(tx, c.id);
    const moved = after.buyers.filter((b) => b.accepted !== null && b.amountDue !== c.buyers.find((x) => x.id === b.id)?.amountDue);
    if (moved.length === 0) return after;
    await tx.contractBuyer.updateMany({ where: { id: { in: moved.map((b) => b.id) } }, data: { accepted: null, acceptedAmount: null, acceptedCurrency: null } });
    return loadState(tx, c.id);
  }

  /**
   * One change to a contract: lock it, check the caller may change it and that nothing is paid,
   * apply the change, rebalance, and answer the contract — all in one transaction.
   */
  function change(auth: AuthContext, id: string, apply: (tx: Tx, c: ContractState) => Promise<void>): Promise<ContractResponse> {
    return db.$transaction(async (tx) => {
      const c = await lockContract(tx, tenantOf(auth), id);
      assertManageable(auth, c);
      assertUnlocked(c);
      await apply(tx, c);
      const after = await loadState(tx, id);
      assertInDeal(auth, after);
      // The buyers accepted the contract as it was: whatever this changed, they accept it again.
      await voidAcceptances(tx, c.id);
      await rebalanceAndStore(tx, after, rates);
      return recorded(tx, auth, "contract.updated", await view(tx, tenantOf(auth), id));
    });
  }

  async function resolveUser(tx: Tx, tenant: Tenant, userId: string, param: string) {
    const user = await tx.user.findFirst({
      where: { id: userId, platformId: tenant.platformId, mode: tenant.mode, deleted: null },
      select: { id: true, email: true, name: true },
    });
    if (!user) throw new NotFoundError("user", userId, param);
    return user;
  }

  // ── parties, items and fees (each also keeps `c` current, so several can be added in a row) ──

  async function insertBuyer(tx: Tx, c: ContractState, input: BuyerInput, param: string): Promise<void> {
    const user = await resolveUser(tx, c, input.user_id, param);
    if (c.buyers.some((b) => b.userId === user.id)) throw new ConflictError("buyer_exists", `${user.id} is already a buyer of ${c.id}.`, param);
    if (c.sellers.some((s) => s.userId === user.id)) {
      throw new UnprocessableError("buyer_is_seller", `${user.id} is a seller of ${c.id}: nobody buys from themself.`, param);
    }
    if (c.buyers.length >= MAX_PARTIES) throw new UnprocessableError("too_many_buyers", `A contract has at most ${MAX_PARTIES} buyers.`, param);
    const pinned = input.dueAmount !== undefined && input.dueAmount !== null;
    const row = await tx.contractBuyer.create({
      data: {
        id: newId("buyer"),
        platformId: c.platformId,
        mode: c.mode,
        contractId: c.id,
        userId: user.id,
        email: user.email,
        name: user.name,
        position: (c.buyers.at(-1)?.position ?? -1) + 1,
        pinned,
        amountDue: pinned ? input.dueAmount! : 0,
      },
    });
    c.buyers.push(row);
  }

  /** Pinning what a seller is paid takes money from them: that seller's own hand, an editor's or the key's. */
  function assertMayPinSeller(auth: AuthContext, sellerUserId: string, param: string): void {
    if (isEditor(auth) || auth.user?.id === sellerUserId) return;
    throw new PermissionError(`Only ${sellerUserId} themself, an editor or the platform key can set what they are owed.`, "seller_pin_forbidden");
  }

  async function insertSeller(tx: Tx, auth: AuthContext, c: ContractState, input: SellerInput, param: string): Promise<void> {
    const user = await resolveUser(tx, c, input.user_id, param);
    if (c.sellers.some((s) => s.userId === user.id)) throw new ConflictError("seller_exists", `${user.id} is already a seller of ${c.id}.`, param);
    if (c.buyers.some((b) => b.userId === user.id)) {
      throw new UnprocessableError("buyer_is_seller", `${user.id} is a buyer of ${c.id}: nobody sells to themself.`, param);
    }
    if (c.sellers.length >= MAX_PARTIES) throw new UnprocessableError("too_many_sellers", `A contract has at most ${MAX_PARTIES} sellers.`, param);
    const pinned = input.owedAmount !== undefined && input.owedAmount !== null;
    if (pinned) assertMayPinSeller(auth, user.id, "owedAmount");
    const row = await tx.contractSeller.create({
      data: {
        id: newId("seller"),
        platformId: c.platformId,
        mode: c.mode,
        contractId: c.id,
        userId: user.id,
        email: user.email,
        name: user.name,
        position: (c.sellers.at(-1)?.position ?? -1) + 1,
        pinned,
        amountOwed: pinned ? input.owedAmount! : 0,
      },
    });
    c.sellers.push(row);
  }

  /** A catalogue product for a contract, locked (its stock is about to be taken), with its seasons. */
  async function lockProduct(tx: Tx, tenant: Tenant, id: string) {
    const rows = await tx.$queryRaw<{ id: string }[]>`
      SELECT id FROM products WHERE id = ${id} AND platform_id = ${tenant.platformId} AND mode = ${tenant.mode}::"Mode" FOR UPDATE`;
    if (rows.length === 0) throw new NotFoundError("product", id, "product_id");
    return tx.product.findUniqueOrThrow({
      where: { id },
      include: { seasonalPrices: { orderBy: [{ seasonStart: "asc" }, { id: "asc" }] }, parent: { select: { isEnabled: true, archived: true } } },
    });
  }

  function assertForSale(p: Pick<Product, "id" | "name" | "isEnabled" | "archived"> & { parent: { isEnabled: boolean; archived: Date | null } | null }): void {
    const name = `${p.name} (${p.id})`;
    if (p.archived !== null || p.parent?.archived) throw new ConflictError("product_archived", `${name} is archived and cannot be bought.`, "product_id");
    if (!p.isEnabled || (p.parent && !p.parent.isEnabled)) throw new ConflictError("product_disabled", `${name} is disabled and cannot be bought.`, "product_id");
  }

  function stockError(p: Pick<Product, "id" | "name">, available: number, wanted: number): ConflictError {
    const name = `${p.name} (${p.id})`;
    return available <= 0
      ? new ConflictError("product_out_of_stock", `${name} is out of stock.`, "product_id")
      : new ConflictError("insufficient_stock", `Only ${available} of ${name} left in stock, ${wanted} wanted.`, "product_id");
  }

  async function insertItem(tx: Tx, auth: AuthContext, c: ContractState, input: ItemInput): Promise<void> {
    let seller: string;
    let price: number;
    let type: ItemType;
    let description: string | null;
    let productId: string | null = null;
    let reserved = 0;
    const param = input.product_id !== undefined ? "product_id" : "user_id";
    if (input.product_id !== undefined) {
      // Expired holds on it go back first: what is left to sell is then exact.
      await releaseExpiredHolds(tx, input.product_id, clock.now());
      const product = await lockProduct(tx, c, input.product_id);
      if (product.parentProductId === null && (await tx.product.count({ where: { parentProductId: product.id, archived: null } })) > 0) {
        throw new UnprocessableError("variant_required", `${product.id} comes in variants: add one of them by its id.`, "product_id");
      }
      assertForSale(product);
      if (product.currency !== c.currency) {
        throw new UnprocessableError("currency_mismatch", `${product.name} (${product.id}) is priced in ${product.currency}, and this contract is in ${c.currency}.`, "product_id");
      }
      if (product.quantity !== null) {
        if (product.quantity < input.quantity) throw stockError(product, product.quantity, input.quantity);
        if (!isEditor(auth) && auth.user) await assertWithinHoldCap(tx, holds, product, auth.user.id, input.quantity);
        await tx.product.update({ where: { id: product.id }, data: { quantity: { decrement: input.quantity } } });
        await refreshHold(tx, c.id, holdUntil(holds, clock.now()));
        reserved = input.quantity;
      }
      seller = product.userId;
      price = effectivePrice(product, product.seasonalPrices, input.startDate ?? clock.now());
      type = input.type ?? product.type;
      description = input.description ?? product.name;
      productId = product.id;
    } else {
      seller = (await resolveUser(tx, c, input.user_id!, "user_id")).id;
      price = input.price!;
      type = input.type ?? "product";
      description = input.description ?? null;
    }
    if (c.buyers.some((b) => b.userId === seller)) {
      throw new UnprocessableError("buyer_is_seller", `${seller} sells this item and is a buyer of ${c.id}: nobody buys from themself.`, param);
    }
    if (c.items.length >= MAX_ITEMS) throw new UnprocessableError("too_many_items", `A contract has at most ${MAX_ITEMS} items.`, param);
    const total = price * input.quantity;
    if (total > MAX_CONTRACT_TOTAL) throw new UnprocessableError("amount_too_large", `An item totals at most ${MAX_CONTRACT_TOTAL}¢.`, "quantity");
    // The fee module wants every item's seller among the sellers: the item brings its seller along.
    if (!c.sellers.some((s) => s.userId === seller)) await insertSeller(tx, auth, c, { user_id: seller }, param);
    const row = await tx.contractItem.create({
      data: {
        id: newId("contractItem"),
        platformId: c.platformId,
        mode: c.mode,
        contractId: c.id,
        userId: seller,
        type,
        productId,
        startDate: input.startDate ?? null,
        endDate: input.endDate ?? null,
        quantity: input.quantity,
        price,
        total,
        description,
        reserved,
      },
    });
    c.items.push(row);
  }

  /** Gives the stock the items hold back to their products (in product order, so concurrent releases do not deadlock). */
  async function releaseStock(tx: Tx, items: readonly Pick<ContractItem, "productId" | "reserved">[]): Promise<void> {
    const byProduct = new Map<string, number>();
    for (const item of items) if (item.productId && item.reserved > 0) byProduct.set(item.productId, (byProduct.get(item.productId) ?? 0) + item.reserved);
    for (const [productId, units] of [...byProduct].sort(([a], [b]) => (a < b ? -1 : 1))) {
      // A product made unlimited meanwhile stays unlimited.
      await tx.product.updateMany({ where: { id: productId, quantity: { not: null } }, data: { quantity: { increment: units } } });
    }
  }

  function assertMayChargeSellers(auth: AuthContext, payer: "buyers" | "sellers" | undefined): void {
    if (payer !== "sellers" || isEditor(auth)) return;
    throw new PermissionError("Only an editor or the platform key can add a fee the sellers pay.", "fee_payer_forbidden");
  }

  async function insertFee(tx: Tx, auth: AuthContext, c: ContractState, input: CustomFeeInput): Promise<void> {
    assertMayChargeSellers(auth, input.payer);
    if (c.fees.filter((fee) => fee.type === "custom").length >= MAX_CUSTOM_FEES) {
      throw new UnprocessableError("too_many_fees", `A contract has at most ${MAX_CUSTOM_FEES} custom fees.`, "amount");
    }
    const row = await tx.contractFee.create({
      data: {
        id: newId("fee"),
        platformId: c.platformId,
        mode: c.mode,
        contractId: c.id,
        type: "custom",
        amount: input.amount,
        description: input.description ?? null,
        payer: input.payer,
      },
    });
    c.fees.push(row);
  }

  function customFee(c: ContractState, feeId: string) {
    const fee = c.fees.find((f) => f.id === feeId);
    if (!fee) throw new NotFoundError("fee on this contract", feeId, "fee_id");
    if (fee.type !== "custom") {
      throw new UnprocessableError("fee_not_custom", `${feeId} is computed from the fee rates and the contract's fee inclusion; only custom fees can be changed.`, "fee_id");
    }
    return fee;
  }

  const buyerOf = (c: ContractState, userId: string) => {
    const buyer = c.buyers.find((b) => b.userId === userId);
    if (!buyer) throw new NotFoundError("buyer of this contract", userId, "buyer_id");
    return buyer;
  };
  const sellerOf = (c: ContractState, userId: string) => {
    const seller = c.sellers.find((s) => s.userId === userId);
    if (!seller) throw new NotFoundError("seller of this contract", userId, "seller_id");
    return seller;
  };

  function inclusion(input: FeeInclusionInput | ModifyContractInput | FromCartInput | CreateContractInput, current?: ContractState) {
    const all = "feeInclusion" in input ? input.feeInclusion : undefined;
    return {
      includeStripeFees: input.includeStripeFees ?? all ?? current?.includeStripeFees ?? false,
      includeCandleFees: input.includeCandleFees ?? all ?? current?.includeCandleFees ?? false,
      includePlatformFees: input.includePlatformFees ?? all ?? current?.includePlatformFees ?? false,
    };
  }

  return {
    /** The contract object as JSON text (see contractViewText): the route sends it as it is. */
    async retrieve(auth: AuthContext, id: string): Promise<string> {
      const found = await contractViewText(db, tenantOf(auth), id);
      if (!found) throw new NotFoundError("contract", id, "id");
      assertReadable(auth, { id, userId: found.userId, buyers: found.buyers.map((userId) => ({ userId })), sellers: found.sellers.map((userId) => ({ userId })) });
      return found.json;
    },

    /** Every contract of the platform (editors and the key). */
    list: (auth: AuthContext, query: ListContractsQuery): Promise<Page<ContractResponse>> => listContracts(db, tenantOf(auth), query),

    /** The contracts a user buys (or sells) in: editors and the key for anyone, a member for themself. */
    async listForUser(auth: AuthContext, userId: string, side: "buyer" | "seller", query: ListContractsQuery): Promise<Page<ContractResponse>> {
      const tenant = tenantOf(auth);
      const user = await db.user.findFirst({ where: { id: userId, platformId: tenant.platformId, mode: tenant.mode }, select: { id: true } });
      if (!user) throw new NotFoundError("user", userId, "user_id");
      if (!isEditor(auth) && auth.user?.id !== userId) throw new PermissionError("A member lists only their own contracts.", "insufficient_role");
      return listContracts(db, { ...tenant, ...(side === "buyer" ? { buyerUserId: userId } : { sellerUserId: userId }) }, query);
    },

    /** The contracts the signed-in user created, buys or sells in. */
    listForSignedIn: (auth: AuthContext & { user: { id: string } }, query: ListContractsQuery) =>
      listContracts(db, { ...tenantOf(auth), partyUserId: auth.user.id }, query),

    async create(auth: AuthContext, input: CreateContractInput): Promise<ContractResponse> {
      const tenant = tenantOf(auth);
      const creator = input.user_id ?? auth.user?.id ?? null;
      if (input.user_id !== undefined && !isEditor(auth) && input.user_id !== auth.user?.id) {
        throw new PermissionError("A member creates contracts as themself.", "insufficient_role");
      }
      return db.$transaction(async (tx) => {
        if (creator !== null) await resolveUser(tx, tenant, creator, "user_id");
        const id = newId("contract");
        await tx.contract.create({
          data: {
            id,
            ...tenant,
            userId: creator,
            notes: input.notes ?? null,
            due: input.due ?? null,
            currency: input.currency ?? auth.platform.currency,
            ...inclusion(input),
          },
        });
        const c = await loadState(tx, id);
        for (const [i, buyer] of (input.buyers ?? []).entries()) await insertBuyer(tx, c, buyer, `buyers.${i}.user_id`);
        for (const [i, seller] of (input.sellers ?? []).entries()) await insertSeller(tx, auth, c, seller, `sellers.${i}.user_id`);
        for (const item of input.items ?? []) await insertItem(tx, auth, c, item);
        for (const fee of input.fees ?? []) await insertFee(tx, auth, c, fee);
        const after = await loadState(tx, id);
        // An empty draft moves no money; one with parties, items or fees is a deal the member is in.
        if (after.items.length + after.buyers.length + after.sellers.length + after.fees.length > 0) assertInDeal(auth, after);
        await rebalanceAndStore(tx, after, rates);
        return recorded(tx, auth, "contract.created", await view(tx, tenant, id));
      });
    },

    /**
     * One contract from a cart: its items at their effective prices, their sellers as sellers, the
     * cart's owner as the buyer (and creator). The stock is taken in the same transaction with a
     * conditional update per product, so of two buyers racing for the last unit one gets the
     * contract and the other a 409 naming the product. The cart is emptied.
     */
    async fromCart(auth: AuthContext, cartId: string, input: FromCartInput): Promise<ContractResponse> {
      const tenant = tenantOf(auth);
      // Plain SQL throughout: checkout is a hot write, and each Prisma call (a nested create most of
      // all) is compiled on every call — the query-builder version cost ~11 ms of CPU per contract
      // (bench/RESULTS.md).
      return db.$transaction(async (tx) => {
        const [cart] = await tx.$queryRaw<{ id: string; user_id: string; email: string | null; name: string | null }[]>`
          SELECT c.id, c.user_id, u.email, u.name FROM carts c JOIN users u ON u.id = c.user_id AND u.deleted IS NULL
          WHERE c.id = ${cartId} AND c.platform_id = ${tenant.platformId} AND c.mode = ${tenant.mode}::"Mode" FOR UPDATE OF c`;
        // A member's own cart only; anyone else's is not there for them.
        if (!cart || (!isEditor(auth) && cart.user_id !== auth.user?.id)) throw new NotFoundError("cart", cartId, "cart_id");
        const [read] = await tx.$queryRaw<{ lines: string }[]>`
          SELECT coalesce(json_agg(json_build_object(
            'productId', p.id, 'quantity', ci.quantity, 'startDate', ci.start_date, 'endDate', ci.end_date,
            'sellerId', p.user_id, 'sellerEmail', su.email, 'sellerName', su.name, 'type', p.type, 'name', p.name, 'price', p.price,
            'currency', p.currency, 'stock', p.quantity, 'isEnabled', p.is_enabled, 'archived', p.archived IS NOT NULL,
            'useSeasonalPrices', p.use_seasonal_prices,
            'seasons', (SELECT json_agg(json_build_object('seasonStart', s.season_start, 'seasonEnd', s.season_end, 'price', s.price)) FROM seasonal_prices s WHERE s.product_id = p.id),
            'parentOk', coalesce(pp.is_enabled AND pp.archived IS NULL, true)
          ) ORDER BY ci.created, ci.id), '[]')::text AS lines
          FROM cart_items ci
          JOIN products p ON p.id = ci.product_id
          JOIN users su ON su.id = p.user_id
          LEFT JOIN products pp ON pp.id = p.parent_product_id
          WHERE ci.cart_id = ${cart.id} AND ci.platform_id = ${tenant.platformId}`;
        const lines = JSON.parse(read!.lines) as CartLine[];
        if (lines.length === 0) throw new UnprocessableError("cart_empty", `Cart ${cart.id} is empty: add products first.`, "cart_id");
        for (const line of lines) {
          const name = `${line.name} (${line.productId})`;
          if (line.archived || !line.parentOk) throw new ConflictError(line.archived ? "product_archived" : "product_disabled", `${name} is ${line.archived ? "archived" : "disabled"} and cannot be bought.`, "product_id");
          if (!line.isEnabled) throw new ConflictError("product_disabled", `${name} is disabled and cannot be bought.`, "product_id");
          if (line.sellerId === cart.user_id) throw new UnprocessableError("own_product", `${name} is sold by the cart's owner: sellers cannot buy their own products.`, "product_id");
        }

        // Take the stock, product by product in id order (two carts never lock in opposite orders).
        const now = clock.now();
        const wanted = new Map<string, { line: CartLine; units: number }>();
        for (const line of lines) {
          const entry = wanted.get(line.productId) ?? { line, units: 0 };
          entry.units += line.quantity;
          wanted.set(line.productId, entry);
        }
        const limited = new Set<string>();
        for (const [productId, { line, units }] of [...wanted].sort(([a], [b]) => (a < b ? -1 : 1))) {
          await releaseExpiredHolds(tx, productId, now);
          if (line.stock === null) {
            // Unlimited when the cart was read: a share lock keeps it so until this commits.
            const [row] = await tx.$queryRaw<{ quantity: number | null }[]>`SELECT quantity FROM products WHERE id = ${productId} FOR SHARE`;
            if (row?.quantity === null || row?.quantity === undefined) continue;
          }
          const taken = await tx.$executeRaw`
            UPDATE products SET quantity = quantity - ${units}, updated = now()
            WHERE id = ${productId} AND quantity IS NOT NULL AND quantity >= ${units}`;
          if (taken === 0) {
            const [row] = await tx.$queryRaw<{ quantity: number | null }[]>`SELECT quantity FROM products WHERE id = ${productId}`;
            if (row && row.quantity === null) continue;
            throw stockError({ id: productId, name: line.name }, row?.quantity ?? 0, units);
          }
          if (!isEditor(auth)) await assertWithinHoldCap(tx, holds, { id: productId, name: line.name }, cart.user_id, units, units);
          limited.add(productId);
        }

        const items = lines.map((line) => {
          const seasons = (line.seasons ?? []).map((season) => ({ seasonStart: new Date(season.seasonStart), seasonEnd: new Date(season.seasonEnd), price: season.price }));
          const price = effectivePrice(line, seasons, line.startDate ? new Date(line.startDate) : now);
          return { id: newId("contractItem"), line, userId: line.sellerId, price, total: price * line.quantity, reserved: limited.has(line.productId) ? line.quantity : 0 };
        });
        const sellers = [...new Map(lines.map((line) => [line.sellerId, line])).values()];
        const flags = inclusion(input);
        const figures = computeFigures(
          {
            items,
            fees: [],
            buyers: [{ userId: cart.user_id, pinned: false, amountDue: 0 }],
            sellers: sellers.map((line) => ({ userId: line.sellerId, pinned: false, amountOwed: 0 })),
            ...flags,
          },
          rates,
          auth.platform.platformFeeBps,
        );
        // The cart's owner checking out their own cart accepts the contract it becomes, as answered.
        const checkout = auth.user?.id === cart.user_id;
        const bears = (type: string) =>
          (type === "stripe:cc" ? flags.includeStripeFees : type === "candle:base" ? flags.includeCandleFees : flags.includePlatformFees) ? "buyers" : "sellers";
        const fees = figures.fees.filter((fee) => fee.type !== "custom");
        const id = newId("contract");
        const { platformId, mode } = tenant;
        // The contract, its items, buyer, sellers and fees, and the emptied cart: one statement.
        await tx.$executeRaw`
          WITH contract AS (
            INSERT INTO contracts (id, platform_id, mode, user_id, cart_id, notes, due, currency, sub_total, total,
                                   include_stripe_fees, include_candle_fees, include_platform_fees, hold_expires, updated)
            VALUES (${id}, ${platformId}, ${mode}::"Mode", ${cart.user_id}, ${cart.id}, ${input.notes ?? null}, ${input.due ?? null}, ${lines[0]!.currency},
                    ${figures.subTotal}, ${figures.total}, ${flags.includeStripeFees}, ${flags.includeCandleFees}, ${flags.includePlatformFees},
                    ${limited.size > 0 ? holdUntil(holds, now) : null}::timestamptz, now())
          ), items AS (
            INSERT INTO contract_items (id, platform_id, mode, contract_id, user_id, type, product_id, start_date, end_date, quantity, price, total, description, reserved, updated)
            SELECT t.id, ${platformId}, ${mode}::"Mode", ${id}, t.user_id, t.type::"ItemType", t.product_id, t.start_date, t.end_date, t.quantity, t.price, t.total, t.description, t.reserved, now()
            FROM unnest(${items.map((i) => i.id)}::text[], ${items.map((i) => i.userId)}::text[], ${items.map((i) => i.line.type)}::text[],
                        ${items.map((i) => i.line.productId)}::text[], ${items.map((i) => i.line.startDate)}::timestamptz[], ${items.map((i) => i.line.endDate)}::timestamptz[],
                        ${items.map((i) => i.line.quantity)}::int[], ${items.map((i) => i.price)}::int[], ${items.map((i) => i.total)}::int[],
                        ${items.map((i) => i.line.name)}::text[], ${items.map((i) => i.reserved)}::int[])
              AS t(id, user_id, type, product_id, start_date, end_date, quantity, price, total, description, reserved)
          ), buyer AS (
            INSERT INTO contract_buyers (id, platform_id, mode, contract_id, user_id, email, name, base_amount_due, amount_due, position,
                                         accepted, accepted_amount, accepted_currency, updated)
            VALUES (${newId("buyer")}, ${platformId}, ${mode}::"Mode", ${id}, ${cart.user_id}, ${cart.email}, ${cart.name},
                    ${figures.buyers[0]!.baseAmountDue}, ${figures.buyers[0]!.amountDue}, 0,
                    ${checkout ? now : null}::timestamptz, ${checkout ? figures.buyers[0]!.amountDue : null}::int, ${checkout ? lines[0]!.currency : null}::text, now())
          ), sellers AS (
            INSERT INTO contract_sellers (id, platform_id, mode, contract_id, user_id, email, name, base_amount_owed, amount_owed, position, updated)
            SELECT t.id, ${platformId}, ${mode}::"Mode", ${id}, t.user_id, t.email, t.name, t.base, t.owed, t.position, now()
            FROM unnest(${figures.sellers.map(() => newId("seller"))}::text[], ${figures.sellers.map((s) => s.userId)}::text[],
                        ${sellers.map((line) => line.sellerEmail)}::text[], ${sellers.map((line) => line.sellerName)}::text[],
                        ${figures.sellers.map((s) => s.baseAmountOwed)}::int[], ${figures.sellers.map((s) => s.amountOwed)}::int[],
                        ${figures.sellers.map((_, i) => i)}::int[])
              AS t(id, user_id, email, name, base, owed, position)
          ), fees AS (
            INSERT INTO contract_fees (id, platform_id, mode, contract_id, type, amount, payer, updated)
            SELECT t.id, ${platformId}, ${mode}::"Mode", ${id}, t.type::"FeeType", t.amount, t.payer::"FeePayer", now()
            FROM unnest(${fees.map(() => newId("fee"))}::text[], ${fees.map((fee) => fee.type)}::text[], ${fees.map((fee) => fee.amount)}::int[],
                        ${fees.map((fee) => bears(fee.type))}::text[])
              AS t(id, type, amount, payer)
          )
          DELETE FROM cart_items WHERE cart_id = ${cart.id} AND platform_id = ${platformId}`;
        // The cart was emptied: its event, as the carts module records a DELETE /carts/auth.
        const [emptied] = await tx.$queryRaw<{ created: Date; updated: Date }[]>`
          UPDATE carts SET updated = ${now} WHERE id = ${cart.id} RETURNING created, updated`;
        const emptyCart = { id: cart.id, platformId, mode, userId: cart.user_id, created: emptied!.created, updated: emptied!.updated, items: [], currency: auth.platform.currency };
        await recordEvent(tx, { platformId, mode, requestId: auth.requestId, type: "cart.cleared", object: toCartResponse(emptyCart, now) });
        return recorded(tx, auth, "contract.created", await view(tx, tenant, id));
      });
    },

    /** Notes and due date; currency and fee inclusion too while nothing is paid. */
    async modify(auth: AuthContext, id: string, input: ModifyContractInput): Promise<ContractResponse> {
      const tenant = tenantOf(auth);
      return db.$transaction(async (tx) => {
        const c = await lockContract(tx, tenant, id);
        assertManageable(auth, c);
        const flags = inclusion(input, c);
        const moneyChanges =
          (input.currency !== undefined && input.currency !== c.currency) ||
          flags.includeStripeFees !== c.includeStripeFees ||
          flags.includeCandleFees !== c.includeCandleFees ||
          flags.includePlatformFees !== c.includePlatformFees;
        // A member manages their contract while nothing is paid; an editor may still annotate it.
        if (moneyChanges || !isEditor(auth)) assertUnlocked(c);
        if (moneyChanges) assertInDeal(auth, c);
        if (input.currency !== undefined && input.currency !== c.currency) {
          const products = c.items.flatMap((item) => (item.productId ? [item.productId] : []));
          const other = await tx.product.findFirst({ where: { id: { in: products }, currency: { not: input.currency } }, select: { id: true, currency: true } });
          if (other) {
            throw new UnprocessableError("currency_mismatch", `Item ${other.id} is priced in ${other.currency}: a contract has one currency.`, "currency");
          }
        }
        if (moneyChanges) await voidAcceptances(tx, c.id);
        await tx.contract.update({
          where: { id: c.id },
          data: {
            ...(input.notes !== undefined ? { notes: input.notes } : {}),
            ...(input.due !== undefined ? { due: input.due } : {}),
            ...(input.currency !== undefined ? { currency: input.currency } : {}),
            ...flags,
          },
        });
        if (isUnlocked(c)) await rebalanceVoiding(tx, await loadState(tx, id));
        return recorded(tx, auth, "contract.updated", await view(tx, tenant, id));
      });
    },

    /**
     * Like Stripe's invoices: a draft (never sent) is deleted; an open contract that was sent is
     * voided and kept. Either way its stock goes back. Only while nothing is paid.
     */
    async remove(auth: AuthContext, id: string): Promise<ContractResponse> {
      const tenant = tenantOf(auth);
      return db.$transaction(async (tx) => {
        const c = await lockContract(tx, tenant, id);
        assertManageable(auth, c);
        if (c.status === "void" || c.status === "uncollectible") throw new ConflictError("contract_void", `${c.id} is already ${c.status}.`, "id");
        assertUnlocked(c);
        // Subscriptions keep their contract (their terms and history point at it).
        if ((await tx.subscription.count({ where: { contractId: c.id } })) > 0) {
          throw new ConflictError("contract_has_subscriptions", `${c.id} has subscriptions: it is kept for them, and cannot be deleted or voided.`, "id");
        }
        await releaseStock(tx, c.items);
        if (c.status === "draft") {
          const before = await view(tx, tenant, id);
          await tx.contract.delete({ where: { id: c.id } });
          return recorded(tx, auth, "contract.deleted", before);
        }
        await tx.contractItem.updateMany({ where: { contractId: c.id }, data: { reserved: 0 } });
        await tx.contract.update({ where: { id: c.id }, data: { status: "void" } });
        return recorded(tx, auth, "contract.voided", await view(tx, tenant, id));
      });
    },

    addItem: (auth: AuthContext, id: string, input: ItemInput) => change(auth, id, (tx, c) => insertItem(tx, auth, c, input)),

    removeItem: (auth: AuthContext, id: string, itemId: string) =>
      change(auth, id, async (tx, c) => {
        const item = c.items.find((i) => i.id === itemId);
        if (!item) throw new NotFoundError("item on this contract", itemId, "item_id");
        await releaseStock(tx, [item]);
        await tx.contractItem.delete({ where: { id: item.id } });
      }),

    addBuyer: (auth: AuthContext, id: string, input: BuyerInput) => change(auth, id, (tx, c) => insertBuyer(tx, c, input, "user_id")),

    setDue: (auth: AuthContext, id: string, buyerUserId: string, dueAmount: number | null) =>
      change(auth, id, async (tx, c) => {
        const buyer = buyerOf(c, buyerUserId);
        await tx.contractBuyer.update({ where: { id: buyer.id }, data: dueAmount === null ? { pinned: false } : { pinned: true, amountDue: dueAmount } });
      }),

    removeBuyer: (auth: AuthContext, id: string, buyerUserId: string) =>
      change(auth, id, async (tx, c) => {
        await tx.contractBuyer.delete({ where: { id: buyerOf(c, buyerUserId).id } });
      }),

    addSeller: (auth: AuthContext, id: string, input: SellerInput) => change(auth, id, (tx, c) => insertSeller(tx, auth, c, input, "user_id")),

    setOwed: (auth: AuthContext, id: string, sellerUserId: string, owedAmount: number | null) =>
      change(auth, id, async (tx, c) => {
        const seller = sellerOf(c, sellerUserId);
        assertMayPinSeller(auth, seller.userId, "owedAmount");
        await tx.contractSeller.update({ where: { id: seller.id }, data: owedAmount === null ? { pinned: false } : { pinned: true, amountOwed: owedAmount } });
      }),

    removeSeller: (auth: AuthContext, id: string, sellerUserId: string) =>
      change(auth, id, async (tx, c) => {
        const seller = sellerOf(c, sellerUserId);
        const items = c.items.filter((item) => item.userId === seller.userId).length;
        if (items > 0) {
          throw new ConflictError("seller_has_items", `${seller.userId} sells ${items} item(s) of ${c.id}: remove those first.`, "seller_id");
        }
        await tx.contractSeller.delete({ where: { id: seller.id } });
      }),

    addFee: (auth: AuthContext, id: string, input: CustomFeeInput) => change(auth, id, (tx, c) => insertFee(tx, auth, c, input)),

    modifyFee: (auth: AuthContext, id: string, feeId: string, input: ModifyFeeInput) =>
      change(auth, id, async (tx, c) => {
        const fee = customFee(c, feeId);
        assertMayChargeSellers(auth, input.payer ?? (input.amount !== undefined ? fee.payer : undefined));
        await tx.contractFee.update({
          where: { id: fee.id },
          data: {
            ...(input.amount !== undefined ? { amount: input.amount } : {}),
            ...(input.description !== undefined ? { description: input.description } : {}),
            ...(input.payer !== undefined ? { payer: input.payer } : {}),
          },
        });
      }),

    removeFee: (auth: AuthContext, id: string, feeId: string) =>
      change(auth, id, async (tx, c) => {
        await tx.contractFee.delete({ where: { id: customFee(c, feeId).id } });
      }),

    setFeeInclusion: (auth: AuthContext, id: string, input: FeeInclusionInput) =>
      change(auth, id, async (tx, c) => {
        await tx.contract.update({ where: { id: c.id }, data: inclusion(input, c) });
      }),

    /**
     * `GET` / `PUT /contracts/:id/sync`: rebalances with the current rates and answers the contract.
     * Anyone who may read the contract may ask; a contract with something paid keeps its figures.
     */
    async sync(auth: AuthContext, id: string): Promise<ContractResponse> {
      const tenant = tenantOf(auth);
      return db.$transaction(async (tx) => {
        const c = await lockContract(tx, tenant, id);
        assertReadable(auth, c);
        if (!isUnlocked(c)) return view(tx, tenant, id);
        const before = await view(tx, tenant, id);
        await rebalanceVoiding(tx, c);
        const after = await view(tx, tenant, id);
        // Only when the figures moved (the rates changed since): a sync that changes nothing is no event.
        return JSON.stringify(after) === JSON.stringify(before) ? after : recorded(tx, auth, "contract.updated", after);
      });
    },

    /**
     * Emails every buyer the contract (items, their amount due, the due date) through the job
     * queue, in the same transaction; `draft` → `open`; `sent` once, `lastSent` each time.
     */
    async send(auth: AuthContext, id: string): Promise<ContractResponse> {
      const tenant = tenantOf(auth);
      return db.$transaction(async (tx) => {
        let c = await lockContract(tx, tenant, id);
        assertMaySend(auth, c);
        if (c.status !== "draft" && c.status !== "open") {
          throw new ConflictError("contract_not_sendable", `${c.id} is ${c.status}: only draft and open contracts are sent.`, "id");
        }
        if (isUnlocked(c)) c = await rebalanceVoiding(tx, c);
        const missing = c.buyers.length === 0 ? "buyers" : c.sellers.length === 0 ? "sellers" : c.total <= 0 ? "items" : null;
        if (missing) {
          const what = { buyers: "no buyer", sellers: "no seller", items: "nothing to pay (its total is 0)" }[missing];
          throw new UnprocessableError("contract_incomplete", `${c.id} has ${what}: a contract is sent with at least one buyer, one seller and a positive total.`, missing);
        }
        const now = clock.now();
        // A hold that expired takes its stock again (409 when it is gone); sending renews the hold.
        if (isUnlocked(c)) await retakeHolds(tx, c.id, now, holdUntil(holds, now));
        await tx.contract.update({ where: { id: c.id }, data: { status: "open", sent: c.sent ?? now, lastSent: now } });
        const contract = await view(tx, tenant, id);
        const emails = await tx.user.findMany({ where: { id: { in: c.buyers.map((b) => b.userId) }, deleted: null }, select: { id: true, email: true } });
        for (const buyer of c.buyers) {
          const to = emails.find((u) => u.id === buyer.userId)?.email ?? buyer.email;
          if (!to) continue;
          const message = contractEmail({ to, platformName: auth.platform.name, contract, buyerUserId: buyer.userId, url: auth.platform.url });
          await enqueue(tx, "send-email", message, { maxAttempts: 10 });
        }
        return recorded(tx, auth, "contract.sent", contract);
      });
    },

    /**
     * `POST /contracts/:id/accept` (the buyer, signed in): their consent to be charged what they owe
     * now, in the contract's currency — settling charges a buyer only with it, unless they settle
     * themself or the platform (key, owner, admin) does. Any change to the contract's money voids it.
     * Accepting what one already accepted changes nothing and records no event.
     */
    async accept(auth: AuthContext & { user: { id: string } }, id: string): Promise<ContractResponse> {
      const tenant = tenantOf(auth);
      return db.$transaction(async (tx) => {
        let c = await lockContract(tx, tenant, id);
        assertReadable(auth, c);
        if (!c.buyers.some((b) => b.userId === auth.user.id)) throw new PermissionError(`Only a buyer of ${c.id} can accept it.`, "not_contract_buyer");
        if (!isUnlocked(c)) {
          throw new ConflictError("contract_not_acceptable", `${c.id} is ${c.status}${c.status === "open" ? " with something paid" : ""}: only a draft or open contract with nothing paid is accepted.`, "id");
        }
        // They accept the figures as they are now, at the current rates.
        c = await rebalanceVoiding(tx, c);
        const buyer = c.buyers.find((b) => b.userId === auth.user.id)!;
        if (buyer.accepted !== null && buyer.acceptedAmount === buyer.amountDue && buyer.acceptedCurrency === c.currency) return view(tx, tenant, id);
        await tx.contractBuyer.update({ where: { id: buyer.id }, data: { accepted: clock.now(), acceptedAmount: buyer.amountDue, acceptedCurrency: c.currency } });
        return recorded(tx, auth, "contract.accepted", await view(tx, tenant, id));
      });
    },

    mayRead,
  };
}

export type ContractsService = ReturnType<typeof createContractsService>;
