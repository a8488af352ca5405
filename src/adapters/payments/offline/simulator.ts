import Stripe from "stripe";
import type { Db } from "../../../db/client.js";
import type { Prisma, SimCustomer, SimPaymentIntent } from "../../../generated/prisma/client.js";
import { sha256Hex } from "../../../lib/crypto.js";
import type { Clock } from "../../../lib/time.js";
import { CardError, PaymentsIdempotencyError, PaymentsRequestError } from "../errors.js";
import type { Tx } from "../../../db/tenant.js";
import { canonical, missing, stripeId } from "./helpers.js";

export const ACCOUNT_LINK_TTL_MS = 5 * 60 * 1000;
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
// A retry waits here for the first request with its key to finish; give it room.
export const IDEMPOTENT_TRANSACTION = { maxWait: 5_000, timeout: 15_000 };
/** How many times the simulator delivers an event whose handling fails (e.g. a dispute of a charge not recorded yet). */
const EVENT_ATTEMPTS = 12;
export const ONBOARDED = { payoutInterval: "daily", payoutDelayDays: 2, bankLast4: "6789" } as const;

export type Outcome = { ok: unknown } | { error: { code: string; declineCode: string | null; message: string; paymentIntentId: string | null; chargeId: string | null } };

/** Deletes the simulator's idempotency keys past their 24 hours (the `sweep-idempotency` job); answers how many. */
export async function sweepSimulatorIdempotencyKeys(db: Db, now: Date): Promise<number> {
  const { count } = await db.simIdempotencyKey.deleteMany({ where: { created: { lt: new Date(now.getTime() - IDEMPOTENCY_TTL_MS) } } });
  return count;
}

/** The simulator's store and clock, and the steps every operation of it takes. */
export interface Simulator {
  db: Db;
  clock: Clock;
  publicUrl: string;
  idempotent<T>(key: string, operation: string, params: unknown, run: (tx: Tx, now: Date) => Promise<T>): Promise<T>;
  customerOrFail(tx: Tx, customerId: string, param?: string): Promise<SimCustomer>;
  paymentIntentOrFail(tx: Tx | Db, id: string, param?: string): Promise<SimPaymentIntent>;
  /** A Stripe event about `object`, as Stripe would deliver it: its body and `Stripe-Signature` header, signed with the webhook secret. */
  signedEvent(type: string, object: Record<string, unknown>, account?: string): SignedEvent;
  /**
   * Sends an event as Stripe would, in the background: to the sink set with `deliverEventsTo`,
   * again after a failure (Stripe retries a 5xx for days; the simulator for a few seconds).
   */
  emit(event: SignedEvent): void;
  deliverEventsTo(sink: (event: SignedEvent) => Promise<unknown>): void;
  /** Resolves once every event emitted so far was delivered or given up on. */
  idle(): Promise<void>;
}

export interface SignedEvent {
  rawBody: string;
  signature: string;
}

export function createSimulator(db: Db, clock: Clock, publicUrl: string, webhookSecret = ""): Simulator {
  /**
   * Runs `run` once per idempotency key, like Stripe: a retry with the same request gets the
   * first result (or the first decline) again; a different request with the key is refused.
   * Same-key calls are serialized by an advisory lock, so concurrent retries cannot both run.
   */
  async function idempotent<T>(key: string, operation: string, params: unknown, run: (tx: Tx, now: Date) => Promise<T>): Promise<T> {
    if (typeof key !== "string" || key.length === 0 || key.length > 255) {
      throw new PaymentsRequestError("idempotency_key_invalid", "Idempotency keys must be 1 to 255 characters long.", { param: "idempotencyKey" });
    }
    const requestHash = sha256Hex(JSON.stringify(canonical({ operation, params })));
    const outcome = await db.$transaction(async (tx): Promise<Outcome> => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`sim-idempotency:${key}`}, 0))`;
      const now = clock.now();
      const existing = await tx.simIdempotencyKey.findUnique({ where: { key } });
      if (existing && existing.created.getTime() > now.getTime() - IDEMPOTENCY_TTL_MS) {
        if (existing.operation !== operation || existing.requestHash !== requestHash) {
          throw new PaymentsIdempotencyError(
            "idempotency_key_reused",
            `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
          );
        }
        return existing.outcome as Outcome;
      }
      let result: Outcome;
      try {
        result = { ok: await run(tx, now) };
      } catch (err) {
        // Stripe keeps a decline as the key's answer (the declined PaymentIntent exists); other errors are not kept.
        if (!(err instanceof CardError)) throw err;
        result = { error: { code: err.code, declineCode: err.declineCode, message: err.message, paymentIntentId: err.paymentIntentId, chargeId: err.chargeId } };
      }
      const record = { operation, requestHash, outcome: result as Prisma.InputJsonValue, created: now };
      await tx.simIdempotencyKey.upsert({ where: { key }, create: { key, ...record }, update: record });
      return result;
    }, IDEMPOTENT_TRANSACTION);
    if ("error" in outcome) throw new CardError(outcome.error);
    return outcome.ok as T;
  }

  async function customerOrFail(tx: Tx, customerId: string, param?: string) {
    const customer = await tx.simCustomer.findUnique({ where: { id: customerId } });
    if (!customer) throw missing("customer", customerId, param);
    return customer;
  }

  async function paymentIntentOrFail(tx: Tx | Db, id: string, param?: string) {
    const intent = await tx.simPaymentIntent.findUnique({ where: { id } });
    if (!intent) throw missing("payment_intent", id, param);
    return intent;
  }

  function signedEvent(type: string, object: Record<string, unknown>, account?: string): SignedEvent {
    const created = Math.floor(clock.now().getTime() / 1000);
    const rawBody = JSON.stringify({
      id: stripeId("evt"),
      object: "event",
      api_version: "2025-01-27.acacia",
      created,
      livemode: false,
      type,
      ...(account ? { account } : {}),
      data: { object },
    });
    // The first of the configured secrets: the one Stripe's own endpoint would sign with.
    const secret = webhookSecret.split(",")[0]!.trim();
    return { rawBody, signature: Stripe.webhooks.generateTestHeaderString({ payload: rawBody, secret, timestamp: created }) };
  }

  let sink: ((event: SignedEvent) => Promise<unknown>) | null = null;
  const inFlight = new Set<Promise<void>>();
  function emit(event: SignedEvent): void {
    if (!sink) return;
    const deliver = sink;
    const run = (async () => {
      for (let attempt = 0; attempt < EVENT_ATTEMPTS; attempt++) {
        try {
          await deliver(event);
          return;
        } catch {
          await new Promise((resolve) => setTimeout(resolve, Math.min(2_000, 50 * 2 ** attempt)));
        }
      }
    })();
    inFlight.add(run);
    void run.finally(() => inFlight.delete(run));
  }
  async function idle(): Promise<void> {
    while (inFlight.size > 0) await Promise.all([...inFlight]);
  }

  return {
    db,
    clock,
    publicUrl,
    idempotent,
    customerOrFail,
    paymentIntentOrFail,
    signedEvent,
    emit,
    idle,
    deliverEventsTo: (s) => {
      sink = s;
    },
  };
}
