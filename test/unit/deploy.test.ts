import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { loadConfig } from "../../src/config.js";

/**
 * docker-compose.yml, the Dockerfile and deploy/nginx.conf cannot be run here (no Docker engine),
 * so they are read: the variables the replicas get are ones the server knows and accepts, the
 * health checks ask the server's own readiness, and the pieces agree with each other.
 */

const ROOT = path.resolve(import.meta.dirname, "../..");
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), "utf8");

interface Service {
  environment?: Record<string, string>;
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  stop_grace_period?: string;
  volumes?: string[];
  deploy?: { replicas?: number };
}
const compose = parse(read("docker-compose.yml")) as { services: Record<string, Service> };
const api = compose.services.api!;

/** Compose's `${NAME:-default}` with nothing set in the shell: the default. */
const interpolate = (value: string) => String(value).replace(/\$\{[A-Z_]+:-([^}]*)\}/g, "$1");
const documented = new Set([...read(".env.example").matchAll(/^#? ?([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]!));

describe("docker-compose.yml", () => {
  it("runs PostgreSQL, Redis, an SMTP catcher, two API replicas and a proxy", () => {
    expect(Object.keys(compose.services).sort()).toEqual(["api", "mailpit", "postgres", "proxy", "redis"]);
    expect(api.deploy?.replicas).toBe(2);
  });

  it("gives the replicas only variables the server documents, which its configuration accepts", () => {
    const env = Object.fromEntries(Object.entries(api.environment ?? {}).map(([k, v]) => [k, interpolate(v)]));
    for (const name of Object.keys(env)) expect(documented, `${name} is not a variable of the server (.env.example)`).toContain(name);
    const config = loadConfig(env);
    expect(config.database.url).toMatch(/@postgres:5432\//);
    expect(config.rateLimit.store).toBe("redis");
    expect(config.mail.transport).toBe("smtp");
    expect(config.trustProxy).toBe(true);
    expect(config.auth.jwtSecret, "the replicas must share a JWT secret").toBeDefined();
    expect(config.payments.kind).toBe("offline");
  });

  it("checks each replica's readiness on /ready, and routes traffic only to ready replicas", () => {
    expect(api.healthcheck?.test.join(" ")).toMatch(/127\.0\.0\.1:5000\/ready/);
    expect(compose.services.proxy!.depends_on?.api?.condition).toBe("service_healthy");
  });

  it("starts the API once PostgreSQL and Redis answer (a node exits when either is missing at boot)", () => {
    expect(api.depends_on?.postgres?.condition).toBe("service_healthy");
    expect(api.depends_on?.redis?.condition).toBe("service_healthy");
    expect(compose.services.redis!.healthcheck?.test.join(" ")).toMatch(/ping/);
  });

  it("lets a stopping replica drain its requests before Docker kills it", () => {
    const grace = Number(/^(\d+)s$/.exec(api.stop_grace_period ?? "10s")![1]) * 1000;
    const shutdown = loadConfig(Object.fromEntries(Object.entries(api.environment ?? {}).map(([k, v]) => [k, interpolate(v)]))).shutdownTimeout;
    expect(grace).toBeGreaterThan(shutdown);
  });

  it("mounts media where the image lets the node user write", () => {
    expect(api.volumes).toContain("media:/data/media");
    const dockerfile = read("Dockerfile");
    expect(dockerfile).toMatch(/mkdir -p \/data\/media && chown -R node:node \/data/);
    expect(dockerfile).toMatch(/^USER node$/m);
  });
});

describe("Dockerfile", () => {
  it("runs what `npm run build` compiles, and the CLI the compose file names", () => {
    const build = JSON.parse(read("tsconfig.build.json")) as { include: string[]; compilerOptions: { outDir: string } };
    expect(read("Dockerfile")).toMatch(/CMD \["node", "dist\/src\/server\.js"\]/);
    expect(build.compilerOptions.outDir).toBe("dist");
    expect(build.include).toEqual(expect.arrayContaining(["src", "scripts/platform-create.ts"]));
    expect(read("docker-compose.yml")).toMatch(/node dist\/scripts\/platform-create\.js/);
  });

  it("has prisma.config.ts when npm ci generates the client", () => {
    const dockerfile = read("Dockerfile");
    expect(dockerfile.indexOf("prisma.config.ts")).toBeGreaterThan(-1);
    expect(dockerfile.indexOf("prisma.config.ts")).toBeLessThan(dockerfile.indexOf("RUN npm ci"));
  });
});

describe("deploy/nginx.conf", () => {
  const nginx = read("deploy/nginx.conf");
  it("proxies to the replicas' port, keeps the SDK's api_key header, and passes the client's address", () => {
    expect(nginx).toMatch(/server api:5000\b/);
    expect(read("Dockerfile")).toMatch(/ENV PORT=5000/);
    expect(nginx).toMatch(/underscores_in_headers on;/);
    expect(nginx).toMatch(/X-Forwarded-For \$proxy_add_x_forwarded_for/);
  });
});
