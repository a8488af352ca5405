import fc from "fast-check";
import type { PlatformWorld } from "./fixtures.js";
import { objectSchemaOf, type JsonSchema, type RouteModel } from "./route-model.js";
import { objectSlots } from "./route-requests.js";
import { anyJson, arbitraryOf, nastyNumber, nastyString } from "./schema-samples.js";

/**
 * Requests for the fuzzer: built from a route's schemas (valid-looking first), then broken — wrong
 * types, huge strings, negative and fractional money, big numbers, unicode (RTL, emoji, NUL, lone
 * surrogates), deep nesting, missing and extra fields, arrays where objects go, prototype-pollution
 * keys, malformed JSON, wrong content types, bodies at and over the size limit.
 */

export interface FuzzRequest {
  method: string;
  /** Path and query, already encoded as they go on the wire. */
  path: string;
  headers: Record<string, string>;
  body?: string | Buffer;
  /** What was done to the request, for the failure report. */
  label: string;
}

export interface FuzzSubjects {
  own: PlatformWorld;
  other: PlatformWorld;
  /** The object ids of each world, made before fuzzing (so the fuzzer only reads them). */
  ownIds: Record<string, string>;
  otherIds: Record<string, string>;
  bodyLimit: number;
}

const PROTO_KEYS = ["__proto__", "constructor", "prototype"];

/**
 * encodeURIComponent, except that a lone surrogate (which it refuses) goes out as the bytes
 * WTF-8 would give it: percent-encoded bytes that are not UTF-8, for the server to cope with.
 */
export function encodeAny(text: string): string {
  let out = "";
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (code >= 0xd800 && code <= 0xdfff) {
      out += [0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f)].map((b) => `%${b.toString(16).toUpperCase()}`).join("");
    } else {
      out += encodeURIComponent(char);
    }
  }
  return out;
}

/** Raw JSON texts no object literal can produce (`__proto__` keys, duplicates, broken syntax, depth). */
const RAW_BODIES: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '{"__proto__":{"isAdmin":true}}',
    '{"constructor":{"prototype":{"isAdmin":true}}}',
    '{"a":1,"a":2}',
    "{",
    '{"a":',
    "[1,2,",
    "nul",
    "\u0000",
    '"\\ud800"',
    '{"\\u0000":1}',
    "1e99999",
    "-",
    "{}garbage",
    "\ufeff{}",
    "[[[[[[[[[[]]]]]]]]]]",
  ),
  fc.integer({ min: 1_000, max: 100_000 }).map((n) => `${"[".repeat(n)}${"]".repeat(n)}`),
  fc.integer({ min: 1_000, max: 50_000 }).map((n) => `${'{"a":'.repeat(n)}1${"}".repeat(n)}`),
);

function withField(base: unknown, key: string, value: unknown): unknown {
  if (base && typeof base === "object" && !Array.isArray(base)) return { ...(base as object), [key]: value };
  return { [key]: value };
}

function withoutField(base: unknown, key: string): unknown {
  if (!base || typeof base !== "object" || Array.isArray(base)) return base;
  const copy = { ...(base as Record<string, unknown>) };
  delete copy[key];
  return copy;
}

const deepObject = (depth: number): unknown => {
  let value: unknown = 1;
  for (let i = 0; i < depth; i += 1) value = i % 2 ? [value] : { a: value };
  return value;
};

/** A value where a field goes: anything, from nearly right to absurd. */
const brokenValue = (): fc.Arbitrary<unknown> =>
  fc.oneof(
    { weight: 3, arbitrary: nastyString() },
    { weight: 3, arbitrary: nastyNumber() },
    { weight: 2, arbitrary: anyJson() },
    { weight: 1, arbitrary: fc.constantFrom(null, true, false, [], {}, [null], [{}], { "": "" }) },
    { weight: 1, arbitrary: fc.integer({ min: 50, max: 1_000 }).map(deepObject) },
    { weight: 1, arbitrary: fc.array(nastyString(200), { maxLength: 300 }) },
  );

