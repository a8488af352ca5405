import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { TABLE_OWNERS, type OwnedModel } from "../../src/db/ownership.js";

/**
 * Each table has one owner (src/db/ownership.ts), and only the owner's code touches it. This walks
 * src/ with the TypeScript compiler and fails when code outside the owner
 *  - calls a Prisma delegate of the model: `<any expression>.<model>.<findMany|create|…>(…)`;
 *  - reaches the model through a relation in such a call's arguments: `include: { memberships: … }`,
 *    `select`, `where: { user: { … } }`, nested `data` (an `include` kept in a const of the same
 *    file counts too);
 *  - names the table in SQL inside any string or template: `FROM`, `JOIN`, `INTO`, `UPDATE`,
 *    `TABLE`, `TRUNCATE`, quoted or not, schema-qualified or not.
 * Migrations and tests are out of scope. src/workflows/ orchestrates by calling owners, so it owns
 * nothing. Where one statement must span owners on a hot path, the owner hands out a SQL fragment
 * (a subquery, a join, a condition) for the caller's statement: the table is still named only in the
 * owner's files. An exception names the file, the models and why; one that no longer matches fails
 * too, so the list only shrinks.
 */

interface Exception {
  file: string;
  models: OwnedModel[];
  why: string;
}

const EXCEPTIONS: Exception[] = [
  {
    file: "src/modules/events/events.service.ts",
    models: ["WebhookEndpoint", "WebhookDelivery"],
    why: "recordEvent, on every write, locks the subscribed endpoints and queues their deliveries in the caller's transaction; webhooks depends on events (it records and reads events), so a call to it would be an import cycle",
  },
  {
    file: "src/modules/contracts/stock-holds.ts",
    models: ["Subscription"],
    why: "a hold expires unless a live subscription bills its contract: that condition sits inside the statements that pick and free holds, and subscriptions depends on contracts (an import cycle)",
  },
  {
    file: "src/modules/contracts/operations/from-cart.ts",
    models: ["Cart", "CartItem", "Product", "SeasonalPrice", "User"],
    why: "checkout, a hot path: one statement locks the cart with its owner, one reads the lines with products, seasons and sellers, one writes the contract and empties the cart; asking each owner adds round trips (bench/RESULTS.md)",
  },
  {
    file: "src/modules/transactions/analytics/",
    models: ["Transaction", "Contract", "Subscription", "User"],
    why: "the reporting read side: each figure is one statement over the ledger, paid contracts or live subscriptions beside the roll-ups, in one snapshot (a median is read within its roll-up bucket); split by owner it would be neither",
  },
];

const ROOT = join(import.meta.dirname, "../..");
const SRC = join(ROOT, "src");

const DELEGATE_METHODS = new Set([
  "findUnique",
  "findUniqueOrThrow",
  "findFirst",
  "findFirstOrThrow",
  "findMany",
  "create",
  "createMany",
  "createManyAndReturn",
  "update",
  "updateMany",
  "updateManyAndReturn",
  "upsert",
  "delete",
  "deleteMany",
  "count",
  "aggregate",
  "groupBy",
]);

interface Schema {
  /** model → table */
  tables: Map<string, string>;
  /** delegate (`product`) → model (`Product`) */
  delegates: Map<string, string>;
  /** model → relation field → model it points to */
  relations: Map<string, Map<string, string>>;
}

function readSchema(): Schema {
  const text = readFileSync(join(ROOT, "prisma/schema.prisma"), "utf8");
  const blocks = [...text.matchAll(/^model (\w+) \{([\s\S]*?)^\}/gm)].map((m) => ({ name: m[1]!, body: m[2]! }));
  const models = new Set(blocks.map((b) => b.name));
  const schema: Schema = { tables: new Map(), delegates: new Map(), relations: new Map() };
  for (const { name, body } of blocks) {
    schema.tables.set(name, /@@map\("([^"]+)"\)/.exec(body)?.[1] ?? name);
    schema.delegates.set(name[0]!.toLowerCase() + name.slice(1), name);
    const relations = new Map<string, string>();
    for (const field of body.matchAll(/^\s+(\w+)\s+(\w+)(\[\])?\??/gm)) {
      if (models.has(field[2]!)) relations.set(field[1]!, field[2]!);
    }
    schema.relations.set(name, relations);
  }
  return schema;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === "generated" ? [] : sourceFiles(path);
    return path.endsWith(".ts") ? [path] : [];
  });
}

interface Touch {
  file: string;
  line: number;
  model: string;
  how: string;
}

const unwrap = (node: ts.Expression): ts.Expression =>
  ts.isParenthesizedExpression(node) || ts.isAsExpression(node) || ts.isSatisfiesExpression(node) || ts.isNonNullExpression(node) ? unwrap(node.expression) : node;

