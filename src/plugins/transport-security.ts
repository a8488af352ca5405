import type { FastifyInstance, FastifyRequest } from "fastify";
import fp from "fastify-plugin";
import net from "node:net";
import { PermissionError } from "../lib/errors.js";

/**
 * HTTPS where it matters (docs/operations.md, "HTTPS"):
 *
 * - A request that came over TLS — to this node (TLS_CERT) or to a trusted proxy that says so in
 *   `X-Forwarded-Proto` (Fastify believes that header only from a TRUST_PROXY address) — is answered
 *   with `Strict-Transport-Security`, so browsers use HTTPS from then on. Never over plain HTTP,
 *   where it would mean nothing (RFC 6797).
 * - With `requireHttps` (production), credentials — a platform key or a user token — that arrive
 *   over plain HTTP from anywhere but loopback are refused with 403 `https_required` before they
 *   are looked up: the client learns at once that its key travels in clear, and the key is never used.
 */
export interface TransportSecurityOptions {
  hstsMaxAge: number;
  requireHttps: boolean;
}

export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const ip = address.startsWith("::ffff:") && net.isIPv4(address.slice(7)) ? address.slice(7) : address;
  return ip === "::1" || (net.isIPv4(ip) && ip.startsWith("127."));
}

function carriesCredentials(request: FastifyRequest): boolean {
  return request.headers.authorization !== undefined || request.headers.api_key !== undefined;
}

async function transportSecurity(app: FastifyInstance, options: TransportSecurityOptions): Promise<void> {
  const hsts = options.hstsMaxAge > 0 ? `max-age=${options.hstsMaxAge}` : undefined;
  app.addHook("onRequest", async (request, reply) => {
    const secure = request.protocol === "https";
    if (secure) {
      if (hsts) reply.header("strict-transport-security", hsts);
      return;
    }
    if (options.requireHttps && carriesCredentials(request) && !isLoopback(request.ip)) {
      throw new PermissionError(
        "https_required",
        "Credentials are accepted only over HTTPS: send this request to the https:// address. The key or token has crossed the network unencrypted; roll it if that network is not yours.",
      );
    }
  });
}

export default fp(transportSecurity, { name: "transport-security" });