/** Bodies for a route with a JSON body schema: valid-looking, then mutated. */
function jsonBody(schema: JsonSchema | undefined, ctx: { idFor(field: string): string | undefined }, bodyLimit: number): fc.Arbitrary<{ text: string; label: string }> {
  const valid = schema ? arbitraryOf(schema, "", ctx) : anyJson();
  const fields = Object.keys(objectSchemaOf(schema)?.properties ?? {});
  const fieldName = fields.length ? fc.constantFrom(...fields) : fc.string({ maxLength: 10 });
  const json = (label: string) => (value: unknown) => ({ text: JSON.stringify(value), label });
  return fc.oneof(
    { weight: 3, arbitrary: valid.map(json("valid-looking body")) },
    {
      weight: 6,
      arbitrary: fc.tuple(valid, fieldName, brokenValue()).map(([base, key, value]) => json(`field ${key} broken`)(withField(base, key, value))),
    },
    { weight: 2, arbitrary: fc.tuple(valid, fieldName).map(([base, key]) => json(`field ${key} left out`)(withoutField(base, key))) },
    {
      weight: 2,
      arbitrary: fc
        .tuple(valid, fc.oneof(fc.constantFrom(...PROTO_KEYS, "id", "platform_id", "amountPaid", "role", "status"), fc.string({ maxLength: 20 })), anyJson())
        .map(([base, key, value]) => json(`extra field ${key}`)(withField(base, key, value))),
    },
    { weight: 2, arbitrary: anyJson().map(json("body of another type")) },
    { weight: 1, arbitrary: valid.map((v) => json("array where the object goes")([v, v])) },
    { weight: 2, arbitrary: RAW_BODIES.map((text) => ({ text, label: "raw JSON text" })) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fieldName, fc.constantFrom(0.5, 0.99, 1.01, 1.5))
        .map(([key, fraction]) => ({ text: JSON.stringify({ [key]: "x".repeat(Math.floor(bodyLimit * fraction) - key.length - 10) }), label: `a body of ${fraction}× the limit` })),
    },
  );
}

const CONTENT_TYPES = fc.oneof(
  { weight: 12, arbitrary: fc.constant("application/json") },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      "application/json; charset=utf-8",
      "application/json; charset=utf-16",
      "APPLICATION/JSON",
      "text/plain",
      "application/x-www-form-urlencoded",
      "multipart/form-data",
      "application/octet-stream",
      "image/png",
      "application/json, text/plain",
      "",
    ),
  },
);

/** A multipart body with one part: a file of random (or image-looking) bytes in a random field. */
const multipartBody = fc
  .tuple(
    fc.constantFrom("media", "file", "", "media\u0000", 'm"edia'),
    fc.constantFrom("a.png", "", "../../x.png", "é😀.gif", "a\r\nb"),
    fc.oneof(
      fc.uint8Array({ maxLength: 2_000 }).map((b) => Buffer.from(b)),
      fc.constantFrom(Buffer.from("89504e470d0a1a0a", "hex"), Buffer.from("ffd8ff", "hex"), Buffer.from("GIF89a"), Buffer.alloc(0)),
    ),
  )
  .map(([field, filename, data]) => {
    const boundary = "----fuzzboundary7MA4YWxkTrZu0gW";
    return {
      contentType: `multipart/form-data; boundary=${boundary}`,
      body: Buffer.concat([
        Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${filename}"\r\nContent-Type: image/png\r\n\r\n`),
        data,
        Buffer.from(`\r\n--${boundary}--\r\n`),
      ]),
    };
  });

/** Query strings from the route's parameters: valid-looking values, broken ones, unknown and repeated keys. */
function queryArb(route: RouteModel): fc.Arbitrary<string> {
  const params = route.query;
  const value = (schema: JsonSchema, name: string) =>
    fc.oneof(
      { weight: 3, arbitrary: arbitraryOf(schema, name).map((v) => (Array.isArray(v) ? v.join(",") : String(v))) },
      { weight: 2, arbitrary: nastyString(300) },
      { weight: 1, arbitrary: nastyNumber().map(String) },
    );
  const pair = params.length
    ? fc.oneof(
        { weight: 5, arbitrary: fc.constantFrom(...params).chain((p) => value(p.schema, p.name).map((v) => [p.name, v] as const)) },
        {
          weight: 1,
          arbitrary: fc.tuple(fc.constantFrom("__proto__[x]", "constructor[prototype][x]", "filter[", "filter[a][b]", "page[]", "x".repeat(500), "é"), nastyString(300)),
        },
      )
    : fc.tuple(fc.oneof(fc.string({ maxLength: 10 }), fc.constantFrom("__proto__[x]", "filter[a]")), nastyString(300));
  // Now and then a URL over the 16 KB Node accepts in a request's head (431).
  const oversized = fc.constant(["q", "x".repeat(20_000)] as const);
  return fc.array(fc.oneof({ weight: 40, arbitrary: pair }, { weight: 1, arbitrary: oversized }), { maxLength: 6 }).map((pairs) => {
    // Required parameters usually come along, so validation does not stop at their absence.
    const required = params.filter((p) => p.required).map((p) => [p.name, String(arbitrarySample(p.schema, p.name))] as const);
    const all = [...required, ...pairs];
    return all.length ? `?${all.map(([k, v]) => `${encodeAny(k)}=${encodeAny(v)}`).join("&")}` : "";
  });
}

