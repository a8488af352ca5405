import { z } from "zod";
import { emailAddress, userSchema } from "../users/index.js";

const platformId = z.string().min(1).max(100).optional().describe("The platform, when no platform key is sent");

export const requestOtpBody = z.object({ email: emailAddress, platform_id: platformId }).strict();

export const verifyOtpBody = z
  .object({
    email: emailAddress.optional(),
    phone: z.string().max(40).optional().describe("Not supported: sign-in is by email"),
    token: z
      .string()
      .trim()
      .regex(/^\d{6}$/, "must be the 6-digit code"),
    platform_id: platformId,
  })
  .strict();

export const refreshBody = z.object({ refreshToken: z.string().min(1).max(200) }).strict();

export const signedOutSchema = z.object({ revoked: z.literal(true) }).meta({ id: "SignedOut" });

export const otpRequestedSchema = z.object({ sent: z.literal(true), expiresIn: z.number().int().describe("Seconds the code stays valid") }).meta({ id: "OtpRequested" });

export const sessionSchema = z
  .object({
    token: z.string().describe("Access token (JWT): Authorization: Bearer <token>"),
    refreshToken: z.string().describe("Single-use; trade it for a new session at /auth/session/refresh"),
    expiresIn: z.number().int().describe("Seconds until `token` expires"),
    user: userSchema,
  })
  .meta({ id: "Session" });
