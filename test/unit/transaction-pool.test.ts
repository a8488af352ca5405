import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

/**
 * The rule: inside a transaction callback every statement goes through the transaction client.
 * A pool query from inside the callback holds the transaction's connection while it waits for a
 * second one; a handful of such requests in parallel drain the pool and stall every platform
 * (and the pool query does not see the transaction's writes, nor is it rolled back with them).
 *
 * This walks src/ with the TypeScript compiler and, for every `<x>.$transaction(callback)` (the
 * callback written inline or named in the same file), fails when the callback
 *  - names the pool: `db`, `prisma`, or any `<x>.db` / `<x>.prisma` (deps.db, this.db, app.db);
 *  - calls a function of the same file whose body uses the pool (directly, or through another one,
 *    or by calling one without the client argument that defaults to the pool);
 *  - calls a function of the same file whose parameter defaults to the pool (`client = db`)
 *    without passing that argument;
 *  - calls a service's method (`users.view(…)`) named like a function of src/ whose parameter
 *    defaults to the pool, without passing that argument (the fewest parameters before it, when
 *    several functions share the name).
 */

const ROOT = join(import.meta.dirname, "../../src");
const POOL_NAMES = new Set(["db", "prisma"]);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === "generated" ? [] : sourceFiles(path);
    return path.endsWith(".ts") ? [path] : [];
  });
}

type FunctionNode = ts.FunctionDeclaration | ts.ArrowFunction | ts.FunctionExpression | ts.MethodDeclaration;

const isFunction = (node: ts.Node): node is FunctionNode =>
  ts.isFunctionDeclaration(node) || ts.isArrowFunction(node) || ts.isFunctionExpression(node) || ts.isMethodDeclaration(node);

/** Whether `node` is a reference to the pool (not a property name or a declaration named like it). */
function isPoolReference(node: ts.Node): boolean {
  if (ts.isPropertyAccessExpression(node)) return POOL_NAMES.has(node.name.text);
  if (!ts.isIdentifier(node) || !POOL_NAMES.has(node.text)) return false;
  const parent = node.parent;
  if (ts.isPropertyAccessExpression(parent) && parent.name === node) return false; // counted as the access itself
  if (ts.isPropertyAssignment(parent) && parent.name === node) return false;
  if ((ts.isParameter(parent) || ts.isVariableDeclaration(parent) || ts.isBindingElement(parent)) && parent.name === node) return false;
  if (ts.isBindingElement(parent) && parent.propertyName === node) return false;
  if (ts.isImportSpecifier(parent) || ts.isPropertySignature(parent) || ts.isTypeReferenceNode(parent) || ts.isQualifiedName(parent)) return false;
  return true;
}

/** Nodes under `root`, type positions left out. */
function walk(root: ts.Node, visit: (node: ts.Node) => void): void {
  const go = (node: ts.Node) => {
    if (ts.isTypeNode(node)) return;
    visit(node);
    ts.forEachChild(node, go);
  };
  ts.forEachChild(root, go);
}

interface LocalFunction {
  node: FunctionNode;
  /** Uses the pool in its body (directly or through another function of the file). */
  usesPool: boolean;
  /** Index of a parameter whose default is the pool. */
  poolDefault: number;
}

/** A call that leaves out the pool-defaulting argument of a function of src/ it names by method. */
function defaultsToPool(node: ts.CallExpression, poolDefaults: Map<string, number>): string | undefined {
  if (!ts.isPropertyAccessExpression(node.expression) || !ts.isIdentifier(node.expression.expression)) return undefined;
  const index = poolDefaults.get(node.expression.name.text);
  return index !== undefined && node.arguments.length <= index ? node.expression.getText() : undefined;
}

/** Across files: for each function name whose parameter defaults to the pool, the lowest such parameter index. */
export function poolDefaultsOf(files: { path: string; text: string }[]): Map<string, number> {
  const found = new Map<string, number>();
  for (const { path, text } of files) {
    for (const [name, f] of localFunctions(ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true), new Map())) {
      if (f.poolDefault >= 0) found.set(name, Math.min(found.get(name) ?? Infinity, f.poolDefault));
    }
  }
  return found;
}

