import { z } from "zod";
import { apiDate } from "../../lib/schemas.js";

/**
 * Metafields (docs/api/metafields.md): namespaced, typed values a platform keeps on its products,
 * contracts and users. Each is `(namespace, key)` → `{ type, value }`; the value is checked against
 * the type, and a date is kept as its UTC text (YYYY-MM-DDTHH:MM:SSZ) so lists compare it as a date.
 */

export const METAFIELD_TYPES = ["string", "number", "boolean", "date", "json"] as const;
export type MetafieldType = (typeof METAFIELD_TYPES)[number];

/** Metafields one product, contract or user keeps at most. */
export const MAX_METAFIELDS = 50;
/** The largest value, as JSON text (a `json` value or a `string`). */
export const MAX_VALUE_LENGTH = 10_000;

const NAME = /^[A-Za-z0-9_-]{1,64}$/;
const name = (what: "namespace" | "key") =>
  z
    .string()
    .regex(NAME, "must be 1 to 64 letters, digits, _ or -")
    .describe(`The metafield's ${what}`)
    .meta({ example: what === "namespace" ? "warehouse" : "shelf" });

export const metafieldSchema = z
  .object({
    namespace: z.string().meta({ example: "warehouse" }),
    key: z.string().meta({ example: "shelf" }),
    type: z.enum(METAFIELD_TYPES),
    value: z.unknown().describe("Of its `type`: a string, a number, true or false, a date (YYYY-MM-DDTHH:MM:SSZ) or any JSON value").meta({ example: "B-12" }),
    created: apiDate,
    updated: apiDate,
  })
  .meta({ id: "Metafield" });

export const metafieldListSchema = z.array(metafieldSchema).describe("The resource's metafields, by namespace and key");

export type MetafieldResponse = z.infer<typeof metafieldSchema>;

/** Why `value` does not fit `type` (null when it does); a date comes back normalised. */
function checkValue(type: MetafieldType, value: unknown): { error: string } | { value: unknown } {
  switch (type) {
    case "string":
      if (typeof value !== "string") return { error: "must be a string (type string)" };
      return value.length > MAX_VALUE_LENGTH ? { error: `must be at most ${MAX_VALUE_LENGTH} characters` } : { value };
    case "number":
      return typeof value === "number" && Number.isFinite(value) ? { value } : { error: "must be a number (type number)" };
    case "boolean":
      return typeof value === "boolean" ? { value } : { error: "must be true or false (type boolean)" };
    case "date": {
      const parsed = typeof value === "string" && /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(value) ? new Date(value) : null;
      if (!parsed || Number.isNaN(parsed.getTime()) || parsed.getUTCFullYear() < 1970 || parsed.getUTCFullYear() > 9999)
        return { error: "must be a date, YYYY-MM-DD or an ISO 8601 date-time (type date)" };
      return { value: `${parsed.toISOString().slice(0, 19)}Z` };
    }
    case "json":
      return value === undefined || JSON.stringify(value).length > MAX_VALUE_LENGTH ? { error: `must be a JSON value of at most ${MAX_VALUE_LENGTH} characters` } : { value };
  }
}

const metafieldInput = z
  .object({
    namespace: name("namespace"),
    key: name("key"),
    type: z.enum(METAFIELD_TYPES).optional().describe("Required unless `value` is null"),
    value: z.unknown().describe("Checked against `type`; null removes the metafield").meta({ example: "B-12" }),
  })
  .strict()
  .transform((m, ctx) => {
    if (m.value === null) return { namespace: m.namespace, key: m.key, type: m.type ?? null, value: null };
    if (m.type === undefined) {
      ctx.addIssue({ code: "custom", path: ["type"], message: `is required: one of ${METAFIELD_TYPES.join(", ")}` });
      return z.NEVER;
    }
    if (!("value" in m) || m.value === undefined) {
      ctx.addIssue({ code: "custom", path: ["value"], message: "is required (null removes the metafield)" });
      return z.NEVER;
    }
    const checked = checkValue(m.type, m.value);
    if ("error" in checked) {
      ctx.addIssue({ code: "custom", path: ["value"], message: checked.error });
      return z.NEVER;
    }
    return { namespace: m.namespace, key: m.key, type: m.type, value: checked.value };
  });

/** Metafields to set (or, with `value: null`, remove) on a resource: `{ namespace, key, type, value }` each. */
export const metafieldsInput = z
  .array(metafieldInput)
  .max(MAX_METAFIELDS)
  .superRefine((list, ctx) => {
    const seen = new Set<string>();
    for (const [i, m] of list.entries()) {
      if (!m || typeof m !== "object") continue;
      const id = `${m.namespace}.${m.key}`;
      if (seen.has(id)) ctx.addIssue({ code: "custom", path: [i, "key"], message: `${id} is given twice` });
      seen.add(id);
    }
  })
  .describe("Metafields to set, each `{ namespace, key, type, value }`; `value: null` removes one");

