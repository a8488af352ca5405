/**
 * What is generated from the OpenAPI document (`npm run openapi` writes it; the tests check the
 * committed copies are current): the typed client's types, the error codes page, and the Postman
 * collection (not committed: generated and validated by the test suite, written on demand).
 */
import openapiTS, { astToString } from "openapi-typescript";
import { ERROR_CODES, ERROR_CODE_LIST, type ErrorCode } from "../../src/lib/error-codes.js";

export const CLIENT_SCHEMA_PATH = "clients/typescript/src/schema.d.ts";
export const ERRORS_DOC_PATH = "docs/errors.md";
export const POSTMAN_PATH = "clients/postman/candle.postman_collection.json";

type Document = Record<string, unknown>;

/** openapi-typescript's `paths`, `components` and `operations` types. */
export async function clientSchema(document: Document): Promise<string> {
  const ast = await openapiTS(document as never, { alphabetize: false });
  return `/**\n * Generated from openapi.json by \`npm run openapi\` (openapi-typescript): do not edit.\n */\n\n${astToString(ast)}`;
}

/** docs/errors.md: every code the server can answer, by status, from src/lib/error-codes.ts. */
export function errorsMarkdown(): string {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of ERROR_CODE_LIST) {
    const status = ERROR_CODES[code].status[0]!;
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const lines = [
    "# Error codes",
    "",
    "<!-- Generated from src/lib/error-codes.ts by `npm run openapi`: edit the list there. -->",
    "",
    "Every error is answered in one envelope, with the request's id (also in the `Request-Id` header):",
    "",
    "```json",
    '{ "error": { "type": "invalid_request_error", "code": "parameter_unknown", "message": "Unknown field `colour`.", "param": "colour", "request_id": "req_…" } }',
    "```",
    "",
    "Branch on `code` (the list below is complete: it is the `Error.code` enum of openapi.json), show",
    "`message` to people, and quote `request_id` to support. `param` names the field or parameter at",
    "fault when there is one. Card errors add Stripe's `decline_code`; a payment processor's code that",
    "is not listed here is answered as its family's (`card_declined`, `invalid_request`) with the",
    "original in `stripe_code`. 5xx answers never carry internal detail.",
    "",
  ];
  for (const status of [...byStatus.keys()].sort((a, b) => a - b)) {
    lines.push(`## ${status}`, "", "| code | also answered with | meaning |", "|---|---|---|");
    for (const code of byStatus.get(status)!) {
      const { status: statuses, description } = ERROR_CODES[code];
      lines.push(`| \`${code}\` | ${statuses.slice(1).join(", ")} | ${description.replace(/\|/g, "\\|")} |`);
    }
    lines.push("");
  }
  return lines.join("\n");
}

export interface PostmanCollection {
  info: { name: string; schema: string };
  item: PostmanItem[];
  variable?: { key: string; value: unknown }[];
}
export interface PostmanItem {
  name: string;
  item?: PostmanItem[];
  request?: { method: string; url: { raw: string } | string; header?: { key: string; value: string }[]; body?: { mode: string; raw?: string }; auth?: unknown };
  response?: { name: string; code: number; body?: string }[];
}

/** A Postman collection (v2.1) of every operation, grouped by tag, with the examples as bodies. */
export async function postmanCollection(document: Document): Promise<PostmanCollection> {
  const { default: converter } = (await import("openapi-to-postmanv2")) as unknown as {
    default: {
      convert(input: unknown, options: unknown, callback: (err: Error | null, result: { result: boolean; reason?: string; output?: { data: PostmanCollection }[] }) => void): void;
    };
  };
  return new Promise((resolve, reject) => {
    converter.convert(
      { type: "json", data: document },
      { folderStrategy: "Tags", requestParametersResolution: "Example", exampleParametersResolution: "Example", includeAuthInfoInExample: false },
      (err, result) => {
        if (err) return reject(err);
        if (!result.result || !result.output?.[0]) return reject(new Error(`openapi-to-postmanv2: ${result.reason ?? "no collection"}`));
        resolve(result.output[0].data);
      },
    );
  });
}

export const formatJson = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;
