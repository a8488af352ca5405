import { createHmac, randomInt } from "node:crypto";
import type { Db } from "../../db/client.js";
import type { Platform } from "../../generated/prisma/client.js";
import { safeEqual } from "../../lib/crypto.js";
import { AppError, AuthenticationError } from "../../lib/errors.js";
import { newId } from "../../lib/ids.js";
import type { Clock } from "../../lib/time.js";
import { enqueue } from "../../jobs/queue.js";
import type { UsersService } from "../users/users.service.js";
import { signInCodeEmail } from "./emails.js";
import type { Session, SessionsService } from "./sessions.service.js";

/**
 * Passwordless sign-in by email (DESIGN.md §4). Codes are 6 random digits, kept only as an HMAC
 * under a server secret (a plain hash of a 6-digit code is reversed by trying all million), valid
 * for 10 minutes, once, for at most 5 guesses. A new code replaces the previous one.
 */
export const OTP_TTL_SECONDS = 600;
export const OTP_MAX_ATTEMPTS = 5;

class OtpLockedError extends AppError {
  constructor() {
    super(429, "rate_limit_error", "otp_attempts_exceeded", "Too many wrong codes. Ask for a new code.", { param: "token" });
  }
}

export function createOtpService(deps: {
  db: Db;
  users: Pick<UsersService, "signIn">;
  sessions: Pick<SessionsService, "start">;
  clock: Clock;
  /** Keys the code HMAC. */
  secret: string;
}) {
  const { db, users, sessions, clock } = deps;
  const codeHash = (platformId: string, email: string, code: string) => createHmac("sha256", deps.secret).update(`${platformId}\n${email}\n${code}`).digest("hex");

  return {
    /**
     * Creates a code and queues its email in one transaction. Every address gets a code — known or
     * not, granted or not — so the answer and its timing say nothing about who has an account.
     */
    async request(platform: Platform, email: string, ip: string): Promise<{ expiresIn: number }> {
      const code = String(randomInt(0, 1_000_000)).padStart(6, "0");
      const now = clock.now();
      await db.$transaction(async (tx) => {
        await tx.otpCode.updateMany({ where: { platformId: platform.id, email, consumed: null }, data: { consumed: now } });
        await tx.otpCode.create({
          data: {
            id: newId("otp"),
            platformId: platform.id,
            mode: platform.mode,
            email,
            codeHash: codeHash(platform.id, email, code),
            expires: new Date(now.getTime() + OTP_TTL_SECONDS * 1000),
            ip,
            created: now,
          },
        });
        // The code travels in the job until it is sent; a code is useless after 10 minutes, so
        // retries stop well before then.
        await enqueue(tx, "send-email", signInCodeEmail(email, code, platform.name, OTP_TTL_SECONDS / 60), { maxAttempts: 5 });
      });
      return { expiresIn: OTP_TTL_SECONDS };
    },

    async verify(platform: Platform, email: string, code: string, requestId?: string): Promise<Session> {
      const now = clock.now();
      const current = await db.otpCode.findFirst({
        where: { platformId: platform.id, email, consumed: null, expires: { gt: now } },
        orderBy: { created: "desc" },
      });
      if (!current) throw new AuthenticationError("This code is not valid (wrong, expired or already used). Ask for a new code.", "otp_invalid");
      if (current.attempts >= OTP_MAX_ATTEMPTS) throw new OtpLockedError();

      if (!safeEqual(current.codeHash, codeHash(platform.id, email, code))) {
        // Count the guess; the condition keeps parallel guesses from exceeding the limit.
        const counted = await db.otpCode.updateMany({ where: { id: current.id, attempts: { lt: OTP_MAX_ATTEMPTS } }, data: { attempts: { increment: 1 } } });
        if (counted.count === 0) throw new OtpLockedError();
        throw new AuthenticationError("This code is not valid (wrong, expired or already used). Ask for a new code.", "otp_invalid");
      }

      return db.$transaction(async (tx) => {
        // Single use: of two parallel verifications with the right code, one consumes it.
        const consumed = await tx.otpCode.updateMany({
          where: { id: current.id, consumed: null, attempts: { lt: OTP_MAX_ATTEMPTS }, expires: { gt: now } },
          data: { consumed: now },
        });
        if (consumed.count === 0) throw new AuthenticationError("This code was already used. Ask for a new code.", "otp_invalid");
        const user = await users.signIn(tx, platform, email, requestId);
        return sessions.start(tx, user);
      });
    },
  };
}

export type OtpService = ReturnType<typeof createOtpService>;
