import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { OfflinePaymentsGateway } from "../../adapters/payments/offline.js";
import { NotFoundError } from "../../lib/errors.js";
import { errors } from "../../lib/route.js";

/**
 * Stripe's hosted Connect onboarding, as the offline simulator plays it. Only registered when the
 * payments gateway is offline. The account link (`createAccountLink`) points here with a
 * single-use token; visiting it enables the account — charges, details, a payout schedule and a
 * test bank account — and sends the seller on to the link's `returnUrl`, as Stripe would after a
 * completed onboarding. An unknown, spent or expired token is a 404.
 */
export const offlineConnectRoutes: FastifyPluginAsyncZod<{ gateway: Pick<OfflinePaymentsGateway, "completeOnboarding"> }> = async (app, { gateway }) => {
  app.get(
    "/offline/connect/onboard/:accountId",
    {
      schema: {
        operationId: "offlineConnectOnboard",
        tags: ["Offline payments"],
        summary: "Complete a simulated Connect onboarding and return to the platform (offline payments only)",
        // A page for browsers in development, not part of the API.
        hide: true,
        params: z.object({ accountId: z.string().max(255) }),
        querystring: z.object({ token: z.string().optional() }),
        response: errors(404),
      },
      config: { auth: "public" },
    },
    async (request, reply) => {
      const { token } = request.query;
      const done = token ? await gateway.completeOnboarding({ accountId: request.params.accountId, token }) : null;
      reply.header("cache-control", "no-store");
      if (!done) throw new NotFoundError("onboarding link", undefined, "token");
      return reply.redirect(done.returnUrl, 302);
    },
  );
};
