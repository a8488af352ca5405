import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { AuthenticationError, ValidationError } from "../../lib/errors.js";
import { errors } from "../../lib/route.js";
import { noBody } from "../../lib/schemas.js";
import { requireUser } from "../../plugins/auth.js";
import type { RateLimiter } from "../../plugins/rate-limit.js";
import type { PlatformsService } from "../platforms/index.js";
import { toUserResponse } from "../users/index.js";
import { otpRequestedSchema, refreshBody, requestOtpBody, sessionSchema, signedOutSchema, verifyOtpBody } from "./auth.schemas.js";
import type { OtpService } from "./otp.service.js";
import type { Session, SessionsService } from "./sessions.service.js";

const tags = ["Auth"];

export interface AuthRoutesDeps {
  otp: OtpService;
  sessions: SessionsService;
  platforms: Pick<PlatformsService, "resolvePublic">;
  limiter: RateLimiter;
  limits: { perEmail: number; perAddress: number; windowSeconds: number; verifyPerEmail: number; verifyPerEmailDaily: number; verifyPerEmailAll: number };
}

const DAY_SECONDS = 86_400;

const toSessionResponse = (s: Session) => ({ token: s.token, refreshToken: s.refreshToken, expiresIn: s.expiresIn, user: toUserResponse(s.user) });

export const authRoutes: FastifyPluginAsyncZod<AuthRoutesDeps> = async (app, deps) => {
  const { otp, sessions, platforms, limiter, limits } = deps;

  app.post(
    "/auth/otp/email",
    {
      schema: {
        operationId: "requestOtp",
        tags,
        summary: "Email a 6-digit sign-in code",
        description:
          "Public. The platform comes from the key sent, else from `platform_id`. The answer is the same whether or not the address has an account. While a code is live, asking again emails the same code. Limited per email and client, and per client (429).",
        body: requestOtpBody,
        response: { 200: otpRequestedSchema, ...errors(400, 404, 429) },
      },
      config: { auth: "public" },
    },
    async (request, reply) => {
      const platform = await platforms.resolvePublic(request.auth, request.body.platform_id);
      const { email } = request.body;
      // Per email *and* client: someone else asking for a person's codes does not use up theirs
      // (and asking again resends the live code rather than voiding it).
      await limiter.consume(request, reply, `otp:ip:${request.ip}`, limits.perAddress, limits.windowSeconds);
      await limiter.consume(request, reply, `otp:email:${platform.id}:${email}:${request.ip}`, limits.perEmail, limits.windowSeconds);
      const { expiresIn } = await otp.request(platform, email, request.ip);
      return { sent: true as const, expiresIn };
    },
  );

  app.post(
    "/auth/otp/verify",
    {
      schema: {
        operationId: "verifyOtp",
        tags,
        summary: "Trade the emailed code for a session",
        description:
          "Creates the user on first sign-in (as a member) unless the platform's waitlist is on and the email was not granted (403 `waitlist_not_granted`). Signing in cancels a scheduled deletion. Attempts are limited per email and client, per client, and per email over a day (429).",
        body: verifyOtpBody,
        response: { 200: sessionSchema, ...errors(400, 401, 403, 404, 429) },
      },
      config: { auth: "public" },
    },
    async (request, reply) => {
      const { email, phone, token, platform_id } = request.body;
      if (!email) {
        if (phone) throw new ValidationError("phone_not_supported", "Sign-in by phone is not supported: send `email`.", "phone");
        throw new ValidationError("parameter_missing", "Missing required field `email`.", "email");
      }
      const platform = await platforms.resolvePublic(request.auth, platform_id);
      // Guessing is limited per client (for one email, briefly and over a day; and over all emails),
      // and per email over a day whoever guesses — a cap one client alone cannot reach, so a third
      // party cannot lock a person out from one address (docs/api/auth.md, "Sign-in").
      await limiter.consume(request, reply, `otp:verify:ip:${request.ip}`, limits.perAddress, limits.windowSeconds);
      await limiter.consume(request, reply, `otp:verify:email:${platform.id}:${email}:${request.ip}`, limits.verifyPerEmail, limits.windowSeconds);
      await limiter.consume(request, reply, `otp:verify:email:${platform.id}:${email}:${request.ip}`, limits.verifyPerEmailDaily, DAY_SECONDS);
      await limiter.consume(request, reply, `otp:verify:email:${platform.id}:${email}`, limits.verifyPerEmailAll, DAY_SECONDS);
      return toSessionResponse(await otp.verify(platform, email, token, request.id));
    },
  );

  app.post(
    "/auth/session/refresh",
    {
      schema: {
        operationId: "refreshSession",
        tags,
        summary: "Trade a refresh token for a new session",
        description: "Refresh tokens are single-use: presenting one that was already used revokes its whole session (401 `refresh_token_reused`).",
        body: refreshBody,
        response: { 200: sessionSchema, ...errors(400, 401) },
      },
      // A refresh token is found by its hash, before its platform is known (docs/tenancy.md).
      config: { auth: "public", tenant: "system" },
    },
    async (request) => {
      const session = await sessions.refresh(request.body.refreshToken, request.auth?.platformId ?? null).catch(async (err: unknown) => {
        if (err instanceof AuthenticationError && err.code === "refresh_token_reused") await sessions.forgetRevoked(request.body.refreshToken);
        throw err;
      });
      return toSessionResponse(session);
    },
  );

  app.post(
    "/auth/session/revoke",
    {
      schema: {
        operationId: "signOut",
        tags,
        summary: "Sign out: end the session of this token",
        description:
          "The signed-in user's token. Revokes the session the access token belongs to (the sign-in and its refresh tokens): its refresh token is refused (401 `refresh_token_revoked`) and so are its access tokens, from their next request on any node. Other sessions of the user stay signed in. The token is then no longer valid: a second sign-out with it answers 401.",
        body: noBody,
        response: { 200: signedOutSchema, ...errors(400, 401) },
      },
      config: { auth: { user: true } },
    },
    async (request) => {
      const auth = requireUser(request);
      await sessions.signOut(auth.user.id, auth.user.sessionId);
      return { revoked: true as const };
    },
  );
};
