import type { WebhookEndpoint } from "../../../generated/prisma/client.js";
import type { AuthContext } from "../../../plugins/auth.js";
import { recordEvent } from "../../events/index.js";
import type { RotateSecretInput } from "../webhooks.schemas.js";
import { DEFAULT_SECRET_OVERLAP_SECONDS, generateWebhookSecret, toWebhookEndpointResponse } from "../webhooks.view.js";
import { find, lockEndpoints, source, type WebhooksContext } from "./shared.js";

/**
 * A new signing secret, answered once. The old one keeps signing beside it (two `v1=` in
 * `Candle-Signature`) for `expires_in` seconds, so receivers can switch without losing a
 * delivery; 0 drops it at once. Rotating again during an overlap drops the oldest secret.
 */
export async function rotateSecret(ctx: WebhooksContext, auth: AuthContext, id: string, input: RotateSecretInput): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
  const overlap = input.expires_in ?? DEFAULT_SECRET_OVERLAP_SECONDS;
  const secret = generateWebhookSecret();
  const endpoint = await ctx.db.$transaction(async (tx) => {
    await lockEndpoints(tx, auth);
    const current = await find(tx, auth, id);
    const updated = await tx.webhookEndpoint.update({
      where: { id: current.id },
      data: {
        secret,
        previousSecret: overlap > 0 ? current.secret : null,
        previousSecretExpires: overlap > 0 ? new Date(ctx.clock.now().getTime() + overlap * 1000) : null,
      },
    });
    await recordEvent(tx, { ...source(auth), type: "webhook_endpoint.updated", object: toWebhookEndpointResponse(updated) });
    return updated;
  });
  return { endpoint, secret };
}
