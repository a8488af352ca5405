/**
 * `npm run size [-- N]`: the N (default 15) largest files and functions under src/, in lines, so
 * an operation that outgrows one screen is noticed (issue 16: one operation or concern a file).
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import ts from "typescript";

const limit = Number(process.argv[2] ?? 15);
const files = (readdirSync("src", { recursive: true }) as string[])
  .map((f) => path.join("src", f))
  .filter((f) => f.endsWith(".ts") && !f.startsWith(path.join("src", "generated")));

const lines = (text: string) => text.split("\n").length - (text.endsWith("\n") ? 1 : 0);

/** A function's name: its own, or the variable, property or call it is given to. */
function nameOf(node: ts.Node, sf: ts.SourceFile): string {
  const own = (node as ts.FunctionDeclaration).name;
  if (own) return own.getText(sf);
  const parent = node.parent;
  if ((ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent)) && parent.name) return parent.name.getText(sf);
  if (ts.isCallExpression(parent)) return `${parent.expression.getText(sf).slice(0, 40)}(…)`;
  return "(anonymous)";
}

const sizes: { file: string; lines: number }[] = [];
const functions: { where: string; name: string; lines: number }[] = [];
for (const file of files) {
  const text = readFileSync(file, "utf8");
  sizes.push({ file, lines: lines(text) });
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const visit = (node: ts.Node) => {
    if (ts.isFunctionDeclaration(node) || ts.isFunctionExpression(node) || ts.isArrowFunction(node) || ts.isMethodDeclaration(node)) {
      const start = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line;
      const end = sf.getLineAndCharacterOfPosition(node.getEnd()).line;
      functions.push({ where: `${file}:${start + 1}`, name: nameOf(node, sf), lines: end - start + 1 });
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
}

const top = <T extends { lines: number }>(rows: T[]) => rows.sort((a, b) => b.lines - a.lines).slice(0, limit);
console.log(`Largest files (lines):`);
for (const f of top(sizes)) console.log(`${String(f.lines).padStart(6)}  ${f.file}`);
console.log(`\nLargest functions (lines):`);
for (const f of top(functions)) console.log(`${String(f.lines).padStart(6)}  ${f.name}  ${f.where}`);
