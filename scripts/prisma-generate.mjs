// `prisma generate` with the Wasm engine needs DATABASE_URL set — to anything well-formed — or the
// CLI tries to download a native engine. It never connects.
import { spawnSync } from "node:child_process";
import path from "node:path";

const bin = path.join(import.meta.dirname, "..", "node_modules", ".bin", "prisma");
const env = {
  ...process.env,
  DATABASE_URL: process.env.DATABASE_URL || "postgresql://generate:generate@127.0.0.1:5432/generate",
  CHECKPOINT_DISABLE: "1",
  PRISMA_HIDE_UPDATE_MESSAGE: "1",
};
const result = spawnSync(bin, ["generate"], { stdio: "inherit", env });
process.exit(result.status ?? 1);
