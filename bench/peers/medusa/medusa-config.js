// Medusa v2 as the bench's peer: one process, its own database on the bench's PostgreSQL, and no
// Redis, so its in-memory event bus, cache, locking and workflow engine; no admin dashboard.
const { defineConfig } = require("@medusajs/framework/utils");

module.exports = defineConfig({
  projectConfig: {
    databaseUrl: process.env.DATABASE_URL,
    databaseLogging: false,
    http: {
      storeCors: "*",
      adminCors: "*",
      authCors: "*",
      jwtSecret: process.env.JWT_SECRET || "bench-medusa-jwt-secret",
      cookieSecret: process.env.COOKIE_SECRET || "bench-medusa-cookie-secret",
    },
  },
  admin: { disable: true },
});
