import type { FastifyRequest } from "fastify";
import { pino, type Logger, type LoggerOptions } from "pino";

/**
 * What never reaches a log line. Credentials travel in headers (keys, user tokens, cookies), in
 * bodies (refresh tokens, sign-in codes) and in URLs (Connect onboarding `?token=`, upload
 * `?signature=`); a log is read by more people than the API is, so each is censored where it is
 * written. `code` is censored only inside bodies: elsewhere it is an error code worth keeping.
 */
export const REDACT_PATHS = [
  "req.headers.authorization",
  "req.headers.api_key",
  "req.headers.cookie",
  'req.headers["idempotency-key"]',
  'res.headers["set-cookie"]',
  "headers.authorization",
  "headers.api_key",
  "headers.cookie",
  "body.code",
  "body.token",
  "body.refresh_token",
  "req.body",
  // Job payloads carry whole emails (a sign-in code in its subject and text).
  "job.payload",
  "payload",
  ...["token", "refreshToken", "refresh_token", "accessToken", "access_token", "apiKey", "api_key", "secret", "password", "signature", "otp"].flatMap((key) => [key, `*.${key}`]),
];

export const REDACT = { paths: REDACT_PATHS, censor: "[redacted]" } as const;

/** Query parameters whose value is a credential (compared case-insensitively). */
const SECRET_QUERY_PARAMS = new Set([
  "token",
  "signature",
  "sig",
  "code",
  "key",
  "secret",
  "api_key",
  "access_token",
  "refresh_token",
  "password",
  "x-amz-signature",
  "x-amz-credential",
  "x-amz-security-token",
]);

/** The URL with the value of every credential-like query parameter replaced by `[redacted]`. */
export function redactUrl(url: string): string {
  const q = url.indexOf("?");
  if (q < 0) return url;
  const query = url
    .slice(q + 1)
    .split("&")
    .map((pair) => {
      const eq = pair.indexOf("=");
      const rawName = eq < 0 ? pair : pair.slice(0, eq);
      let name = rawName;
      try {
        name = decodeURIComponent(rawName.replace(/\+/g, " "));
      } catch {
        // A malformed escape: judge the name as written.
      }
      return eq >= 0 && SECRET_QUERY_PARAMS.has(name.trim().toLowerCase()) ? `${rawName}=[redacted]` : pair;
    })
    .join("&");
  return `${url.slice(0, q)}?${query}`;
}

/** Fastify's request serializer, with the query's credentials censored. */
export const serializers = {
  req(req: FastifyRequest) {
    return {
      method: req.method,
      url: redactUrl(req.url),
      host: req.host,
      remoteAddress: req.ip,
      remotePort: req.socket ? req.socket.remotePort : undefined,
    };
  },
};

/** The process's logger: JSON on stdout (or stderr), with the censoring above. */
export function createLogger(options: LoggerOptions, destination?: pino.DestinationStream): Logger {
  const withCensor: LoggerOptions = { ...options, redact: REDACT, serializers: { ...serializers, ...options.serializers } };
  return destination ? pino(withCensor, destination) : pino(withCensor);
}

/**
 * A child of a logger handed in from outside (a test's, a CLI's) that censors the same way, so no
 * caller can build an app whose logs carry credentials.
 */
export function censoring(logger: Logger): Logger {
  return logger.child({}, { redact: REDACT, serializers });
}
