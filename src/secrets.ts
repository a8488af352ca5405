import { existsSync } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import { randomBase62 } from "./lib/crypto.js";

/**
 * JWT_SECRET when configured; otherwise one generated on first boot and kept in
 * `DATA_DIR/jwt-secret`, so sessions survive restarts without any setup. Several nodes must share
 * one secret: set JWT_SECRET for them.
 */
export async function resolveJwtSecret(configured: string | undefined, dataDir: string): Promise<{ secret: string; source: "config" | "file" | "generated" }> {
  if (configured) return { secret: configured, source: "config" };
  const file = path.join(dataDir, "jwt-secret");
  if (existsSync(file)) {
    const secret = (await fs.readFile(file, "utf8")).trim();
    if (secret.length >= 32) return { secret, source: "file" };
  }
  const secret = randomBase62(64);
  await fs.mkdir(dataDir, { recursive: true });
  await fs.writeFile(file, `${secret}\n`, { mode: 0o600 });
  return { secret, source: "generated" };
}