function localFunctions(file: ts.SourceFile, poolDefaults: Map<string, number>): Map<string, LocalFunction> {
  const functions = new Map<string, LocalFunction>();
  const visit = (node: ts.Node) => {
    let name: string | undefined;
    let fn: FunctionNode | undefined;
    if (ts.isFunctionDeclaration(node) && node.name) [name, fn] = [node.name.text, node];
    if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.initializer && isFunction(node.initializer)) [name, fn] = [node.name.text, node.initializer];
    if (name && fn) {
      const poolDefault = fn.parameters.findIndex((p) => p.initializer !== undefined && (isPoolReference(p.initializer) || containsPool(p.initializer)));
      functions.set(name, { node: fn, usesPool: false, poolDefault });
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  // Direct uses, then through calls to each other until nothing changes.
  for (const f of functions.values()) if (f.node.body) f.usesPool = containsPool(f.node.body);
  for (let changed = true; changed; ) {
    changed = false;
    for (const f of functions.values()) {
      if (f.usesPool || !f.node.body) continue;
      walk(f.node.body, (node) => {
        if (f.usesPool || !ts.isCallExpression(node)) return;
        if (defaultsToPool(node, poolDefaults)) f.usesPool = changed = true;
        if (!ts.isIdentifier(node.expression)) return;
        const callee = functions.get(node.expression.text);
        if (callee && (callee.usesPool || (callee.poolDefault >= 0 && node.arguments.length <= callee.poolDefault))) f.usesPool = changed = true;
      });
    }
  }
  return functions;
}

function containsPool(node: ts.Node): boolean {
  if (isPoolReference(node)) return true;
  let found = false;
  walk(node, (n) => {
    if (!found && isPoolReference(n)) found = true;
  });
  return found;
}

/** The rule's violations in one file, as `path:line: what`. */
export function poolUsesInTransactions(path: string, text: string, poolDefaults: Map<string, number>): string[] {
  const file = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true);
  const functions = localFunctions(file, poolDefaults);
  const found: string[] = [];
  const report = (node: ts.Node, what: string) => {
    const { line } = file.getLineAndCharacterOfPosition(node.getStart(file));
    found.push(`${relative(join(ROOT, ".."), path)}:${line + 1}: ${what}`);
  };
  const check = (callback: FunctionNode, seen: Set<FunctionNode>) => {
    if (!callback.body || seen.has(callback)) return;
    seen.add(callback);
    walk(callback.body, (node) => {
      if (isPoolReference(node) && !(ts.isIdentifier(node) && ts.isPropertyAccessExpression(node.parent) && isPoolReference(node.parent))) {
        report(node, `\`${node.getText(file)}\` used inside a transaction callback`);
      }
      const method = ts.isCallExpression(node) ? defaultsToPool(node, poolDefaults) : undefined;
      if (method) report(node, `\`${method}()\` called without its client: it defaults to the pool`);
      if (ts.isCallExpression(node) && ts.isIdentifier(node.expression)) {
        const f = functions.get(node.expression.text);
        if (!f) return;
        if (f.usesPool) report(node, `\`${node.expression.text}()\` uses the pool and is called inside a transaction callback`);
        else if (f.poolDefault >= 0 && node.arguments.length <= f.poolDefault) report(node, `\`${node.expression.text}()\` called without its client: it defaults to the pool`);
      }
    });
  };
  walk(file, (node) => {
    if (!ts.isCallExpression(node) || !ts.isPropertyAccessExpression(node.expression) || node.expression.name.text !== "$transaction") return;
    const arg = node.arguments[0];
    if (!arg) return;
    if (isFunction(arg)) check(arg, new Set());
    else if (ts.isIdentifier(arg)) {
      const named = functions.get(arg.text);
      if (named?.usesPool) report(arg, `\`${arg.text}\` uses the pool and runs as a transaction callback`);
      else if (named) check(named.node, new Set());
    }
  });
  return found;
}

describe("no pool client inside a transaction callback", () => {
  it("holds across src/", () => {
    const files = sourceFiles(ROOT).map((path) => ({ path, text: readFileSync(path, "utf8") }));
    const poolDefaults = poolDefaultsOf(files);
    // The check knows the services' helpers (or it would pass for want of looking).
    expect(poolDefaults.get("view")).toBeGreaterThan(0);
    const found = files.flatMap(({ path, text }) => poolUsesInTransactions(path, text, poolDefaults));
    expect(found).toEqual([]);
  });

  it("catches the pool named directly, through deps or this, through a helper of the same file, and a service method left to default to it", () => {
    const code = `
      function helper(x) { return db.user.findMany({ where: { x } }); }
      function viaHelper() { return helper(1); }
      async function view(id, client = db) { return client.user.findUnique({ where: { id } }); }
      async function viewDefault(id) { return view(id); }
      async function viaService(id) { return users.view(id); }
      async function inTx(tx) { return tx.user.count(); }
      export async function run(deps) {
        await db.$transaction(async (tx) => {
          await tx.user.count();
          await db.user.count();
          await deps.db.user.count();
          await this.prisma.user.count();
          await viaHelper();
          await view("u_1");
          await view("u_1", tx);
          await inTx(tx);
          await viewDefault("u_1");
          await users.view("u_1");
          await users.view("u_1", tx);
          await viaService("u_1");
        });
      }`;
    const found = poolUsesInTransactions(join(ROOT, "example.ts"), code, poolDefaultsOf([{ path: "example.ts", text: code }])).map((f) => f.replace(/^[^:]+:/, ""));
    expect(found).toEqual([
      "11: `db` used inside a transaction callback",
      "12: `deps.db` used inside a transaction callback",
      "13: `this.prisma` used inside a transaction callback",
      "14: `viaHelper()` uses the pool and is called inside a transaction callback",
      "15: `view()` called without its client: it defaults to the pool",
      "18: `viewDefault()` uses the pool and is called inside a transaction callback",
      "19: `users.view()` called without its client: it defaults to the pool",
      "21: `viaService()` uses the pool and is called inside a transaction callback",
    ]);
  });
});
