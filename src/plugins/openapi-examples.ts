import { ID_PREFIXES } from "../lib/ids.js";

/**
 * Examples for the OpenAPI document, derived from the schemas themselves, so that every operation
 * shows a request and an answer without each route spelling one out. Deterministic (the document
 * is committed), and valid against its schema (the redocly test checks every example).
 */

export type Schema = {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  example?: unknown;
  examples?: unknown[];
  format?: string;
  pattern?: string;
  description?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  additionalProperties?: unknown;
};

const HEX = "0192f1a0c3d87b4e9a1f2b3c4d5e6f70";
const DATE_TIME = "2026-03-02T09:30:00Z";
const DATE = "2026-03-02";

/** Id prefixes by the word before `_id` (`user_id`), or by the component's name for its own `id`. */
const PREFIX_BY_NAME: Record<string, string> = {
  ...Object.fromEntries(Object.entries(ID_PREFIXES).map(([kind, prefix]) => [kind.toLowerCase(), prefix])),
  buyer: "user",
  seller: "user",
  customer: "user",
  parent_product: "prod",
  contract: "inv",
  invoice: "inv",
  key: "key",
  api_key: "key",
  webhook: "we",
  webhookendpoint: "we",
  createdwebhookendpoint: "we",
  webhookdelivery: "whdel",
  delivery: "whdel",
  price: "sprice",
  seasonalprice: "sprice",
  waitlistentry: "wlist",
  calendarevent: "calev",
  event: "evt",
  item: "item",
  contractitem: "item",
  cartitem: "citem",
  createdapikey: "key",
  apikey: "key",
  paymentmethod: "pmeth",
  userlink: "link",
  session: "rtok",
  request: "req",
};

/** Values for fields whose name says more than their schema can. */
const NAMED: Record<string, unknown> = {
  email: "ada@example.com",
  username: "ada_lovelace",
  name: "Beeswax candle",
  firstName: "Ada",
  lastName: "Lovelace",
  description: "Hand-poured, burns for 40 hours.",
  notes: "Deliver before the opening.",
  url: "https://example.com/candle",
  image: "https://example.com/candle.png",
  logo: "https://example.com/logo.png",
  return_url: "https://example.com/return",
  refresh_url: "https://example.com/refresh",
  currency: "usd",
  timezone: "Europe/Paris",
  payment_method: "pm_card_visa",
  token: "123456",
  phone: "+14155550123",
  category: "home",
  subcategory: "candles",
  label: "Website",
  type: "product",
  startTime: "09:00",
  endTime: "17:00",
  secret: "whsec_3kTq9wXbV2mZr8Lp5NcY7dHs4JfA1uGe",
  request_id: `req_${HEX}`,
  mode: "test",
  key: `products/plat_${HEX}/prod_${HEX}/${HEX}.png`,
  domain: "shop.example.com",
  subscriptionPlan: `prod_${HEX}`,
  refreshToken: `rtok_${HEX}.${HEX}${HEX}`,
  accessToken: "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyXzAxOTIifQ.c2lnbmF0dXJl",
};

const PATTERN_SAMPLES: [RegExp, string][] = [
  [/^\^\\d\{6\}\$$/, "123456"],
  [/^\^\[a-z\]\{3\}\$$/, "usd"],
  [/^\^\[a-z0-9\]\[a-z0-9_\]/, "ada_lovelace"],
  [/^\^pm_/, "pm_card_visa"],
  [/^\^\\d\{4\}-\\d\{2\}-\\d\{2\}\$$/, DATE],
  [/^\^\[0-9a-f\]\{64\}\$$/, "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"],
  [/253/, "shop.example.com"],
];

export class ExampleBuilder {
  constructor(private readonly components: Record<string, Schema>) {}

