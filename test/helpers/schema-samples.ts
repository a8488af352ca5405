import fc from "fast-check";
import type { JsonSchema } from "./route-model.js";

/**
 * Values built from a route's JSON Schema (as `/openapi.json` publishes it): a deterministic valid
 * sample (the smallest body, query or path a route accepts, for the security suite), and fast-check
 * arbitraries of valid-looking values that the fuzzer then breaks.
 *
 * JSON Schema cannot say everything the zod schemas check (refinements: an IANA time zone, an
 * http(s) URL, an email behind a `pipe`, a start before an end). Those come from the field's name,
 * in `NAMED`, the conventions the whole API follows (README, "Conventions").
 */

export interface SampleContext {
  /** The id to put in a field that names another object (`user_id`, `media_id`, …); undefined to use a made-up one. */
  idFor?(field: string): string | undefined;
}

let unique = 0;
const fresh = () => `${Date.now().toString(36)}${(unique += 1)}`;

/** A date-time in whole seconds, a year ahead; `later` an hour after the `earlier` one. */
const BASE = Date.UTC(new Date().getUTCFullYear() + 2, 2, 3, 10, 0, 0);
export const isoSeconds = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

const START = /(^from$|Start$|^start|^since$)/;
const END = /(^to$|End$|^end|^until$)/;

/** Values by field name, for what JSON Schema cannot express. */
const NAMED: Record<string, () => unknown> = {
  email: () => `sample-${fresh()}@example.com`,
  username: () => `sample_${fresh()}`.slice(0, 30),
  timezone: () => "UTC",
  currency: () => "usd",
  url: () => "https://example.com/sample",
  image: () => "https://example.com/sample.png",
  logo: () => "https://example.com/logo.png",
  return_url: () => "https://example.com/return",
  refresh_url: () => "https://example.com/refresh",
  payment_method: () => "pm_card_visa",
  platformFee: () => 2.5,
  domains: () => [`sample-${fresh()}.example.com`],
  startTime: () => "09:00",
  endTime: () => "17:00",
  date: () => isoSeconds(BASE),
};

function isDateTime(schema: JsonSchema): boolean {
  return schema.format === "date-time" || /date-?time|ISO 8601/i.test(schema.description ?? "");
}

function alternatives(schema: JsonSchema): JsonSchema[] {
  return schema.anyOf ?? schema.oneOf ?? [];
}

function typeOf(schema: JsonSchema): string | undefined {
  if (Array.isArray(schema.type)) return schema.type.find((t) => t !== "null");
  return schema.type ?? (schema.properties ? "object" : schema.items ? "array" : undefined);
}

function stringSample(schema: JsonSchema): string {
  if (schema.pattern) {
    const [value] = fc.sample(fc.stringMatching(new RegExp(schema.pattern)), { seed: 42, numRuns: 1 });
    return value!;
  }
  const min = schema.minLength ?? 1;
  return "sample".padEnd(min, "x").slice(0, schema.maxLength ?? 100);
}

/** The smallest valid value of a schema: required fields only, first enum member, lowest number. */
export function sampleOf(schema: JsonSchema, name = "", ctx: SampleContext = {}): unknown {
  if (name.endsWith("_id") || name === "variant") {
    const id = ctx.idFor?.(name);
    if (id !== undefined) return id;
  }
  if (NAMED[name] && typeOf(schema) !== "object") return NAMED[name]!();
  if (schema.const !== undefined) return schema.const;
  if (schema.enum) return schema.enum[0];
  if (schema.default !== undefined && typeOf(schema) !== "object") return schema.default;
  const alts = alternatives(schema);
  if (alts.length) {
    const nonNull = alts.find((a) => typeOf(a) !== "null") ?? alts[0]!;
    return sampleOf(nonNull, name, ctx);
  }
  switch (typeOf(schema)) {
    case "object": {
      const out: Record<string, unknown> = {};
      const props = schema.properties ?? {};
      for (const key of schema.required ?? []) out[key] = sampleOf(props[key] ?? {}, key, ctx);
      return datesInOrder(out, props);
    }
    case "array": {
      const n = schema.minItems ?? 0;
      return Array.from({ length: n }, () => sampleOf(schema.items ?? {}, name, ctx));
    }
    case "integer":
    case "number": {
      const min = schema.minimum ?? (schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + 1 : 1);
      return Math.max(min, Math.min(schema.maximum ?? Number.MAX_SAFE_INTEGER, /duration|step/.test(name) ? 60 : min));
    }
    case "boolean":
      return false;
    case "null":
      return null;
    case "string":
      if (schema.format === "date") return isoSeconds(END.test(name) ? BASE + 86_400_000 : BASE).slice(0, 10);
      if (isDateTime(schema) || START.test(name) || END.test(name)) return isoSeconds(END.test(name) ? BASE + 3_600_000 : BASE);
      return stringSample(schema);
    default:
      return "sample";
  }
}

