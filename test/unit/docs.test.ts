import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

/**
 * The docs stand on their own: every relative link of README.md and docs/ reaches a file of the
 * repository (and, with an anchor, a heading of it), and nothing the repository holds points to
 * design notes kept outside it — whoever clones it must be able to follow every reference.
 */

const ROOT = path.resolve(import.meta.dirname, "../..");
const tracked = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard"], { cwd: ROOT, encoding: "utf8" })
  .split("\n")
  .filter((f) => f && fs.existsSync(path.join(ROOT, f)));
const markdown = tracked.filter((f) => f === "README.md" || (f.startsWith("docs/") && f.endsWith(".md")));

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
export function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\- _]/gu, "")
    .replace(/ /g, "-");
}

function anchorsOf(text: string): Set<string> {
  const anchors = new Set<string>();
  let fenced = false;
  for (const line of text.split("\n")) {
    if (/^\s*```/.test(line)) fenced = !fenced;
    const heading = !fenced && /^#{1,6} (.*)$/.exec(line);
    if (heading) anchors.add(slug(heading[1]!));
  }
  return anchors;
}

function linksOf(text: string): string[] {
  const withoutCode = text.replace(/```[\s\S]*?```/g, "").replace(/`[^`\n]*`/g, "");
  return [...withoutCode.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!);
}

describe("the docs", () => {
  it("are there: the README and the pages it names", () => {
    expect(markdown).toContain("docs/architecture.md");
    expect(markdown).toContain("docs/decisions.md");
    expect(markdown).toContain("docs/authorization.md");
    const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
    const unlinked = markdown.filter((f) => f !== "README.md" && !readme.includes(`](${f})`));
    expect(unlinked, "docs pages the README does not link").toEqual([]);
  });

  it("link only to what the repository holds", () => {
    const broken: string[] = [];
    for (const file of markdown) {
      const text = fs.readFileSync(path.join(ROOT, file), "utf8");
      for (const link of linksOf(text)) {
        if (/^(https?:|mailto:)/.test(link)) continue;
        const [target = "", anchor] = link.split("#");
        const resolved = target === "" ? file : path.normalize(path.join(path.dirname(file), target));
        if (resolved.startsWith("..") || !fs.existsSync(path.join(ROOT, resolved))) {
          broken.push(`${file}: ${link} (no such file)`);
          continue;
        }
        if (anchor && resolved.endsWith(".md") && !anchorsOf(fs.readFileSync(path.join(ROOT, resolved), "utf8")).has(anchor)) {
          broken.push(`${file}: ${link} (no such heading)`);
        }
      }
    }
    expect(broken).toEqual([]);
  });

  it("nothing in the repository points to design notes outside it", () => {
    // Built from parts, so this file does not match itself.
    const outside = new RegExp(["DESIGN\\.md", "STYLE\\.md", "\\.\\./shared", "\\bnotes/"].join("|"));
    const pointing = tracked
      .filter((f) => /\.(ts|mjs|js|json|md|prisma|sql|sh|ya?ml|toml)$|Dockerfile$|\.env\.example$/.test(f) && f !== "package-lock.json")
      .filter((f) => outside.test(fs.readFileSync(path.join(ROOT, f), "utf8")));
    expect(pointing).toEqual([]);
  });
});
