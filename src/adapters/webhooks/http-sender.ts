import http from "node:http";
import https from "node:https";
import net from "node:net";
import { hostOf, isPublicAddress, NonPublicAddressError, publicOnlyLookup, type HostResolver } from "./public-address.js";

/**
 * Posts one webhook: a single HTTP request, no redirects followed (node:http never follows them; a
 * 3xx is an answer like any other non-2xx), a time limit on the whole exchange, and only the start
 * of the receiver's answer kept.
 */

export interface WebhookPost {
  url: string;
  body: string;
  headers: Record<string, string>;
  /** Aborts the request (the worker shutting down). */
  signal?: AbortSignal;
}

/** The receiver's status and the start of its body, or why no answer came. */
export type WebhookOutcome = { status: number; body: string } | { error: string; interrupted: boolean };

export type WebhookSender = (post: WebhookPost) => Promise<WebhookOutcome>;

export const RESPONSE_BODY_LIMIT = 2048;

export function createHttpSender(options: { timeoutMs: number; allowPrivate: boolean; resolve: HostResolver; userAgent: string }): WebhookSender {
  const lookup = options.allowPrivate ? undefined : publicOnlyLookup(options.resolve);

  return (post) =>
    new Promise<WebhookOutcome>((resolve) => {
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      let status: number | undefined;
      const chunks: Buffer[] = [];
      let size = 0;
      const settle = (outcome: WebhookOutcome) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        post.signal?.removeEventListener("abort", onAbort);
        resolve(outcome);
      };
      const answered = () => settle({ status: status!, body: Buffer.concat(chunks).toString("utf8").slice(0, RESPONSE_BODY_LIMIT) });
      const failed = (error: string, interrupted = false) => (status === undefined ? settle({ error, interrupted }) : answered());

      let url: URL;
      try {
        url = new URL(post.url);
      } catch {
        return settle({ error: "the URL does not parse", interrupted: false });
      }
      // IP literals never go through `lookup`: check them here.
      const host = hostOf(url);
      if (!options.allowPrivate && net.isIP(host) && !isPublicAddress(host)) {
        return settle({ error: new NonPublicAddressError(host).message, interrupted: false });
      }
      if (post.signal?.aborted) return settle({ error: "interrupted: the worker shut down", interrupted: true });

      const client = url.protocol === "https:" ? https : http;
      const request = client.request(
        url,
        {
          method: "POST",
          headers: { ...post.headers, "content-type": "application/json", "content-length": Buffer.byteLength(post.body), "user-agent": options.userAgent },
          ...(lookup ? { lookup } : {}),
          agent: false,
        },
        (response) => {
          status = response.statusCode ?? 0;
          response.on("data", (chunk: Buffer) => {
            if (size < RESPONSE_BODY_LIMIT) chunks.push(chunk);
            size += chunk.length;
            if (size >= RESPONSE_BODY_LIMIT) response.destroy();
          });
          response.on("end", answered);
          response.on("close", answered);
          response.on("error", answered);
        },
      );
      timer = setTimeout(() => {
        failed(`no answer within ${options.timeoutMs} ms`);
        request.destroy();
      }, options.timeoutMs);
      function onAbort() {
        failed("interrupted: the worker shut down", true);
        request.destroy();
      }
      post.signal?.addEventListener("abort", onAbort, { once: true });
      request.on("error", (err: NodeJS.ErrnoException) => failed(err instanceof NonPublicAddressError ? err.message : `${err.code ?? "error"}: ${err.message}`));
      request.end(post.body);
    });
}
