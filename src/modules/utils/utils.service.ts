import type { Db } from "../../db/client.js";
import { FeeRuleError, estimateFees } from "../../domain/fees/index.js";
import type { Platform } from "../../generated/prisma/client.js";
import { UnprocessableError } from "../../lib/errors.js";
import { bpsToPercent } from "../../lib/money.js";
import { type BaseRates, feeRuleError } from "../contracts/index.js";
import { slugifyUsername, usernameCandidates } from "./username.js";
import { takenUsernames } from "../users/index.js";

export interface EstimateFeeInput {
  amount: number;
  feeInclusion?: boolean;
  includeStripeFees?: boolean;
  includeCandleFees?: boolean;
  includePlatformFees?: boolean;
}

export function createUtilsService(deps: { db: Db; rates: BaseRates }) {
  const { db, rates } = deps;
  return {
    /**
     * `POST /utils/estimate/fee`: the figures of a one-buyer, one-seller contract for `amount`, by
     * the same code that prices contracts (`estimateFees`). Without a platform, there is no
     * platform fee. Fee inclusion defaults to a new contract's: every fee on the seller.
     */
    estimateFee(platform: Pick<Platform, "platformFeeBps"> | null, input: EstimateFeeInput) {
      const include = {
        stripe: input.includeStripeFees ?? input.feeInclusion ?? false,
        candle: input.includeCandleFees ?? input.feeInclusion ?? false,
        platform: input.includePlatformFees ?? input.feeInclusion ?? false,
      };
      const platformBps = platform?.platformFeeBps ?? 0;
      let estimate;
      try {
        estimate = estimateFees({ amount: input.amount, rates: { ...rates, platformBps }, include });
      } catch (err) {
        if (err instanceof FeeRuleError) throw feeRuleError(err);
        throw err;
      }
      if (!Number.isSafeInteger(estimate.total)) throw new UnprocessableError("amount_too_large", "The amount is too large to estimate.", "amount");
      return {
        ...estimate,
        includeStripeFees: include.stripe,
        includeCandleFees: include.candle,
        includePlatformFees: include.platform,
        rates: {
          stripePercent: bpsToPercent(rates.stripePercentBps),
          stripeFixed: rates.stripeFixedCents,
          candlePercent: bpsToPercent(rates.candleBps),
          platformFee: bpsToPercent(platformBps),
        },
      };
    },

    /** A valid username not taken on the platform, derived from free text, with up to 4 alternatives. */
    async generateUsername(platform: Platform, text: string): Promise<{ username: string; alternatives: string[] }> {
      const base = slugifyUsername(text.includes("@") ? text.split("@")[0]! : text);
      const candidates = usernameCandidates(base);
      const taken = await takenUsernames(db, platform.id, candidates);
      const free = candidates.filter((c) => !taken.has(c));
      // The candidate list always ends in 20 random suffixes, so running out means a pathological platform.
      return { username: free[0]!, alternatives: free.slice(1, 5) };
    },
  };
}

export type UtilsService = ReturnType<typeof createUtilsService>;
