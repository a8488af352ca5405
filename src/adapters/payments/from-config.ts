import type { PaymentsConfig } from "../../config.js";
import type { Db } from "../../db/client.js";
import type { Clock } from "../../lib/time.js";
import type { PaymentsGateway } from "./gateway.js";
import { createOfflineGateway, type OfflinePaymentsGateway } from "./offline.js";
import { createStripeGateway } from "./stripe.js";

/** The gateway the configuration asks for: Stripe with a secret key, else the offline simulator. */
export function createPaymentsGateway(input: { payments: PaymentsConfig; publicUrl: string; db: Db; clock: Clock }): PaymentsGateway {
  const { payments } = input;
  if (payments.kind === "stripe") {
    return createStripeGateway({ secretKey: payments.secretKey, webhookSecret: payments.webhookSecret, clock: input.clock });
  }
  return createOfflineGateway({ db: input.db, publicUrl: input.publicUrl, webhookSecret: payments.webhookSecret, clock: input.clock });
}

export function isOfflineGateway(gateway: PaymentsGateway): gateway is OfflinePaymentsGateway {
  return gateway.kind === "offline" && typeof (gateway as Partial<OfflinePaymentsGateway>).completeOnboarding === "function";
}
