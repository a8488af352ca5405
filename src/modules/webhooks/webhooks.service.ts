import type { HostResolver } from "../../adapters/webhooks/public-address.js";
import type { Db } from "../../db/client.js";
import { systemClock, type Clock } from "../../lib/time.js";
import type { AuthContext } from "../../plugins/auth.js";
import { deliveries, resend, sendTest } from "./operations/deliveries.js";
import { create, list, remove, update } from "./operations/endpoints.js";
import { rotateSecret } from "./operations/rotate-secret.js";
import { find, type WebhooksContext } from "./operations/shared.js";

export {
  DEFAULT_SECRET_OVERLAP_SECONDS,
  MAX_WEBHOOK_ENDPOINTS,
  generateWebhookSecret,
  toWebhookDeliveryResponse,
  toWebhookEndpointResponse,
} from "./webhooks.view.js";

/** The webhook endpoints' operations, one file each under operations/, bound to their dependencies. */
export function createWebhooksService(deps: { db: Db; allowPrivate: boolean; resolve: HostResolver; clock?: Clock }) {
  const ctx: WebhooksContext = { db: deps.db, clock: deps.clock ?? systemClock, allowPrivate: deps.allowPrivate, resolve: deps.resolve };
  type Rest<F> = F extends (ctx: WebhooksContext, ...rest: infer A) => infer R ? (...rest: A) => R : never;
  const bind = <F extends (ctx: WebhooksContext, ...rest: never[]) => unknown>(f: F): Rest<F> =>
    ((...rest: unknown[]) => (f as unknown as (...a: unknown[]) => unknown)(ctx, ...rest)) as Rest<F>;
  return {
    create: bind(create),
    list: bind(list),
    retrieve: (auth: AuthContext, id: string) => find(deps.db, auth, id),
    update: bind(update),
    remove: bind(remove),
    sendTest: bind(sendTest),
    resend: bind(resend),
    rotateSecret: bind(rotateSecret),
    deliveries: bind(deliveries),
  };
}

export type WebhooksService = ReturnType<typeof createWebhooksService>;
