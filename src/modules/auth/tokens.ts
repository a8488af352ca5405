import { createSigner, createVerifier, TokenError } from "fast-jwt";
import type { Mode, Role } from "../../generated/prisma/enums.js";
import { AuthenticationError } from "../../lib/errors.js";

/**
 * Short-lived user access tokens (HS256 JWTs): `sub` the user, `pid` the platform, `mode`, `sid` the
 * session (refresh-token family) it was issued for, and `role` as it was at issue (informative: each
 * request reads the current role). fast-jwt is the engine behind @fastify/jwt; used directly so token
 * handling is a plain service, independent of the Fastify instance and of Authorization headers that
 * carry `cndl_` keys.
 */
export interface AccessClaims {
  sub: string;
  pid: string;
  mode: Mode;
  sid: string;
  role: Role;
  typ: "access";
  aud: string;
  iat: number;
  exp: number;
}

/** The audience of access tokens: a JWT made with the same secret for another purpose is not one. */
export const ACCESS_AUDIENCE = "candle:access";

export interface TokenService {
  signAccess(input: { userId: string; platformId: string; mode: Mode; role: Role; sessionId: string }): { token: string; expiresIn: number };
  verifyAccess(token: string): AccessClaims;
}

export function createTokenService(options: { secret: string; accessTokenTtl: number }): TokenService {
  const sign = createSigner({ key: options.secret, algorithm: "HS256", expiresIn: options.accessTokenTtl * 1000, aud: ACCESS_AUDIENCE });
  // A token without an expiry would be valid forever: `exp`, `iat` and the audience are required.
  const verify = createVerifier({
    key: options.secret,
    algorithms: ["HS256"],
    allowedAud: ACCESS_AUDIENCE,
    requiredClaims: ["exp", "iat", "aud", "sub", "pid", "sid", "typ"],
    cache: 1000,
  });
  return {
    signAccess({ userId, platformId, mode, role, sessionId }) {
      const token = sign({ sub: userId, pid: platformId, mode, sid: sessionId, role, typ: "access" });
      return { token, expiresIn: options.accessTokenTtl };
    },
    verifyAccess(token) {
      let claims: Partial<AccessClaims>;
      try {
        claims = verify(token) as Partial<AccessClaims>;
      } catch (err) {
        if (err instanceof TokenError && err.code === TokenError.codes.expired) {
          throw new AuthenticationError("token_expired", "The access token has expired. Refresh the session.");
        }
        throw new AuthenticationError("token_invalid", "The access token is invalid.");
      }
      if (
        claims.typ !== "access" ||
        typeof claims.sub !== "string" ||
        typeof claims.pid !== "string" ||
        typeof claims.sid !== "string" ||
        typeof claims.exp !== "number" ||
        typeof claims.iat !== "number" ||
        (claims.mode !== "test" && claims.mode !== "live")
      ) {
        throw new AuthenticationError("token_invalid", "The access token is invalid.");
      }
      return claims as AccessClaims;
    },
  };
}
