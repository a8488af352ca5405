import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { Db } from "../../db/client.js";
import { NotFoundError } from "../../lib/errors.js";
import { errors } from "../../lib/route.js";
import { platformName } from "../platforms/index.js";

/**
 * Where Stripe sends a seller after Connect onboarding when neither the request nor the platform
 * gave a URL: a page of this server, branded with the platform's name, saying onboarding is done
 * (`return`) or must be started again (`refresh`: the link expired or was used). Candle's
 * `POST /users/auth/bank_account` takes no parameters, so a platform without a `url` needs one.
 */
export function defaultConnectPages(publicUrl: string, platformId: string): { returnUrl: string; refreshUrl: string } {
  const base = `${publicUrl}/connect/${encodeURIComponent(platformId)}`;
  return { returnUrl: `${base}/return`, refreshUrl: `${base}/refresh` };
}

const HTML_ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
export const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);

function page(platformName: string, heading: string, text: string): string {
  const name = escapeHtml(platformName);
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${name} — ${heading}</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 36rem; margin: 4rem auto; padding: 0 1rem">
<p>${name}</p>
<h1>${heading}</h1>
<p>${text.replaceAll("{name}", name)}</p>
</body>
</html>
`;
}

const PAGES = {
  return: { heading: "Bank account connected", text: "Onboarding is complete. You can close this page and go back to {name}." },
  refresh: {
    heading: "Onboarding must be restarted",
    text: "This onboarding link expired or was already used. Go back to {name} and start connecting your bank account again.",
  },
} as const;

export const connectPagesRoutes: FastifyPluginAsyncZod<{ db: Db }> = async (app, { db }) => {
  for (const which of ["return", "refresh"] as const) {
    app.get(
      `/connect/:platform_id/${which}`,
      {
        schema: {
          operationId: which === "return" ? "connectReturnPage" : "connectRefreshPage",
          tags: ["Bank accounts"],
          summary: `The default page Stripe sends a seller to after Connect onboarding (${which})`,
          // A page for browsers, not part of the API.
          hide: true,
          params: z.object({ platform_id: z.string().min(1).max(100) }),
          response: errors(404),
        },
        // Only the named platform's name is read (docs/tenancy.md).
        config: { auth: "public", tenant: "system" },
      },
      async (request, reply) => {
        const name = await platformName(db, request.params.platform_id);
        if (name === null) throw new NotFoundError("platform", request.params.platform_id, "platform_id");
        const { heading, text } = PAGES[which];
        // HTML, not the JSON the response schemas describe (those cover the API's errors only).
        return reply
          .header("cache-control", "no-store")
          .type("text/html; charset=utf-8")
          .send(page(name, heading, text) as never);
      },
    );
  }
};
