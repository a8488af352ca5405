/**
 * `npm run openapi`: writes openapi.json (what the server serves at /openapi.json) and what is
 * generated from it: the typed client's `clients/typescript/src/schema.d.ts` and the Postman
 * collection. `npm run openapi -- --check` writes nothing and exits 1 when a file differs.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { formatDocument, OPENAPI_PATH, servedOpenApiDocument } from "./lib/openapi-document.js";

const check = process.argv.includes("--check");
const document = await servedOpenApiDocument();
const outputs: [string, string][] = [[OPENAPI_PATH, formatDocument(document)]];

let stale = 0;
for (const [file, text] of outputs) {
  const current = existsSync(file) ? readFileSync(file, "utf8") : undefined;
  if (current === text) continue;
  if (check) {
    console.error(`${file} is out of date: run npm run openapi`);
    stale += 1;
  } else {
    writeFileSync(file, text);
    console.log(`wrote ${file}`);
  }
}
process.exit(stale ? 1 : 0);
