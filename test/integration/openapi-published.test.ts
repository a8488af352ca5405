import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { promisify } from "node:util";
import Collection from "postman-collection";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLIENT_SCHEMA_PATH, clientSchema, ERRORS_DOC_PATH, errorsMarkdown, postmanCollection, type PostmanItem } from "../../scripts/lib/generated.js";
import { formatDocument, OPENAPI_PATH } from "../../scripts/lib/openapi-document.js";
import { ERROR_CODE_LIST } from "../../src/lib/error-codes.js";
import { createTestContext, type TestContext } from "../helpers/app.js";

/**
 * The published spec and what is generated from it: openapi.json must be what the server serves
 * (the drift check), and the client types, the error codes page and the Postman collection must be
 * generated from it. `npm run openapi` brings them up to date.
 */
type Operation = {
  operationId: string;
  summary?: string;
  parameters?: { in: string; example?: unknown }[];
  requestBody?: { content: Record<string, { example?: unknown }> };
  responses: Record<string, { description: string; content?: Record<string, { example?: unknown }> }>;
  "x-codeSamples"?: unknown[];
};
type Spec = {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, { properties?: Record<string, { properties?: Record<string, { enum?: string[] }> }> }> };
};

let t: TestContext;
let served: Spec;
const committed = readFileSync(OPENAPI_PATH, "utf8");
const spec = JSON.parse(committed) as Spec;
const operations = Object.entries(spec.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ path, method, op })));

beforeAll(async () => {
  t = await createTestContext();
  served = (await t.request({ method: "GET", url: "/openapi.json" })).json();
});
afterAll(() => t.close());

describe("openapi.json", () => {
  it("is exactly what the server serves (run `npm run openapi` after changing a route)", () => {
    expect(committed === formatDocument(served), "openapi.json is out of date: run npm run openapi").toBe(true);
  });

  it("gives every operation a summary, described answers, examples and a curl call", () => {
    for (const { path, method, op } of operations) {
      const where = `${method.toUpperCase()} ${path}`;
      expect(op.summary, where).toBeTruthy();
      expect(op["x-codeSamples"], where).toHaveLength(1);
      expect(
        Object.keys(op.responses).some((s) => s.startsWith("4")),
        `${where} has no 4xx answer`,
      ).toBe(true);
      for (const [status, response] of Object.entries(op.responses)) {
        expect(response.description, `${where} ${status}`).not.toBe("Default Response");
        for (const [type, media] of Object.entries(response.content ?? {})) if (type === "application/json") expect(media.example, `${where} ${status}`).toBeDefined();
      }
      const body = op.requestBody?.content["application/json"];
      if (body) expect(body.example, `${where} request body`).toBeDefined();
      for (const parameter of op.parameters ?? []) if (parameter.in === "path") expect(parameter.example, `${where} path parameter`).toBeDefined();
    }
  });

  it("has no duplicate *Input components", () => {
    const names = Object.keys(spec.components.schemas);
    expect(names.filter((n) => n.endsWith("Input") && names.includes(n.slice(0, -5)))).toEqual([]);
    expect(committed).not.toMatch(/#\/components\/schemas\/\w+Input"/);
  });

  it("lists every error code in Error.code, each explained in docs/errors.md", () => {
    expect(spec.components.schemas.Error!.properties!.error!.properties!.code!.enum).toEqual(ERROR_CODE_LIST);
    const doc = readFileSync(ERRORS_DOC_PATH, "utf8");
    expect(doc === errorsMarkdown(), "docs/errors.md is out of date: run npm run openapi").toBe(true);
    for (const code of ERROR_CODE_LIST) expect(doc).toContain(`| \`${code}\` |`);
  });

  it("passes `redocly lint` with the recommended rules, every example valid against its schema", async () => {
    const { stdout } = await promisify(execFile)("node_modules/.bin/redocly", ["lint", OPENAPI_PATH, "--format=json"], {
      env: { ...process.env, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true" },
      maxBuffer: 64 * 1024 * 1024,
    });
    const report = JSON.parse(stdout) as { totals: { errors: number }; problems: { ruleId: string; severity: string; message: string }[] };
    expect(report.problems.filter((p) => p.severity === "error")).toEqual([]);
    expect(report.totals.errors).toBe(0);
    expect(report.problems.filter((p) => /^no-invalid-.*examples$/.test(p.ruleId))).toEqual([]);
  }, 120_000);
});

describe("generated from openapi.json", () => {
  it("the typed client's types are current", async () => {
    expect(readFileSync(CLIENT_SCHEMA_PATH, "utf8") === (await clientSchema(spec)), `${CLIENT_SCHEMA_PATH} is out of date: run npm run openapi`).toBe(true);
  });

  it("a Postman collection (v2.1) with every operation, its example body and answers", async () => {
    const collection = await postmanCollection(spec);
    expect(Collection.Collection.isCollection(new Collection.Collection(collection as never))).toBe(true);
    const requests: PostmanItem[] = [];
    const walk = (items: PostmanItem[]) => items.forEach((item) => (item.item ? walk(item.item) : requests.push(item)));
    walk(collection.item);
    expect(requests).toHaveLength(operations.length);
    const create = requests.find((r) => r.request?.method === "POST" && JSON.stringify(r.request.url).includes('"products"') && r.request.body?.raw?.includes("Beeswax"));
    expect(create, "POST /v1/products with its example body").toBeDefined();
    expect(requests.every((r) => (r.response ?? []).length > 0)).toBe(true);
    // Loaded by Postman's own SDK, each request resolves to a method and a URL on {{baseUrl}}.
    const loaded = new Collection.Collection(collection as never);
    let count = 0;
    loaded.forEachItem((item) => {
      count += 1;
      expect(item.request.url.toString()).toMatch(/^\{\{baseUrl\}\}\//);
    });
    expect(count).toBe(operations.length);
  }, 60_000);
});
