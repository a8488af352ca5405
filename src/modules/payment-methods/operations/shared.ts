import type { FastifyBaseLogger } from "fastify";
import type { PaymentsGateway } from "../../../adapters/payments/gateway.js";
import type { Db } from "../../../db/client.js";
import type { Tenant } from "../../../db/tenant.js";
import type { PaymentMethod } from "../../../generated/prisma/client.js";
import type { Mode } from "../../../generated/prisma/enums.js";
import { NotFoundError } from "../../../lib/errors.js";
import type { EventType, RecordEventInput } from "../../events/index.js";
import { toPaymentMethodResponse, type UsersService } from "../../users/index.js";

export type Gateway = Pick<
  PaymentsGateway,
  "createCustomer" | "createSetupIntent" | "attachPaymentMethod" | "retrievePaymentMethod" | "detachPaymentMethod" | "setDefaultPaymentMethod"
>;

/** What every payment-method operation works with. */
export interface PaymentMethodsContext {
  db: Db;
  payments: Gateway;
  users: Pick<UsersService, "view">;
  log: Pick<FastifyBaseLogger, "warn">;
}

export interface Owner {
  id: string;
  platformId: string;
  mode: Mode;
}

/** A change to one payment method, for the events its transaction records once its writes are done. */
export function change(type: EventType, row: PaymentMethod, requestId: string | undefined): RecordEventInput {
  return { platformId: row.platformId, mode: row.mode, requestId, type, object: toPaymentMethodResponse(row) };
}

export async function findPaymentMethod(ctx: PaymentMethodsContext, tenant: Tenant, userId: string, ref: string): Promise<PaymentMethod> {
  const row = await ctx.db.paymentMethod.findFirst({
    where: { userId, platformId: tenant.platformId, mode: tenant.mode, OR: [{ id: ref }, { stripePaymentMethodId: ref }] },
  });
  if (!row) throw new NotFoundError("payment method", ref, "payment_method_id");
  return row;
}
