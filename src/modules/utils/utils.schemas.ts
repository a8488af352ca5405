import { z } from "zod";

export const generateUsernameBody = z
  .object({
    text: z.string().trim().min(1).max(200).describe("A name, an email or any text to derive the username from"),
    platform_id: z.string().min(1).max(100).optional().describe("The platform, when no platform key is sent"),
  })
  .strict();

export const generatedUsernameSchema = z
  .object({
    username: z.string().describe("Valid and unused on the platform right now"),
    alternatives: z.array(z.string()).describe("More valid, unused usernames"),
  })
  .meta({ id: "GeneratedUsername" });

export const mediaSchema = z.object({ id: z.string(), url: z.string(), type: z.string(), size: z.number().int(), created: z.string() }).meta({ id: "Media" });
