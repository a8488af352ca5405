import type { Tenant, Tx } from "../../db/tenant.js";
import { enqueue } from "../../jobs/queue.js";
import { formatMoney } from "../../lib/money.js";
import { contractView, type ContractResponse } from "../contracts/index.js";
import type { RecordEventInput } from "../events/index.js";
import { platformBranding } from "../platforms/index.js";
import { activeEmailsOf } from "../users/index.js";
import { renderEmail, type Branding, type EmailContent } from "./templates.js";

/**
 * Emails about a contract to the people it concerns, queued (`send-email` jobs) in the caller's
 * transaction, so they are sent exactly when the change commits:
 *
 * | kind | to | sent on |
 * |---|---|---|
 * | `order.paid` | each seller | `contract.paid` (a new order) |
 * | `payout.sent` | the seller paid | `transaction.created` of an `outgoing` transfer |
 * | `refund.succeeded` | the buyer refunded | `transaction.updated` of an `incoming:refund` that succeeded |
 * | `refund_request.created` | the sellers concerned | `refund_request.created` |
 * | `refund_request.declined` | the buyer | `refund_request.declined` |
 * | `order.to_accept` | each seller | `contract.authorized` (an order awaiting their acceptance, with its deadline) |
 * | `order.accepted` | the buyers | `contract.order_accepted` |
 * | `order.declined` | the buyers | `contract.declined`, `contract.expired` (nobody accepted in time) |
 * | `order.fulfilled` | the buyers | `contract.fulfilled`, with the tracking when given |
 * | `order.capture_failed` | the buyers and the sellers | `contract.capture_failed` |
 *
 * Each follows from its event (`onEvent`, a listener of the events module), so the emails are
 * queued in the transaction that records the change and every step has its webhook too;
 * `notifyContract` also sends one on its own.
 */

export const NOTIFICATION_KINDS = [
  "order.paid",
  "payout.sent",
  "refund.succeeded",
  "refund_request.created",
  "refund_request.declined",
  "order.to_accept",
  "order.accepted",
  "order.declined",
  "order.fulfilled",
  "order.capture_failed",
] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

export interface NotifyInput extends Tenant {
  kind: NotificationKind;
  contractId: string;
  /** Whom to email; default: whom the kind concerns (the sellers, or the buyers). */
  userIds?: readonly string[];
  /** The amount the email is about (a payout, a refund, a request), cents. */
  amount?: number;
  /** A reason given (a declined request or order). */
  reason?: string | null;
  /** The contract as `contractView` answers it now, when the caller has it (an event's object): not read again. */
  contract?: ContractResponse;
}

/** Queues the emails of `kind` about the contract; answers how many. Nothing for a contract the tenant does not have. */
export async function notifyContract(tx: Tx, input: NotifyInput): Promise<number> {
  const contract = input.contract ?? (await contractView(tx, input, input.contractId));
  if (!contract) return 0;
  const toSellers = input.kind === "order.paid" || input.kind === "payout.sent" || input.kind === "refund_request.created" || input.kind === "order.to_accept";
  const toBoth = input.kind === "order.capture_failed";
  const sellers = contract.sellers.map((s) => s.user_id);
  const buyers = contract.buyers.map((b) => b.user_id);
  const userIds = input.userIds ?? (toBoth ? [...new Set([...buyers, ...sellers])] : toSellers ? sellers : buyers);
  if (userIds.length === 0) return 0;
  const brand = await platformBranding(tx, input.platformId);
  const emails = await activeEmailsOf(tx, userIds);
  let queued = 0;
  for (const userId of userIds) {
    const to = emails.find((u) => u.id === userId)?.email;
    if (!to) continue;
    await enqueue(tx, "send-email", renderEmail(to, brand, content(input, contract, userId, brand)), { maxAttempts: 10 });
    queued += 1;
  }
  return queued;
}

/** The events listener: the notifications that follow from an event. */
export async function onEvent(tx: Tx, event: RecordEventInput): Promise<void> {
  const tenant = { platformId: event.platformId, mode: event.mode };
  const o = event.object as Record<string, unknown>;
  const str = (key: string) => (typeof o[key] === "string" ? (o[key] as string) : null);
  switch (event.type) {
    case "contract.paid":
      // The event's object is the contract as it is now, read in this transaction (settle/charges.ts).
      await notifyContract(tx, { ...tenant, kind: "order.paid", contractId: event.object.id, contract: event.object as unknown as ContractResponse });
      return;
    case "contract.authorized":
      await notifyContract(tx, { ...tenant, kind: "order.to_accept", contractId: event.object.id });
      return;
    case "contract.order_accepted":
      await notifyContract(tx, { ...tenant, kind: "order.accepted", contractId: event.object.id });
      return;
    case "contract.declined":
    case "contract.expired":
      await notifyContract(tx, {
        ...tenant,
        kind: "order.declined",
        contractId: event.object.id,
        reason: event.type === "contract.expired" ? "The seller did not accept it in time." : null,
      });
      return;
    case "contract.fulfilled":
      await notifyContract(tx, { ...tenant, kind: "order.fulfilled", contractId: event.object.id });
      return;
    case "contract.capture_failed":
      await notifyContract(tx, { ...tenant, kind: "order.capture_failed", contractId: event.object.id });
      return;
    case "transaction.created":
    case "transaction.updated": {
      const contractId = str("contract_id");
      if (!contractId || o.status !== "succeeded") return;
      // A settlement's transfer (not one made again after a won dispute, `refund_of` set).
      if (event.type === "transaction.created" && o.type === "outgoing" && !o.refund_of && str("seller_user_id")) {
        await notifyContract(tx, { ...tenant, kind: "payout.sent", contractId, userIds: [str("seller_user_id")!], amount: o.amount as number });
      } else if (o.type === "incoming:refund" && str("buyer_user_id")) {
        await notifyContract(tx, { ...tenant, kind: "refund.succeeded", contractId, userIds: [str("buyer_user_id")!], amount: o.amount as number });
      }
      return;
    }
    case "refund_request.created": {
      const sellers = o.seller_user_ids as string[];
      await notifyContract(tx, {
        ...tenant,
        kind: "refund_request.created",
        contractId: str("contract_id")!,
        ...(sellers.length > 0 ? { userIds: sellers } : {}),
        amount: o.amount as number,
        reason: str("reason"),
      });
      return;
    }
    case "refund_request.declined":
      await notifyContract(tx, {
        ...tenant,
        kind: "refund_request.declined",
        contractId: str("contract_id")!,
        userIds: [str("buyer_user_id")!],
        amount: o.amount as number,
        reason: str("decline_reason"),
      });
      return;
    default:
      return;
  }
}

