import type { Tx } from "../../../db/tenant.js";
import { NotFoundError, PermissionError, UnprocessableError } from "../../../lib/errors.js";
import { newId } from "../../../lib/ids.js";
import type { AuthContext } from "../../../plugins/auth.js";
import { MAX_CUSTOM_FEES, type CustomFeeInput, type FeeInclusionInput, type ModifyFeeInput } from "../contracts.schemas.js";
import { isEditor } from "../contracts.state.js";
import { type ContractState } from "../contracts.repo.js";
import { change, inclusion, type ContractsContext } from "./shared.js";

/** A contract's custom fees, and who bears the computed ones (fee inclusion). */

export function assertMayChargeSellers(auth: AuthContext, payer: "buyers" | "sellers" | undefined): void {
  if (payer !== "sellers" || isEditor(auth)) return;
  throw new PermissionError("fee_payer_forbidden", "Only an editor or the platform key can add a fee the sellers pay.");
}

export async function insertFee(tx: Tx, auth: AuthContext, c: ContractState, input: CustomFeeInput): Promise<void> {
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

export const addFee = (ctx: ContractsContext, auth: AuthContext, id: string, input: CustomFeeInput) => change(ctx, auth, id, (tx, c) => insertFee(tx, auth, c, input));

export const modifyFee = (ctx: ContractsContext, auth: AuthContext, id: string, feeId: string, input: ModifyFeeInput) =>
  change(ctx, auth, id, async (tx, c) => {
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
  });

export const removeFee = (ctx: ContractsContext, auth: AuthContext, id: string, feeId: string) =>
  change(ctx, auth, id, async (tx, c) => {
    await tx.contractFee.delete({ where: { id: customFee(c, feeId).id } });
  });

export const setFeeInclusion = (ctx: ContractsContext, auth: AuthContext, id: string, input: FeeInclusionInput) =>
  change(ctx, auth, id, async (tx, c) => {
    await tx.contract.update({ where: { id: c.id }, data: inclusion(input, c) });
  });
