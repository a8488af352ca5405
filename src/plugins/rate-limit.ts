import type { FastifyReply, FastifyRequest } from "fastify";
import type { RateLimitStore } from "../adapters/rate-limit/store.js";
import { RateLimitError } from "../lib/errors.js";

/**
 * Fixed-window rate limits with the `RateLimit-*` headers of the IETF draft and `Retry-After` on
 * 429. Buckets are chosen by the auth plugin: the API key or user once credentials check out, the
 * client address before that — so guessing keys is limited per address.
 */
export interface RateLimiter {
  /** Counts one request in `bucket`; 429 past `max` per window (the configured one, unless given). */
  consume(request: FastifyRequest, reply: FastifyReply, bucket: string, max: number, windowSeconds?: number): Promise<void>;
}

export function createRateLimiter(options: { store: RateLimitStore; windowSeconds: number }): RateLimiter {
  return {
    async consume(request, reply, bucket, max, windowSeconds = options.windowSeconds) {
      let hit;
      try {
        hit = await options.store.hit(`${bucket}:${windowSeconds}`, windowSeconds * 1000);
      } catch (err) {
        // A rate-limit store outage must not take the API down with it: let the request through.
        request.log.error({ err }, "rate-limit store unavailable; request not counted");
        return;
      }
      const resetSeconds = Math.max(1, Math.ceil(hit.resetInMs / 1000));
      reply.header("ratelimit-limit", String(max));
      reply.header("ratelimit-remaining", String(Math.max(0, max - hit.count)));
      reply.header("ratelimit-reset", String(resetSeconds));
      if (hit.count > max) throw new RateLimitError(resetSeconds);
    },
  };
}
