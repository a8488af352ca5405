import { errorEnvelopeSchema } from "./error-envelope.js";

/** The error answers a route can give, for its OpenAPI description. */
export function errors(...statuses: number[]) {
  return Object.fromEntries(statuses.map((s) => [s, errorEnvelopeSchema])) as Record<number, typeof errorEnvelopeSchema>;
}
