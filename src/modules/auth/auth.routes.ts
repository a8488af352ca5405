import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { AuthenticationError, ValidationError } from "../../lib/errors.js";
import { errors } from "../../lib/route.js";
import type { RateLimiter } from "../../plugins/rate-limit.js";
import type { PlatformsService } from "../platforms/index.js";
import { toUserResponse } from "../users/index.js";
import { otpRequestedSchema, refreshBody, requestOtpBody, sessionSchema, verifyOtpBody } from "./auth.schemas.js";
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
        if (phone) throw new ValidationError("Sign-in by phone is not supported: send `email`.", "phone", "phone_not_supported");
        throw new ValidationError("Missing required field `email`.", "email", "parameter_missing");
      }
      const platform = await platforms.resolvePublic(request.auth, platform_id);
      // Guessing is limited per client (for one email, briefly and over a day; and over all emails),
      // and per email over a day whoever guesses — a cap one client alone cannot reach, so a third
      // party cannot lock a person out from one address (README, "Sign-in").
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
      config: { auth: "public" },
    },
    async (request) => {
      const session = await sessions.refresh(request.body.refreshToken, request.auth?.platformId ?? null).catch(async (err: unknown) => {
        if (err instanceof AuthenticationError && err.code === "refresh_token_reused") await sessions.forgetRevoked(request.body.refreshToken);
        throw err;
      });
      return toSessionResponse(session);
    },
  );
};
