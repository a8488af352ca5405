/**
 * A contract whose figures cannot add up. Deliberately free of HTTP: the service layer maps it to a
 * 422, carrying `code` and `gapCents` so clients can show how far off they are.
 */
export type FeeRuleCode =
  /** Pinned amounts add up to more than there is to split. */
  | "pinned_amounts_exceed_total"
  /** Every party is pinned, and the pins add up to less than there is to split. */
  | "pinned_amounts_below_total"
  /** The fees the sellers bear exceed what the contract charges. */
  | "amount_too_small";

export type FeeParty = "buyers" | "sellers";

export class FeeRuleError extends Error {
  readonly code: FeeRuleCode;
  /** How far off the figures are, in cents; always positive. */
  readonly gapCents: number;
  /** Whose amounts do not add up (absent for `amount_too_small`, which is the contract's). */
  readonly party?: FeeParty;

  constructor(code: FeeRuleCode, gapCents: number, message: string, party?: FeeParty) {
    super(message);
    this.name = "FeeRuleError";
    this.code = code;
    this.gapCents = gapCents;
    if (party !== undefined) this.party = party;
  }
}
