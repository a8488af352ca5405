import type { OfflinePaymentsGateway } from "../../src/adapters/payments/offline.js";
import { allocateLargestRemainder, applyBps, resolveRates, stripeActualFee } from "../../src/domain/fees/index.js";
import type { Transaction } from "../../src/generated/prisma/client.js";
import { newId } from "../../src/lib/ids.js";
import { recordSettlementTransactions } from "../../src/modules/settlement/index.js";
import type { TestContext, TestPlatform } from "./app.js";

/**
 * A paid contract, settled the way contracts settlement does it: each buyer charged through the
 * offline gateway, each seller paid by a transfer from the charge, and the movements recorded with
 * `recordSettlementTransactions` — so refunds can go through the same gateway.
 */
export interface SettledContract {
  contractId: string;
  transferGroup: string;
  charges: Transaction[];
  transfers: Transaction[];
  fees: Transaction[];
  all: Transaction[];
}

let n = 0;

export async function settleContract(
  t: TestContext,
  platform: TestPlatform,
  input: {
    buyers: { userId: string; amount: number }[];
    sellers: { userId: string; weight: number }[];
    currency?: string;
    platformBps?: number;
    paid?: Date;
    paymentMethod?: string;
  },
): Promise<SettledContract> {
  const payments = t.app.services.payments as OfflinePaymentsGateway;
  const currency = input.currency ?? "usd";
  const tenant = { platformId: platform.id, mode: platform.mode };
  const contractId = newId("contract");
  const transferGroup = contractId;
  const total = input.buyers.reduce((s, b) => s + b.amount, 0);
  const rates = resolveRates({ platformBps: input.platformBps ?? 250 });
  const fees = {
    stripe: input.buyers.reduce((s, b) => s + stripeActualFee(b.amount, rates), 0),
    candle: applyBps(total, rates.candleBps),
    platform: applyBps(total, rates.platformBps),
  };
  const payout = total - fees.stripe - fees.candle - fees.platform;
  const owed = allocateLargestRemainder(
    payout,
    input.sellers.map((s) => s.weight),
  );
  const paid = input.paid ?? new Date();

  await t.db.contract.create({
    data: {
      id: contractId,
      ...tenant,
      currency,
      status: "paid",
      subTotal: payout,
      total,
      paid,
      buyers: { create: input.buyers.map((b, i) => ({ id: newId("buyer"), ...tenant, userId: b.userId, amountDue: b.amount, amountPaid: b.amount, position: i })) },
      sellers: { create: input.sellers.map((s, i) => ({ id: newId("seller"), ...tenant, userId: s.userId, amountOwed: owed[i]!, amountReceived: owed[i]!, position: i })) },
    },
  });

  const charges: { buyerUserId: string; amount: number; stripeChargeId: string; stripePaymentIntentId: string }[] = [];
  for (const buyer of input.buyers) {
    n += 1;
    const customer = await payments.createCustomer({ email: `buyer${n}@example.com`, metadata: {}, idempotencyKey: `test:customer:${contractId}:${n}` });
    const pm = await payments.attachPaymentMethod({
      customerId: customer.id,
      paymentMethodId: input.paymentMethod ?? "pm_card_visa",
      idempotencyKey: `test:attach:${contractId}:${n}`,
    });
    const intent = await payments.createPaymentIntent({
      amount: buyer.amount,
      currency,
      customerId: customer.id,
      paymentMethodId: pm.id,
      transferGroup,
      metadata: { contract_id: contractId, platform_id: platform.id, mode: platform.mode },
      idempotencyKey: `charge:${contractId}:${buyer.userId}`,
    });
    charges.push({ buyerUserId: buyer.userId, amount: buyer.amount, stripeChargeId: intent.chargeId!, stripePaymentIntentId: intent.id });
  }
  const transfers: { sellerUserId: string; amount: number; stripeTransferId: string }[] = [];
  for (const [i, seller] of input.sellers.entries()) {
    n += 1;
    const account = await payments.createConnectAccount({ email: `seller${n}@example.com`, metadata: {}, idempotencyKey: `test:account:${contractId}:${n}` });
    await t.db.simAccount.update({ where: { id: account.id }, data: { chargesEnabled: true, detailsSubmitted: true } });
    const transfer = await payments.createTransfer({
      amount: owed[i]!,
      currency,
      destination: account.id,
      transferGroup,
      metadata: { contract_id: contractId },
      idempotencyKey: `transfer:${contractId}:${seller.userId}`,
    });
    transfers.push({ sellerUserId: seller.userId, amount: owed[i]!, stripeTransferId: transfer.id });
  }

  const all = await t.db.$transaction((tx) => recordSettlementTransactions(tx, { ...tenant, contractId, currency, transferGroup, charges, transfers, fees }));
  return {
    contractId,
    transferGroup,
    charges: all.filter((x) => x.type === "incoming"),
    transfers: all.filter((x) => x.type === "outgoing"),
    fees: all.filter((x) => x.type.startsWith("fee_")),
    all,
  };
}