function content(input: NotifyInput, c: ContractResponse, userId: string, brand: Branding): EmailContent {
  const money = (cents: number) => formatMoney(cents, c.currency);
  const action = brand.url ? { label: `Open ${brand.name}`, url: brand.url } : null;
  const ref = `order ${c.id}`;
  const amount = money(input.amount ?? 0);
  switch (input.kind) {
    case "order.paid": {
      const mine = c.items.filter((it) => it.user_id === userId);
      const owed = c.sellers.find((s) => s.user_id === userId)?.amountOwed ?? 0;
      return {
        subject: `New order ${c.id}`,
        heading: "You have a new order",
        paragraphs: [`The buyer paid ${ref}. What it buys from you is below; ${money(owed)} is yours once the fees are taken.`],
        rows: [...mine.map((it): [string, string] => [`${it.description ?? it.product_id ?? it.type} × ${it.quantity}`, money(it.total)]), ["You receive", money(owed)]],
        action,
      };
    }
    case "payout.sent":
      return {
        subject: `Payout of ${amount} sent`,
        heading: "Your payout is on its way",
        paragraphs: [`${amount} for ${ref} was transferred to your payout account.`],
        action,
      };
    case "refund.succeeded":
      return {
        subject: `Refund of ${amount}`,
        heading: "You have been refunded",
        paragraphs: [`${amount} of what you paid for ${ref} is on its way back to your card. It can take a few days to appear on your statement.`],
        action,
      };
    case "refund_request.created":
      return {
        subject: `Refund requested for ${ref}`,
        heading: "A buyer asked for a refund",
        paragraphs: [`A buyer of ${ref} asked for ${amount} back.`, ...(input.reason ? [`Their reason: ${input.reason}`] : []), "Approve or decline the request."],
        action,
      };
    case "refund_request.declined":
      return {
        subject: `Refund request declined for ${ref}`,
        heading: "Your refund request was declined",
        paragraphs: [`Your request for ${amount} back for ${ref} was declined.`, ...(input.reason ? [`Reason: ${input.reason}`] : [])],
        action,
      };
    case "order.to_accept": {
      const mine = c.items.filter((it) => it.user_id === userId);
      const owed = c.sellers.find((s) => s.user_id === userId)?.amountOwed ?? 0;
      return {
        subject: `Order ${c.id} to accept`,
        heading: "An order awaits your acceptance",
        paragraphs: [
          `The buyer's card is authorised for ${ref}; nothing is charged until you accept it.`,
          c.acceptBy ? `Accept or decline it by ${c.acceptBy} (UTC): after that it is declined by itself and the buyer released.` : "Accept or decline it.",
        ],
        rows: [...mine.map((it): [string, string] => [`${it.description ?? it.product_id ?? it.type} × ${it.quantity}`, money(it.total)]), ["You receive", money(owed)]],
        action,
      };
    }
    case "order.capture_failed":
      return {
        subject: `Order ${c.id} could not be paid`,
        heading: "The order's payment failed",
        paragraphs: [
          `The card's payment for ${ref} could not be taken after the order was accepted (the authorisation expired, or the bank refused it), so the order was canceled.`,
          "Nothing is charged; anything taken already is refunded.",
        ],
        action,
      };
    case "order.accepted":
      return { subject: `Order ${c.id} accepted`, heading: "Your order was accepted", paragraphs: [`The seller accepted ${ref}.`], action };
    case "order.declined":
      return {
        subject: `Order ${c.id} declined`,
        heading: "Your order was declined",
        paragraphs: [`The seller declined ${ref}; you are not charged for it.`, ...(input.reason ? [`Reason: ${input.reason}`] : [])],
        action,
      };
    case "order.fulfilled": {
      const t = c.tracking;
      const shipment = t && (t.carrier || t.number) ? [`It was shipped${t.carrier ? ` with ${t.carrier}` : ""}${t.number ? `, tracking number ${t.number}` : ""}.`] : [];
      const follow = t?.url ? { label: "Track the shipment", url: t.url } : action;
      return { subject: `Order ${c.id} fulfilled`, heading: "Your order was fulfilled", paragraphs: [`The seller fulfilled ${ref}.`, ...shipment], action: follow };
    }
  }
}
