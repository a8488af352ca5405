import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import type { WebhooksService } from "../webhooks.service.js";

/** The Fastify instance the webhooks plugin is given (zod type provider); each routes/ file adds its routes to it. */
export type WebhooksApp = Parameters<FastifyPluginAsyncZod>[0];

export type WebhooksRoutesDeps = { webhooks: WebhooksService };

export const tags = ["Webhooks"];
// Endpoints hold signing secrets and receive every object of the platform: owners (or the key) only.
export const owner = { auth: { role: "owner" } } as const;
