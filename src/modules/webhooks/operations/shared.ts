import { assertPublicHost, NonPublicAddressError, type HostResolver } from "../../../adapters/webhooks/public-address.js";
import type { Db, Prisma } from "../../../db/client.js";
import type { WebhookEndpoint } from "../../../generated/prisma/client.js";
import { ConflictError, NotFoundError, ValidationError } from "../../../lib/errors.js";
import type { Clock } from "../../../lib/time.js";
import type { AuthContext } from "../../../plugins/auth.js";

/** What every webhook-endpoint operation works with, and the steps they share. */
export interface WebhooksContext {
  db: Db;
  clock: Clock;
  allowPrivate: boolean;
  resolve: HostResolver;
}

/** Registration-time check of the URL's host; delivery checks it again when it connects. */
export async function assertDeliverable(ctx: WebhooksContext, url: string): Promise<void> {
  if (ctx.allowPrivate) return;
  try {
    await assertPublicHost(new URL(url), ctx.resolve);
  } catch (err) {
    if (err instanceof NonPublicAddressError) {
      throw new ValidationError("url_not_public", `Webhook URLs must reach the public internet: ${err.message}.`, "url");
    }
    throw err;
  }
}

export async function find(tx: Db | Prisma.TransactionClient, auth: AuthContext, id: string): Promise<WebhookEndpoint> {
  const endpoint = await tx.webhookEndpoint.findFirst({ where: { id, platformId: auth.platformId, mode: auth.mode } });
  if (!endpoint) throw new NotFoundError("webhook endpoint", id, "id");
  return endpoint;
}

export async function findEnabled(tx: Prisma.TransactionClient, auth: AuthContext, id: string): Promise<WebhookEndpoint> {
  const endpoint = await find(tx, auth, id);
  if (!endpoint.isEnabled) throw new ConflictError("webhook_disabled", `${endpoint.id} is disabled: enable it (isEnabled: true) first.`, "id");
  return endpoint;
}

export const source = (auth: AuthContext) => ({ platformId: auth.platformId, mode: auth.mode, requestId: auth.requestId });

/**
 * Locks the platform's endpoints in id order — the order recordEvent locks them in — before one
 * of them is changed, so a change racing an event on the same platform waits instead of deadlocking.
 */
export async function lockEndpoints(tx: Prisma.TransactionClient, auth: AuthContext): Promise<void> {
  await tx.$queryRaw`SELECT id FROM webhook_endpoints WHERE platform_id = ${auth.platformId} AND mode = ${auth.mode}::"Mode" ORDER BY id FOR UPDATE`;
}
