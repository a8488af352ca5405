import type { FastifyPluginAsync } from "fastify";
import fs from "node:fs/promises";
import path from "node:path";

/**
 * The operator console: one page and its static files, served under `/console`. It holds no
 * authority of its own: the browser signs in (email code, or an API key) and calls the public
 * `/v1` API with that credential, so it shows exactly what the API lets that caller see.
 *
 * Plain HTML, CSS and ES modules, read once at start: no build step, no framework.
 */

/** Every file the console serves, by URL (a new file needs its row in the README's authorization table). */
export const CONSOLE_FILES: Record<string, { file: string; type: string }> = {
  "/console": { file: "index.html", type: "text/html; charset=utf-8" },
  "/console/console.css": { file: "console.css", type: "text/css; charset=utf-8" },
  "/console/app.js": { file: "app.js", type: "text/javascript; charset=utf-8" },
  "/console/api.js": { file: "api.js", type: "text/javascript; charset=utf-8" },
  "/console/ui.js": { file: "ui.js", type: "text/javascript; charset=utf-8" },
  "/console/pages.js": { file: "pages.js", type: "text/javascript; charset=utf-8" },
};

/**
 * Scripts and styles from this origin only (no inline script, no eval, no inline style sheet), data
 * only from this origin's API, never framed. The console renders API data with textContent, so
 * this is the second line of defence against a stored name or description carrying markup.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

/** The static files: beside this module in the source tree (a compiled build has them copied there too). */
async function staticDir(): Promise<string> {
  const candidates = [path.join(import.meta.dirname, "static"), path.resolve(import.meta.dirname, "../../../../src/modules/console/static")];
  for (const dir of candidates) {
    try {
      await fs.access(path.join(dir, "index.html"));
      return dir;
    } catch {
      // try the next
    }
  }
  throw new Error(`The console's files are missing (looked in ${candidates.join(", ")})`);
}

export const consoleRoutes: FastifyPluginAsync = async (app) => {
  const dir = await staticDir();
  for (const [url, { file, type }] of Object.entries(CONSOLE_FILES)) {
    const body = await fs.readFile(path.join(dir, file));
    app.get(
      url,
      {
        // A page for browsers, not part of the API; files served from memory, like /health.
        schema: { hide: true },
        config: { auth: "public", rateLimit: false },
      },
      async (_request, reply) =>
        reply
          .header("content-security-policy", CONSOLE_CSP)
          .header("x-frame-options", "DENY")
          .header("referrer-policy", "no-referrer")
          .header("cross-origin-opener-policy", "same-origin")
          // Small files: always revalidated, so an upgrade is seen at once.
          .header("cache-control", "no-cache")
          .type(type)
          .send(body),
    );
  }
};
