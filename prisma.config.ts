// The Prisma CLI's config. The Wasm schema engine (`engine: "js"`) plus a driver adapter is what
// lets `prisma generate` and `prisma migrate diff` run without downloading a native engine
// (Prisma 6.19's client engine; its native engines cannot be downloaded on every machine). This file is read only by the CLI, never by the app.
import { PrismaPg } from "@prisma/adapter-pg";
import { defineConfig } from "prisma/config";

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: "prisma/schema.prisma",
  // A short idle timeout lets the CLI exit when done; the pool would otherwise hold it for 10 s.
  adapter: async () => new PrismaPg({ connectionString: process.env.DATABASE_URL, idleTimeoutMillis: 50 }),
});