function arbitrarySample(schema: JsonSchema, name: string): unknown {
  return fc.sample(arbitraryOf(schema, name), { seed: 1, numRuns: 1 })[0];
}

/** Path segments: an object of the caller's platform (mostly), another platform's, or junk. */
function pathValue(ownId: string | undefined, otherId: string | undefined): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: ownId ? 6 : 0, arbitrary: fc.constant(ownId ?? "x") },
    { weight: otherId ? 1 : 0, arbitrary: fc.constant(otherId ?? "x") },
    {
      weight: 2,
      arbitrary: nastyString(1_000)
        .filter((s) => s.length > 0)
        .map(encodeAny),
    },
    { weight: 1, arbitrary: fc.constantFrom("%", "%E0%A4%A", "%00", "%2F", "..", ".", "%C0%AE%C0%AE", "a%20b", "%F0%9F%98%80") },
  );
}

export function fuzzRequestArb(route: RouteModel, subjects: FuzzSubjects): fc.Arbitrary<FuzzRequest> {
  const slots = objectSlots(route);
  const kindOf = (name: string) => {
    const slot = slots.find((s) => s.name === name);
    return slot && "kind" in slot.kind ? slot.kind.kind : undefined;
  };
  const pathArbs = Object.fromEntries(
    route.pathParams.map((name) => {
      const kind = kindOf(name);
      return [name, pathValue(kind ? subjects.ownIds[kind] : undefined, kind ? subjects.otherIds[kind] : undefined)];
    }),
  );
  const idFor = (field: string) => {
    const kind = kindOf(field);
    return kind ? subjects.ownIds[kind] : undefined;
  };
  const { own } = subjects;
  const needsUser = typeof route.auth === "object" && route.auth.user === true;
  const credentials = fc.oneof(
    { weight: 14, arbitrary: fc.constant({ label: "its caller", headers: { authorization: `Bearer ${needsUser ? own.users.member.token : own.platform.apiKey}` } }) },
    { weight: 2, arbitrary: fc.constant({ label: "owner token", headers: { authorization: `Bearer ${own.users.owner.token}` } }) },
    { weight: 2, arbitrary: fc.constant({ label: "member token", headers: { authorization: `Bearer ${own.users.member.token}` } }) },
    { weight: 2, arbitrary: fc.constant({ label: "SDK key + user", headers: { api_key: own.platform.apiKey, mode: "test", authorization: `Bearer ${own.users.member.token}` } }) },
    { weight: 1, arbitrary: fc.constant({ label: "none", headers: {} as Record<string, string> }) },
    { weight: 1, arbitrary: nastyString(300).map((s) => ({ label: "junk credentials", headers: { authorization: `Bearer ${s.replace(/[^\x21-\x7e]/g, "x") || "x"}` } })) },
  );
  const takesBody = route.method !== "GET" && route.method !== "DELETE" ? 1 : 0;
  const body = fc.oneof(
    { weight: route.body ? 8 : 1, arbitrary: fc.tuple(jsonBody(route.body, { idFor }, subjects.bodyLimit), CONTENT_TYPES).map(([b, ct]) => ({ ...b, contentType: ct })) },
    { weight: 1 + takesBody, arbitrary: multipartBody.map((m) => ({ text: m.body, label: "multipart upload", contentType: m.contentType })) },
    { weight: route.body ? 1 : 4, arbitrary: fc.constant({ text: undefined as string | Buffer | undefined, label: "no body", contentType: "" }) },
  );
  return fc
    .record({ path: fc.record(pathArbs), query: queryArb(route), credentials, body, idempotencyKey: fc.option(fc.string({ maxLength: 300 }), { freq: 8 }) })
    .map(({ path, query, credentials, body, idempotencyKey }) => {
      const url = route.url.replace(/:([A-Za-z0-9_]+)/g, (_, name: string) => path[name]!);
      const headers: Record<string, string> = { ...credentials.headers };
      if (body.text !== undefined && body.contentType) headers["content-type"] = body.contentType;
      // Every write honours Idempotency-Key (POST, PUT, PATCH, DELETE).
      if (idempotencyKey !== null && route.method !== "GET") headers["idempotency-key"] = idempotencyKey.replace(/[^\x20-\x7e]/g, "?");
      // A request head over Node's 16 KB is refused (431) and its connection closed before a large
      // body has been written: the client would only see its write fail. Keep such bodies small.
      const oversizedHead = url.length + query.length > 16_000;
      const text = oversizedHead && body.text !== undefined && body.text.length > 16_384 ? "{}" : body.text;
      return {
        method: route.method,
        path: url + query,
        headers,
        body: route.method === "GET" ? undefined : text,
        label: `${body.label}${text !== body.text ? " (cut: oversized URL)" : ""}; credentials: ${credentials.label}`,
      };
    });
}
