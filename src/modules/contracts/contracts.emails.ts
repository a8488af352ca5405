import type { EmailMessage } from "../../adapters/mailer/mailer.js";
import { formatMoney } from "../../lib/money.js";
import type { ContractResponse } from "./contracts.schemas.js";

/** The contract as one buyer receives it: the items, what they owe, and when. */
export function contractEmail(input: { to: string; platformName: string; contract: ContractResponse; buyerUserId: string; url: string | null }): EmailMessage {
  const { contract } = input;
  const buyer = contract.buyers.find((b) => b.user_id === input.buyerUserId)!;
  const money = (cents: number) => formatMoney(cents, contract.currency);
  const lines = contract.items.map((item) => `- ${item.description ?? item.product_id ?? item.type}: ${item.quantity} × ${money(item.price)} = ${money(item.total)}`);
  const fees = contract.fees
    .filter((fee) => fee.payer === "buyers" && fee.type !== "custom" && fee.type !== "shipping")
    .map((fee) => `- ${feeName(fee.type)}: ${money(fee.amount)}`);
  const shipping = contract.shipping.map((line) => `- ${line.title}: ${money(line.amount)}`);
  const custom = contract.fees.filter((fee) => fee.type === "custom" && fee.payer === "buyers").map((fee) => `- ${fee.description ?? "Fee"}: ${money(fee.amount)}`);
  const left = buyer.amountDue - buyer.amountPaid;
  const text = [
    `${input.platformName} sent you contract ${contract.id}.`,
    "",
    "Items:",
    ...(lines.length ? lines : ["- (none)"]),
    ...(shipping.length ? ["", "Shipping:", ...shipping] : []),
    ...(custom.length ? ["", "Fees:", ...custom] : []),
    ...(fees.length ? ["", "Processing fees included:", ...fees] : []),
    "",
    `Contract total: ${money(contract.total)}`,
    `Your amount due: ${money(buyer.amountDue)}${buyer.amountPaid > 0 ? ` (paid ${money(buyer.amountPaid)}, ${money(left)} left)` : ""}`,
    contract.due ? `Due: ${contract.due}` : "No due date.",
    ...(contract.notes ? ["", contract.notes] : []),
    ...(input.url ? ["", `Review and pay at ${input.url}`] : []),
    "",
  ].join("\n");
  return {
    to: input.to,
    subject: `${input.platformName}: ${money(left)} due${contract.due ? ` by ${contract.due.slice(0, 10)}` : ""} (contract ${contract.id})`,
    text,
  };
}

function feeName(type: string): string {
  return type.startsWith("stripe:") ? "Payment processing" : type === "candle:base" ? "Service fee" : "Platform fee";
}