  /** An example of `schema`; `name` is the property (or component) it is the value of. */
  build(schema: Schema | undefined, name = "", seen: ReadonlySet<string> = new Set(), depth = 0): unknown {
    if (!schema || depth > 8) return undefined;
    if (schema.$ref) {
      const ref = schema.$ref.replace("#/components/schemas/", "");
      if (seen.has(ref)) return undefined;
      return withOwnIds(this.build(this.components[ref], name || ref, new Set([...seen, ref]), depth + 1), ref);
    }
    if (schema.example !== undefined) return schema.example;
    if (schema.examples?.length) return schema.examples[0];
    if (schema.const !== undefined) return schema.const;
    if (schema.enum?.length) return NAMED[name] !== undefined && schema.enum.includes(NAMED[name]) ? NAMED[name] : schema.enum[0];
    if (schema.default !== undefined) return schema.default;
    const branches = schema.anyOf ?? schema.oneOf;
    if (branches) {
      const branch = branches.find((b) => b.type !== "null") ?? branches[0];
      return this.build(branch, name, seen, depth + 1);
    }
    if (schema.allOf) return Object.assign({}, ...schema.allOf.map((s) => this.build(s, name, seen, depth + 1) as object));
    const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== "null") : (schema.type ?? (schema.properties ? "object" : undefined));
    switch (type) {
      case "object": {
        const out: Record<string, unknown> = {};
        for (const [key, property] of Object.entries(schema.properties ?? {})) {
          const value = this.build(property, key, seen, depth + 1);
          if (value !== undefined) out[key] = value;
        }
        return out;
      }
      case "array": {
        const item = this.build(schema.items, singular(name), seen, depth + 1);
        return item === undefined ? [] : Array.from({ length: Math.max(1, schema.minItems ?? 1) }, () => item);
      }
      case "string":
        return this.string(schema, name);
      case "integer":
      case "number":
        return number(schema, name, type);
      case "boolean":
        return true;
      default:
        return undefined;
    }
  }

  private string(schema: Schema, name: string): string {
    if (schema.format === "date-time" || /YYYY-MM-DDTHH|date and time/i.test(schema.description ?? "")) return DATE_TIME;
    if (schema.format === "date") return DATE;
    if (schema.format === "email") return "ada@example.com";
    if (schema.format === "uri") return "https://example.com";
    if (schema.pattern) {
      const known = PATTERN_SAMPLES.find(([pattern]) => pattern.test(schema.pattern!));
      if (known) return known[1];
      if (/\\d\{4\}-/.test(schema.pattern)) return /T/.test(schema.pattern) ? DATE_TIME : DATE;
    }
    const named = NAMED[name];
    if (typeof named === "string") return fitTo(named, schema);
    const id = idFor(name);
    if (id) return fitTo(id, schema);
    return fitTo(
      name
        ? name
            .replace(/([a-z])([A-Z])/g, "$1 $2")
            .replace(/_/g, " ")
            .toLowerCase()
        : "text",
      schema,
    );
  }
}

function singular(name: string): string {
  return name.endsWith("ies") ? `${name.slice(0, -3)}y` : name.endsWith("s") ? name.slice(0, -1) : name;
}

function idFor(name: string): string | undefined {
  const base = name === "id" ? undefined : name.replace(/_ids?$/, "").replace(/Id$/, "");
  if (base === name) return undefined;
  const prefix = base ? PREFIX_BY_NAME[base.toLowerCase()] : undefined;
  return `${prefix ?? "obj"}_${HEX}`;
}

/** A string within the schema's length bounds. */
function fitTo(value: string, schema: Schema): string {
  let out = value;
  if (schema.maxLength !== undefined && out.length > schema.maxLength) out = out.slice(0, schema.maxLength);
  if (schema.minLength !== undefined && out.length < schema.minLength) out = out.padEnd(schema.minLength, "x");
  return out;
}

function number(schema: Schema, name: string, type: string): number {
  const guess = /amount|price|total|fee|cents|due|owed|paid|received|revenue|value|sum/i.test(name)
    ? 2500
    : /percent|bps|rate/i.test(name)
      ? 2.5
      : /page$/i.test(name)
        ? 1
        : /per_page|limit/i.test(name)
          ? 15
          : 1;
  let value = type === "integer" ? Math.round(guess) : guess;
  const low = schema.minimum ?? (schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + 1 : undefined);
  if (low !== undefined && value < low) value = low;
  if (schema.maximum !== undefined && value > schema.maximum) value = schema.maximum;
  return value;
}

/** The id an entity's own `id` field gets, from its component's name (Product → prod_…). */
export function withOwnIds(example: unknown, componentName: string | undefined): unknown {
  if (!componentName || !example || typeof example !== "object" || Array.isArray(example)) return example;
  const record = example as Record<string, unknown>;
  const key = componentName.toLowerCase().replace(/^userwith.*/, "user");
  if (typeof record.id === "string") record.id = `${PREFIX_BY_NAME[key] ?? "obj"}_${HEX}`;
  return record;
}
