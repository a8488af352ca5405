import type { WebhookEndpoint } from "../../../generated/prisma/client.js";
import { enqueue } from "../../../jobs/queue.js";
import { UnprocessableError } from "../../../lib/errors.js";
import { newId } from "../../../lib/ids.js";
import { pageMeta, pageWindow, type Page } from "../../../lib/pagination.js";
import type { AuthContext } from "../../../plugins/auth.js";
import { deliveryJobKey, recordEvent } from "../../events/index.js";
import type { CreateWebhookInput, UpdateWebhookInput } from "../webhooks.schemas.js";
import { generateWebhookSecret, MAX_WEBHOOK_ENDPOINTS, toWebhookEndpointResponse } from "../webhooks.view.js";
import { assertDeliverable, find, lockEndpoints, source, type WebhooksContext } from "./shared.js";

export async function create(ctx: WebhooksContext, auth: AuthContext, input: CreateWebhookInput): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
  await assertDeliverable(ctx, input.url);
  const secret = generateWebhookSecret();
  const endpoint = await ctx.db.$transaction(async (tx) => {
    // Serialise creations per platform so parallel ones cannot pass the cap together.
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`webhooks:${auth.platformId}:${auth.mode}`}))`;
    const count = await tx.webhookEndpoint.count({ where: { platformId: auth.platformId, mode: auth.mode } });
    if (count >= MAX_WEBHOOK_ENDPOINTS) {
      throw new UnprocessableError("too_many_webhooks", `A platform can have at most ${MAX_WEBHOOK_ENDPOINTS} webhook endpoints.`, "url");
    }
    const created = await tx.webhookEndpoint.create({
      data: {
        id: newId("webhook"),
        platformId: auth.platformId,
        mode: auth.mode,
        url: input.url,
        events: input.events,
        description: input.description ?? null,
        name: input.name ?? null,
        secret,
      },
    });
    await recordEvent(tx, { ...source(auth), type: "webhook_endpoint.created", object: toWebhookEndpointResponse(created) });
    return created;
  });
  return { endpoint, secret };
}

export async function list(ctx: WebhooksContext, auth: AuthContext, query: { page: number; per_page: number }): Promise<Page<WebhookEndpoint>> {
  const where = { platformId: auth.platformId, mode: auth.mode };
  const [total, data] = await ctx.db.$transaction([
    ctx.db.webhookEndpoint.count({ where }),
    ctx.db.webhookEndpoint.findMany({ where, orderBy: [{ created: "desc" }, { id: "desc" }], ...pageWindow(query.page, query.per_page) }),
  ]);
  return { data, meta: pageMeta(total, query.page, query.per_page, data.length) };
}

/** Re-enabling an endpoint sends what queued up for it while it was off (within 3 days). */
export async function update(ctx: WebhooksContext, auth: AuthContext, id: string, input: UpdateWebhookInput): Promise<WebhookEndpoint> {
  if (input.url !== undefined) await assertDeliverable(ctx, input.url);
  return ctx.db.$transaction(async (tx) => {
    await lockEndpoints(tx, auth);
    const current = await find(tx, auth, id);
    const updated = await tx.webhookEndpoint.update({ where: { id: current.id }, data: input });
    if (!current.isEnabled && updated.isEnabled) {
      await enqueue(tx, "deliver-webhooks", { endpointId: updated.id }, { jobKey: deliveryJobKey(updated.id) });
    }
    await recordEvent(tx, { ...source(auth), type: "webhook_endpoint.updated", object: toWebhookEndpointResponse(updated) });
    return updated;
  });
}

/** Deletes the endpoint and its deliveries; answers it as it was. */
export async function remove(ctx: WebhooksContext, auth: AuthContext, id: string): Promise<WebhookEndpoint> {
  return ctx.db.$transaction(async (tx) => {
    await lockEndpoints(tx, auth);
    const current = await find(tx, auth, id);
    await tx.webhookEndpoint.delete({ where: { id: current.id } });
    await recordEvent(tx, { ...source(auth), type: "webhook_endpoint.deleted", object: toWebhookEndpointResponse(current) });
    return current;
  });
}