export type MetafieldInput = z.output<typeof metafieldsInput>[number];

export const setMetafieldsBody = z
  .object({ metafields: metafieldsInput })
  .strict()
  .meta({
    examples: [
      {
        metafields: [
          { namespace: "warehouse", key: "shelf", type: "string", value: "B-12" },
          { namespace: "specs", key: "weight_kg", type: "number", value: 7.5 },
        ],
      },
    ],
  });

export const metafieldKeyParams = (resource: string) =>
  z
    .object({
      id: z.string().min(1).max(100).describe(`The ${resource} id`),
      namespace: name("namespace"),
      key: name("key"),
    })
    .strict();

export const metafieldOwnerParams = (resource: string) => z.object({ id: z.string().min(1).max(100).describe(`The ${resource} id`) }).strict();

// ── list filters ────────────────────────────────────────────────────────────────────────────────

/** `filter[metafields.<namespace>.<key>]`, optionally with `[gt]`, `[gte]`, `[lt]` or `[lte]`. */
const FILTER = /^filter\[metafields\.([A-Za-z0-9_-]{1,64})\.([A-Za-z0-9_-]{1,64})\](?:\[(gt|gte|lt|lte)\])?$/;
const MAX_FILTERS = 10;

export type MetafieldFilter =
  | { namespace: string; key: string; op: "eq"; values: string[] }
  | { namespace: string; key: string; op: "gt" | "gte" | "lt" | "lte"; number: number | null; date: Date | null };

/**
 * The metafield filters of a list's query (what the list's strict schema would call unknown), each
 * checked: a comparison needs a number or a date. Issues name the parameter as sent.
 */
export function parseMetafieldFilters(query: Record<string, unknown>, ctx?: z.RefinementCtx): MetafieldFilter[] {
  const filters: MetafieldFilter[] = [];
  for (const [param, raw] of Object.entries(query)) {
    if (!param.startsWith("filter[metafields")) continue;
    const match = FILTER.exec(param);
    const value = Array.isArray(raw) ? raw.join(",") : typeof raw === "string" ? raw : "";
    if (!match) {
      ctx?.addIssue({ code: "custom", path: [param], message: "must be filter[metafields.<namespace>.<key>], optionally followed by [gt], [gte], [lt] or [lte]" });
      continue;
    }
    const [, namespace, key, op] = match as unknown as [string, string, string, "gt" | "gte" | "lt" | "lte" | undefined];
    if (value.length === 0 || value.length > 200) {
      ctx?.addIssue({ code: "custom", path: [param], message: "must be 1 to 200 characters" });
      continue;
    }
    if (op === undefined) {
      filters.push({
        namespace,
        key,
        op: "eq",
        values: value
          .split(",")
          .map((v) => v.trim())
          .filter((v) => v.length > 0),
      });
      continue;
    }
    const number = /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : null;
    const date = number === null && /^\d{4}-\d{2}-\d{2}/.test(value) ? new Date(value) : null;
    if (number === null && (date === null || Number.isNaN(date.getTime()))) {
      ctx?.addIssue({ code: "custom", path: [param], message: "must be a number or a date (YYYY-MM-DD or an ISO 8601 date-time) to compare with" });
      continue;
    }
    filters.push({ namespace, key, op, number, date });
  }
  if (filters.length > MAX_FILTERS) ctx?.addIssue({ code: "custom", path: [], message: `at most ${MAX_FILTERS} metafield filters` });
  return filters;
}

/**
 * A list's query schema that also takes metafield filters: the other parameters stay as strict as
 * before (an unknown one is still a 400 naming it).
 */
export function withMetafieldFilters<S extends z.ZodObject>(schema: S): z.ZodType<z.output<S>, z.input<S>> {
  // Typed as the schema it extends: the filters are read with parseMetafieldFilters.
  return schema.catchall(z.union([z.string(), z.array(z.string())])).superRefine((query, ctx) => {
    const known = new Set(Object.keys(schema.shape));
    for (const param of Object.keys(query)) {
      if (known.has(param) || param.startsWith("filter[metafields")) continue;
      ctx.addIssue({ code: "unrecognized_keys", keys: [param], path: [] });
    }
    parseMetafieldFilters(query as Record<string, unknown>, ctx);
  }) as unknown as z.ZodType<z.output<S>, z.input<S>>;
}

export const METAFIELD_FILTER_DOC =
  "`filter[metafields.<namespace>.<key>]=a,b`: a metafield with one of these values (text; a number also numerically); `filter[metafields.<namespace>.<key>][gte]=…` (`gt`, `lt`, `lte`): a number or date metafield compared with a number or a date.";