/** Every model a file touches, with where and how. */
function touches(file: string, schema: Schema): Touch[] {
  const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true);
  const path = relative(ROOT, file);
  const found: Touch[] = [];
  const add = (node: ts.Node, model: string, how: string) => found.push({ file: path, line: source.getLineAndCharacterOfPosition(node.getStart()).line + 1, model, how });

  // Object literals kept in consts, so `include: platformInclude` is followed.
  const consts = new Map<string, ts.Expression>();
  const collect = (node: ts.Node) => {
    if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.initializer) consts.set(node.name.text, node.initializer);
    ts.forEachChild(node, collect);
  };
  collect(source);

  const tableNames = [...schema.tables.values()].sort((a, b) => b.length - a.length).join("|");
  const sql = new RegExp(`\\b(?:FROM|JOIN|INTO|UPDATE|TABLE|TRUNCATE)\\s+(?:ONLY\\s+)?(?:"?public"?\\.)?"?(${tableNames})(?!\\w)`, "gi");
  const modelOfTable = new Map([...schema.tables].map(([model, table]) => [table, model]));

  /** The relations an argument object reaches from `model`, recursively. */
  const followArgs = (expression: ts.Expression, model: string, seen: Set<string>) => {
    const node = unwrap(expression);
    if (ts.isIdentifier(node)) {
      const initializer = consts.get(node.text);
      if (initializer && !seen.has(node.text)) followArgs(initializer, model, new Set([...seen, node.text]));
      return;
    }
    if (ts.isArrayLiteralExpression(node)) {
      for (const element of node.elements) if (!ts.isSpreadElement(element)) followArgs(element, model, seen);
      return;
    }
    if (!ts.isObjectLiteralExpression(node)) return;
    for (const property of node.properties) {
      if (!ts.isPropertyAssignment(property) && !ts.isShorthandPropertyAssignment(property)) continue;
      const name = ts.isIdentifier(property.name) || ts.isStringLiteral(property.name) ? property.name.text : undefined;
      const target = name === undefined ? undefined : schema.relations.get(model)?.get(name);
      if (target) add(property, target, `relation ${model}.${name}`);
      const value = ts.isPropertyAssignment(property) ? property.initializer : property.name;
      followArgs(value, target ?? model, seen);
    }
  };

  const visit = (node: ts.Node) => {
    if (ts.isPropertyAccessExpression(node) && schema.delegates.has(node.name.text)) {
      const call = node.parent;
      if (ts.isPropertyAccessExpression(call) && call.expression === node && DELEGATE_METHODS.has(call.name.text)) {
        const model = schema.delegates.get(node.name.text)!;
        add(node, model, `${node.getText(source).replace(/\s+/g, "")}.${call.name.text}`);
        if (ts.isCallExpression(call.parent) && call.parent.expression === call) {
          for (const argument of call.parent.arguments) followArgs(argument, model, new Set());
        }
      }
    }
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node) || ts.isTemplateHead(node) || ts.isTemplateMiddle(node) || ts.isTemplateTail(node)) {
      for (const match of node.text.matchAll(sql)) add(node, modelOfTable.get(match[1]!.toLowerCase())!, `SQL ${match[0]}`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** An exception names a file, or a folder (ending in `/`) for every file in it. */
const covers = (e: Exception, file: string) => (e.file.endsWith("/") ? file.startsWith(e.file) : e.file === file);
const excepted = (t: Touch) => EXCEPTIONS.some((e) => covers(e, t.file) && (e.models as string[]).includes(t.model));

describe("table ownership", () => {
  const schema = readSchema();
  const all = sourceFiles(SRC).flatMap((file) => touches(file, schema));

  it("the map names every model of the schema, each owned by a module or a file of src/", () => {
    expect(Object.keys(TABLE_OWNERS).sort()).toEqual([...schema.tables.keys()].sort());
    for (const owner of Object.values(TABLE_OWNERS)) {
      expect(owner).toMatch(/^src\/(modules\/[^/]+\/|[\w/.-]+\/|[\w/.-]+\.ts$)/);
      expect(owner.startsWith("src/workflows/"), owner).toBe(false);
      expect(() => statSync(join(ROOT, owner)), owner).not.toThrow();
    }
  });

  it("the scan sees the owners' own queries (a scanner that finds nothing would pass anything)", () => {
    const seen = new Set(all.map((t) => t.model));
    for (const model of ["Product", "User", "Contract", "Event", "WebhookDelivery", "IdempotencyRecord", "Membership"]) expect(seen, model).toContain(model);
  });

  it("only a table's owner touches it", () => {
    const strays = all
      .filter((t) => !t.file.startsWith(TABLE_OWNERS[t.model as OwnedModel]))
      .filter((t) => !excepted(t))
      .map((t) => `${t.file}:${t.line} ${t.how} — ${t.model} is owned by ${TABLE_OWNERS[t.model as OwnedModel]}`);
    expect(strays, 'ask the owner through its index.ts (docs/architecture.md, "Who owns a table")').toEqual([]);
  });

  it("every exception still matches something, and says why", () => {
    for (const e of EXCEPTIONS) {
      expect(e.why.length, e.file).toBeGreaterThan(40);
      for (const model of e.models) {
        expect(
          all.some((t) => covers(e, t.file) && t.model === model && !t.file.startsWith(TABLE_OWNERS[model])),
          `stale exception: ${e.file} no longer touches ${model}`,
        ).toBe(true);
      }
    }
  });
});
