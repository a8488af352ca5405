import createClient, { type Client, type ClientOptions } from "openapi-fetch";
import type { components, operations, paths } from "./schema.js";

export type { components, operations, paths };
/** The shared objects (`Schemas["Product"]`, `Schemas["Error"]`, …). */
export type Schemas = components["schemas"];
export type ErrorCode = Schemas["Error"]["error"]["code"];
export type CandleClient = Client<paths>;

export interface CandleClientOptions extends Omit<ClientOptions, "baseUrl"> {
  /** The server, e.g. `http://localhost:5000`. */
  baseUrl: string;
  /** The platform key (`cndl_test_…`), or a signed-in user's access token for `/auth` routes. */
  token?: string;
}

/**
 * A client whose paths, parameters, bodies and answers are typed from openapi.json:
 *
 *     const candle = createCandleClient({ baseUrl: "http://localhost:5000", token: process.env.CANDLE_KEY });
 *     const { data, error } = await candle.GET("/v1/products/{id}", { params: { path: { id } } });
 *
 * Every answer is `{ data }` or `{ error }` (the error envelope), with the raw `response`.
 */
export function createCandleClient({ token, headers, ...options }: CandleClientOptions): CandleClient {
  return createClient<paths>({
    ...options,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(headers as Record<string, string> | undefined) },
  });
}
