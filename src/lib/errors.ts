/**
 * Typed errors. Services throw these; one error handler renders every one of them as
 * `{ error: { type, code, message, param?, request_id } }` with the status it carries.
 * Every constructor takes its arguments in that order: `code`, then `message`, then `param`
 * (classes with a fixed code start at `message`; `NotFoundError` builds its message from `what`).
 */
export type ErrorType = "invalid_request_error" | "authentication_error" | "permission_error" | "idempotency_error" | "rate_limit_error" | "card_error" | "api_error";

/**
 * A machine-readable error code, one of the list in error-codes.ts (also the OpenAPI enum and
 * docs/errors.md). Typed, so that a message passed where the code goes fails to compile.
 */
import type { ErrorCode } from "./error-codes.js";

export type { ErrorCode };

export interface AppErrorOptions {
  param?: string;
  /** Extra fields rendered inside `error` (e.g. Stripe's `decline_code`). */
  extra?: Record<string, unknown>;
  headers?: Record<string, string>;
  cause?: unknown;
}

export class AppError extends Error {
  readonly status: number;
  readonly type: ErrorType;
  readonly code: ErrorCode;
  readonly param?: string;
  readonly extra?: Record<string, unknown>;
  readonly headers?: Record<string, string>;

  constructor(status: number, type: ErrorType, code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.status = status;
    this.type = type;
    this.code = code;
    this.param = options.param;
    this.extra = options.extra;
    this.headers = options.headers;
  }
}

/** 400: the request itself is malformed; `param` names the field. */
export class ValidationError extends AppError {
  constructor(code: ErrorCode, message: string, param?: string) {
    super(400, "invalid_request_error", code, message, { param });
  }
}

export class AuthenticationError extends AppError {
  constructor(code: ErrorCode = "unauthenticated", message = "Invalid or missing credentials.") {
    super(401, "authentication_error", code, message);
  }
}

export class PermissionError extends AppError {
  constructor(code: ErrorCode = "forbidden", message = "You do not have permission to do this.") {
    super(403, "permission_error", code, message);
  }
}

/** 404: also the answer for another platform's objects, so ids leak nothing. */
export class NotFoundError extends AppError {
  constructor(what: string, id?: string, param?: string) {
    super(404, "invalid_request_error", "resource_missing", id ? `No such ${what}: '${id}'.` : `No such ${what}.`, { param });
  }
}

/** 409: the object's current state does not allow this. */
export class ConflictError extends AppError {
  constructor(code: ErrorCode, message: string, param?: string) {
    super(409, "invalid_request_error", code, message, { param });
  }
}

/** 422: well-formed, but breaks a business rule. */
export class UnprocessableError extends AppError {
  constructor(code: ErrorCode, message: string, param?: string, extra?: Record<string, unknown>) {
    super(422, "invalid_request_error", code, message, { param, extra });
  }
}

export class RateLimitError extends AppError {
  constructor(retryAfterSeconds: number) {
    super(429, "rate_limit_error", "rate_limited", `Too many requests. Retry in ${retryAfterSeconds} s.`, {
      headers: { "retry-after": String(retryAfterSeconds) },
    });
  }
}

export class PayloadTooLargeError extends AppError {
  constructor(message = "The request body is too large.") {
    super(413, "invalid_request_error", "payload_too_large", message);
  }
}

export class UnsupportedMediaTypeError extends AppError {
  constructor(message: string, param?: string) {
    super(415, "invalid_request_error", "unsupported_media_type", message, { param });
  }
}

export class ServiceUnavailableError extends AppError {
  constructor(code: ErrorCode = "service_unavailable", message = "The service is temporarily unavailable. Retry shortly.") {
    super(503, "api_error", code, message, { headers: { "retry-after": "1" } });
  }
}

/** 403 `user_suspended`: the user's sign-ins, sessions and purchases are refused while an admin has them suspended. */
export class UserSuspendedError extends PermissionError {
  constructor() {
    super("user_suspended", "This user is suspended by the platform: they cannot sign in or act until an admin unsuspends them.");
  }
}
