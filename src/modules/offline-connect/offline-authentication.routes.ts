import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { OfflinePaymentsGateway } from "../../adapters/payments/offline.js";
import { NotFoundError } from "../../lib/errors.js";
import { formatMoney } from "../../lib/money.js";
import { errors } from "../../lib/route.js";

/**
 * The offline simulator's 3-D Secure page: what Stripe's hosted authentication page (or Stripe.js's
 * `confirmCardPayment`) is to a buyer whose card wants authentication. An on-session charge's
 * `next_action_url` points here with the intent's client secret; the page shows the amount and two
 * buttons. Complete or Fail ends the intent and delivers the webhook Stripe would send
 * (`payment_intent.succeeded` / `payment_intent.payment_failed`) through the Stripe webhook
 * endpoint's own path (`deliver`), so the contract (or the subscription's period) has moved on by
 * the time the answer is shown. Plain HTML forms: no script, no style, a strict CSP.
 */
export const offlineAuthenticationRoutes: FastifyPluginAsyncZod<{
  gateway: Pick<OfflinePaymentsGateway, "paymentIntentAwaitingAuthentication" | "authenticatePaymentIntent">;
  deliver: (input: { rawBody: Buffer; signature: string }) => Promise<{ id: string; type: string; status: string }>;
}> = async (app, { gateway, deliver }) => {
  // The page's forms post urlencoded fields; only in this plugin (the API takes JSON).
  app.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "string" }, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });

  const params = z.object({ paymentIntentId: z.string().max(255) });
  // HTML, not the JSON the response schemas describe (those cover the API's errors only).
  const HEADERS = {
    "cache-control": "no-store",
    "content-security-policy": "default-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
  };

  app.get(
    "/offline/payment_intents/:paymentIntentId/authenticate",
    {
      schema: {
        operationId: "offlineAuthenticationPage",
        tags: ["Offline payments"],
        summary: "The simulated 3-D Secure page of an on-session payment (offline payments only)",
        hide: true,
        params,
        querystring: z.object({ client_secret: z.string().max(255).optional() }),
        response: errors(404),
      },
      // Like Stripe's page: whoever holds the intent's client secret (the buyer it was answered to).
      config: { auth: "public", tenant: "system" },
    },
    async (request, reply) => {
      const secret = request.query.client_secret ?? "";
      const intent = secret ? await gateway.paymentIntentAwaitingAuthentication({ paymentIntentId: request.params.paymentIntentId, clientSecret: secret }) : null;
      if (!intent) throw new NotFoundError("payment intent", undefined, "client_secret");
      const amount = formatMoney(intent.amount, intent.currency);
      if (intent.status !== "requires_action") {
        return reply
          .headers(HEADERS)
          .type("text/html; charset=utf-8")
          .send(
            page(
              "Nothing to authenticate",
              `<p>This payment of ${html(amount)} is no longer waiting for authentication (it is <b id="status">${html(intent.status)}</b>).</p>`,
            ) as never,
          );
      }
      const form = (outcome: string, label: string) =>
        `<form method="post" action="/offline/payment_intents/${html(intent.id)}/authenticate"><input type="hidden" name="client_secret" value="${html(secret)}"><input type="hidden" name="outcome" value="${outcome}"><button type="submit">${label}</button></form>`;
      return reply
        .headers(HEADERS)
        .type("text/html; charset=utf-8")
        .send(
          page(
            "Authenticate your payment",
            `<p>Your bank asks you to confirm a payment of <b id="amount">${html(amount)}</b> (${html(intent.id)}).</p><p>This is the offline payments simulator's stand-in for 3-D Secure.</p>${form("complete", "Complete authentication")}${form("fail", "Fail authentication")}`,
          ) as never,
        );
    },
  );

  app.post(
    "/offline/payment_intents/:paymentIntentId/authenticate",
    {
      schema: {
        operationId: "offlineAuthenticatePaymentIntent",
        tags: ["Offline payments"],
        summary: "Complete or fail a simulated 3-D Secure authentication, and deliver its webhook (offline payments only)",
        hide: true,
        params,
        body: z.object({ client_secret: z.string().min(1).max(255), outcome: z.enum(["complete", "fail"]) }).strict(),
        response: errors(400, 404),
      },
      config: { auth: "public", tenant: "system" },
    },
    async (request, reply) => {
      const { client_secret, outcome } = request.body;
      const done = await gateway.authenticatePaymentIntent({ paymentIntentId: request.params.paymentIntentId, clientSecret: client_secret, outcome });
      if (!done) throw new NotFoundError("payment intent awaiting authentication", undefined, "client_secret");
      await deliver({ rawBody: Buffer.from(done.event.rawBody), signature: done.event.signature });
      const answer =
        outcome === "complete"
          ? page("Payment authenticated", `<p>Your payment is <b id="status">${html(done.status)}</b>.</p>`)
          : page("Authentication failed", `<p>Your payment was not made (<b id="status">${html(done.status)}</b>). You can try again with this or another card.</p>`);
      const back = done.returnUrl ? `<p><a id="return" href="${html(done.returnUrl)}">Return to the shop</a></p>` : "";
      return reply
        .headers(HEADERS)
        .type("text/html; charset=utf-8")
        .send(answer.replace("</body>", `${back}</body>`) as never);
    },
  );
};

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${html(title)}</title></head><body><h1>${html(title)}</h1>${body}</body></html>`;
}

function html(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}