/** Start/end pairs (`seasonStart`/`seasonEnd`, `from`/`to`) an hour apart, start first. */
function datesInOrder(out: Record<string, unknown>, props: Record<string, JsonSchema>): Record<string, unknown> {
  for (const key of Object.keys(out)) {
    const schema = props[key] ?? {};
    if (typeof out[key] === "string" && (isDateTime(schema) || alternatives(schema).some(isDateTime))) {
      out[key] = isoSeconds(END.test(key) ? BASE + 3_600_000 : BASE);
    }
  }
  return out;
}

// ── fast-check arbitraries: values that look valid, for the fuzzer to break ──

const NASTY_STRINGS = [
  "",
  " ",
  "\u202eevil\u202c", // RTL override
  "مرحبا بالعالم",
  "😀👩‍👩‍👧‍👦🏳️‍🌈",
  "\u0000",
  "a\u0000b",
  "\ud800", // lone high surrogate
  "\udfff",
  "\uffff\ufffe",
  "%00",
  "../../etc/passwd",
  "'; DROP TABLE users; --",
  "<script>alert(1)</script>",
  "${7*7}{{7*7}}",
  "__proto__",
  "constructor",
  "\r\nSet-Cookie: x=1",
  "null",
  "NaN",
  "-1",
  "1e309",
  "0x10",
  "true",
  "[]",
  "{}",
];

/** Strings that break things: unicode oddities, injection-looking text, long runs (up to `longest`). */
export const nastyString = (longest = 70_000): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...NASTY_STRINGS) },
    { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) },
    { weight: 1, arbitrary: fc.string({ unit: "grapheme", maxLength: 40 }) },
    { weight: 1, arbitrary: fc.integer({ min: Math.min(1_000, longest), max: longest }).map((n) => "x".repeat(n)) },
  );

export const nastyNumber = (): fc.Arbitrary<number> =>
  fc.oneof(
    fc.constantFrom(-1, -0.5, 0.5, 0.001, 1.005, -2_147_483_649, 2_147_483_648, 9_007_199_254_740_993, 1e21, 1e308, -1e308, Number.MIN_VALUE, 100_000_000_001),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.integer({ min: -2_147_483_648, max: 2_147_483_647 }),
  );

/** Any JSON value, possibly deep. */
export const anyJson = (): fc.Arbitrary<unknown> =>
  fc.oneof({ weight: 3, arbitrary: fc.jsonValue({ maxDepth: 3 }) }, { weight: 1, arbitrary: nastyString() }, { weight: 1, arbitrary: nastyNumber() });

/** Valid-looking values of a schema (not always valid: the refinements JSON Schema cannot carry). */
export function arbitraryOf(schema: JsonSchema, name = "", ctx: SampleContext = {}, depth = 0): fc.Arbitrary<unknown> {
  if (depth > 6) return fc.constant(null);
  if (name.endsWith("_id") || name === "variant") {
    const id = ctx.idFor?.(name);
    if (id !== undefined) return fc.oneof({ weight: 3, arbitrary: fc.constant(id) }, { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 40 }) });
  }
  if (NAMED[name] && typeOf(schema) !== "object") return fc.constant(null).map(() => NAMED[name]!());
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  const alts = alternatives(schema);
  if (alts.length) return fc.oneof(...alts.map((a) => arbitraryOf(a, name, ctx, depth + 1)));
  switch (typeOf(schema)) {
    case "object": {
      const props = schema.properties ?? {};
      const required = new Set(schema.required ?? []);
      const model: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [key, prop] of Object.entries(props)) model[key] = arbitraryOf(prop, key, ctx, depth + 1);
      return fc.record(model, { requiredKeys: Object.keys(props).filter((k) => required.has(k)) }).map((o) => datesInOrder(o as Record<string, unknown>, props));
    }
    case "array":
      return fc.array(arbitraryOf(schema.items ?? {}, name, ctx, depth + 1), { minLength: schema.minItems ?? 0, maxLength: Math.min(schema.maxItems ?? 5, 5) });
    case "integer":
      return fc.integer({ min: Math.max(schema.minimum ?? -1_000_000, -2_147_483_648), max: Math.min(schema.maximum ?? 1_000_000, 2_147_483_647) });
    case "number":
      return fc.double({ min: schema.minimum ?? -1e6, max: schema.maximum ?? 1e6, noNaN: true, noDefaultInfinity: true });
    case "boolean":
      return fc.boolean();
    case "null":
      return fc.constant(null);
    case "string":
      if (isDateTime(schema) || START.test(name) || END.test(name)) {
        return fc.integer({ min: -400 * 86_400, max: 400 * 86_400 }).map((s) => isoSeconds(BASE + s * 1000));
      }
      if (schema.pattern) return fc.stringMatching(new RegExp(schema.pattern)).filter((s) => s.length <= (schema.maxLength ?? 10_000));
      return fc.string({ minLength: schema.minLength ?? 0, maxLength: Math.min(schema.maxLength ?? 30, 30) });
    default:
      return anyJson();
  }
}
