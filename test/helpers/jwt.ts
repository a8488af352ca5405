import { createHmac } from "node:crypto";

/** Hand-made JWTs, to present the server with tokens its own signer would never produce. */

const b64url = (value: unknown) => Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url");

export function signJwt(header: Record<string, unknown>, payload: Record<string, unknown>, secret: string, algorithm: "sha256" | "sha512" = "sha256"): string {
  const unsigned = `${b64url(header)}.${b64url(payload)}`;
  return `${unsigned}.${createHmac(algorithm, secret).update(unsigned).digest("base64url")}`;
}

export function decodeJwtPayload(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString("utf8")) as Record<string, unknown>;
}

/**
 * Tokens that must all be refused (401), built around a real user's valid token: expired, its
 * payload changed without re-signing (to become `impersonate`, as owner), signed with another secret, `alg: none`, HS512 with the right
 * secret (not the algorithm the server signs with), a refresh-type token, and plain garbage.
 */
export function brokenTokens(validToken: string, secret: string, impersonate: string): Record<string, string> {
  const claims = decodeJwtPayload(validToken);
  const now = Math.floor(Date.now() / 1000);
  const [header, , signature] = validToken.split(".");
  return {
    expired: signJwt({ alg: "HS256", typ: "JWT" }, { ...claims, iat: now - 7200, exp: now - 3600 }, secret),
    tampered: `${header}.${b64url({ ...claims, sub: impersonate, role: "owner" })}.${signature}`,
    "wrongly signed": signJwt({ alg: "HS256", typ: "JWT" }, claims, "another-secret-another-secret-another-secret"),
    "alg none": `${b64url({ alg: "none", typ: "JWT" })}.${b64url({ ...claims, role: "owner" })}.`,
    "alg HS512": signJwt({ alg: "HS512", typ: "JWT" }, claims, secret, "sha512"),
    "not an access token": signJwt({ alg: "HS256", typ: "JWT" }, { ...claims, typ: "refresh" }, secret),
    garbage: "eyJhbGciOiJIUzI1NiJ9.not-json.c2ln",
  };
}
