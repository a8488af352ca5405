import { z } from "zod";
import { ERROR_CODE_LIST } from "./error-codes.js";

/**
 * The error envelope every failure answers (src/plugins/error-handler.ts), as routes describe it
 * in OpenAPI: `{ "error": { "type", "code", "message", "param"?, "request_id" } }`.
 */
export const errorEnvelopeSchema = z
  .object({
    error: z
      .object({
        type: z.enum(["invalid_request_error", "authentication_error", "permission_error", "idempotency_error", "rate_limit_error", "card_error", "api_error"]),
        code: z.enum(ERROR_CODE_LIST).describe("What went wrong, for programs to branch on: every code is explained in docs/errors.md"),
        message: z.string(),
        param: z.string().optional(),
        request_id: z.string(),
      })
      .catchall(z.unknown()),
  })
  .meta({ id: "Error" });
