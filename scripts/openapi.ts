/**
 * `npm run openapi`: writes openapi.json (what the server serves at /openapi.json) and what is
 * generated from it: the typed client's `clients/typescript/src/schema.d.ts`, docs/errors.md and
 * the Postman collection (`clients/postman/`, not committed). `npm run openapi -- --check` writes
 * nothing and exits 1 when a committed file differs (the tests check the same).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { CLIENT_SCHEMA_PATH, clientSchema, ERRORS_DOC_PATH, errorsMarkdown, formatJson, POSTMAN_PATH, postmanCollection } from "./lib/generated.js";
import { formatDocument, OPENAPI_PATH, servedOpenApiDocument } from "./lib/openapi-document.js";

const check = process.argv.includes("--check");
const document = await servedOpenApiDocument();
const outputs: [string, string][] = [
  [OPENAPI_PATH, formatDocument(document)],
  [CLIENT_SCHEMA_PATH, await clientSchema(document)],
  [ERRORS_DOC_PATH, errorsMarkdown()],
];
if (!check) outputs.push([POSTMAN_PATH, formatJson(await postmanCollection(document))]);

let stale = 0;
for (const [file, text] of outputs) {
  const current = existsSync(file) ? readFileSync(file, "utf8") : undefined;
  if (current === text) continue;
  if (check) {
    console.error(`${file} is out of date: run npm run openapi`);
    stale += 1;
  } else {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
    console.log(`wrote ${file}`);
  }
}
process.exit(stale ? 1 : 0);
