import { z } from "zod";
import { listOf, pageParams } from "../../lib/pagination.js";
import { apiDate, idParam, modeSchema, optionalBody } from "../../lib/schemas.js";
import { SCOPES } from "../../lib/scopes.js";

export const apiKeySchema = z
  .object({
    id: z.string(),
    platform_id: z.string(),
    mode: modeSchema,
    name: z.string().nullable(),
    prefix: z.string().describe("cndl_test_ or cndl_live_"),
    last4: z.string().describe("The key's last four characters, to tell keys apart"),
    scopes: z.array(z.string()).nullable().describe("A restricted key's scopes (docs/api/oauth.md, Scopes); null: unrestricted, the owner's rights"),
    lastUsed: apiDate.nullable(),
    revoked: apiDate.nullable(),
    created: apiDate,
    updated: apiDate,
  })
  .meta({ id: "ApiKey" });

export const createdApiKeySchema = apiKeySchema.extend({ secret: z.string().describe("The whole key. Shown only in this answer: store it now.") }).meta({ id: "CreatedApiKey" });

export const platformIdParams = z.object({ id: idParam("platform") }).strict();
export const keyParams = z.object({ id: idParam("platform"), key_id: idParam("API key") }).strict();

export const listKeysQuery = z.object({ ...pageParams, "filter[revoked]": z.enum(["true", "false"]).optional() }).strict();

export const createKeyBody = optionalBody(
  z
    .object({
      name: z.string().trim().min(1).max(100).optional(),
      scopes: z
        .array(z.enum(SCOPES as [string, ...string[]]))
        .min(1)
        .max(SCOPES.length)
        .optional()
        .describe("Restricts the key to these scopes; without it the key has the owner's rights"),
    })
    .strict(),
);

export const keyListSchema = listOf(apiKeySchema);
