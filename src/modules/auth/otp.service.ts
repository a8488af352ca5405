import { createHmac } from "node:crypto";
import type { Db } from "../../db/client.js";
import type { Platform } from "../../generated/prisma/client.js";
import { safeEqual } from "../../lib/crypto.js";
import { AppError, AuthenticationError } from "../../lib/errors.js";
import { newId } from "../../lib/ids.js";
import { seal } from "../../lib/sealed.js";
import type { Clock } from "../../lib/time.js";
import { enqueue } from "../../jobs/queue.js";
import type { UsersService } from "../users/index.js";
import { signInCodeEmail } from "./emails.js";
import type { Session, SessionsService } from "./sessions.service.js";

/**
 * Passwordless sign-in by email (docs/architecture.md, "Tenancy and authentication"). Codes are 6 digits, valid for 10 minutes, once.
 *
 * Nobody else can take a person's code away: asking again while a code is live sends that same
 * code again (it is derived from the row's random id under a server secret, so it can be resent
 * without being stored), and wrong guesses are limited per requester by the routes, so a third
 * party neither voids nor locks the victim's code cheaply. Only an HMAC of the code is compared (a
 * plain hash of a 6-digit code is reversed by trying all million). A code still takes at most
 * OTP_MAX_ATTEMPTS wrong guesses in all, a cap only many requesters together can reach.
 */
export const OTP_TTL_SECONDS = 600;
export const OTP_MAX_ATTEMPTS = 100;

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
  /** Keys the code HMAC and derives codes. */
  secret: string;
}) {
  const { db, users, sessions, clock } = deps;
  const codeHash = (platformId: string, email: string, code: string) => createHmac("sha256", deps.secret).update(`${platformId}\n${email}\n${code}`).digest("hex");
  /** The code of a row: 64 bits of an HMAC of its id (random) reduced to 6 digits, a bias below 1e-13. */
  const codeOfId = (id: string) => String(createHmac("sha256", deps.secret).update(`otp-code\n${id}`).digest().readBigUInt64BE(0) % 1_000_000n).padStart(6, "0");
  const live = (platformId: string, email: string, now: Date) => ({ platformId, email, consumed: null, attempts: { lt: OTP_MAX_ATTEMPTS }, expires: { gt: now } });

  return {
    /**
     * Emails the live code again, or a new one when there is none, and queues the email in one
     * transaction. Every address gets a code — known or not, granted or not — so the answer and its
     * timing say nothing about who has an account.
     */
    async request(platform: Platform, email: string, ip: string): Promise<{ expiresIn: number }> {
      const now = clock.now();
      const expiresIn = await db.$transaction(async (tx) => {
        // Codes made before codes were derived from their id cannot be resent: they stay valid
        // until they expire, and a new one is made beside them.
        const current = await tx.otpCode.findFirst({ where: live(platform.id, email, now), orderBy: { created: "desc" } });
        const resendable = current !== null && safeEqual(current.codeHash, codeHash(platform.id, email, codeOfId(current.id)));
        let id: string;
        let expires: Date;
        if (current && resendable) {
          ({ id, expires } = current);
        } else {
          id = newId("otp");
          expires = new Date(now.getTime() + OTP_TTL_SECONDS * 1000);
          const code = codeOfId(id);
          await tx.otpCode.create({ data: { id, platformId: platform.id, mode: platform.mode, email, codeHash: codeHash(platform.id, email, code), expires, ip, created: now } });
        }
        const seconds = Math.max(1, Math.ceil((expires.getTime() - now.getTime()) / 1000));
        // The code travels in the job until it is sent, sealed (src/lib/sealed.ts); a code is
        // useless once expired, so retries stop well before then.
        await enqueue(tx, "send-email", seal(deps.secret, signInCodeEmail(email, codeOfId(id), platform.name, Math.ceil(seconds / 60))), { maxAttempts: 5 });
        return seconds;
      });
      return { expiresIn };
    },

    async verify(platform: Platform, email: string, code: string, requestId?: string): Promise<Session> {
      const now = clock.now();
      // Normally one live code; two when parallel requests both made one, or one made before codes
      // were resendable sits beside a new one.
      const candidates = await db.otpCode.findMany({ where: live(platform.id, email, now), orderBy: { created: "desc" }, take: 3 });
      if (candidates.length === 0) {
        const spent = await db.otpCode.count({ where: { platformId: platform.id, email, consumed: null, expires: { gt: now }, attempts: { gte: OTP_MAX_ATTEMPTS } } });
        if (spent > 0) throw new OtpLockedError();
        throw new AuthenticationError("otp_invalid", "This code is not valid (wrong, expired or already used). Ask for a new code.");
      }
      const guess = codeHash(platform.id, email, code);
      const match = candidates.find((c) => safeEqual(c.codeHash, guess));

      if (!match) {
        // Count the guess against the newest code; the condition keeps parallel guesses from exceeding the cap.
        const counted = await db.otpCode.updateMany({ where: { id: candidates[0]!.id, attempts: { lt: OTP_MAX_ATTEMPTS } }, data: { attempts: { increment: 1 } } });
        if (counted.count === 0) throw new OtpLockedError();
        throw new AuthenticationError("otp_invalid", "This code is not valid (wrong, expired or already used). Ask for a new code.");
      }

      return db.$transaction(async (tx) => {
        // Single use: of two parallel verifications with the right code, one consumes it (and the
        // other codes of the address go with it).
        const consumed = await tx.otpCode.updateMany({
          where: { id: match.id, consumed: null, attempts: { lt: OTP_MAX_ATTEMPTS }, expires: { gt: now } },
          data: { consumed: now },
        });
        if (consumed.count === 0) throw new AuthenticationError("otp_invalid", "This code was already used. Ask for a new code.");
        await tx.otpCode.updateMany({ where: { platformId: platform.id, email, consumed: null }, data: { consumed: now } });
        const user = await users.signIn(tx, platform, email, requestId);
        return sessions.start(tx, user);
      });
    },
  };
}

export type OtpService = ReturnType<typeof createOtpService>;
