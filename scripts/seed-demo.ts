/**
 * `npm run seed:demo [-- --platform plat_…]`: fills the demo platform (the "Demo Marketplace" the
 * first start creates, or the one named) with what a frontend needs to show: sellers and buyers,
 * products, a buyer's cart and a draft contract. Everything goes through the API itself (with a
 * temporary key, revoked at the end), so the data is exactly what clients would have made.
 * Running it again adds nothing once the platform holds the demo users.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import type { FastifyInstance } from "fastify";
import { asSystem, withTenant } from "../src/db/tenant.js";
import { newId } from "../src/lib/ids.js";
import { createKeysService } from "../src/modules/keys/keys.service.js";
import { createLogger, startRuntime } from "../src/runtime.js";
import { cliConfig, wantsHelp } from "./lib/cli.js";

const usage = `usage: npm run seed:demo [-- --platform plat_…]
Adds demo users, products, a cart and a contract to the platform named "Demo Marketplace" (or the one given).`;

const SELLERS = [
  { email: "ada.potter@demo.test", name: "Ada Potter" },
  { email: "ben.weaver@demo.test", name: "Ben Weaver" },
];
const BUYERS = [
  { email: "cleo.buyer@demo.test", name: "Cleo Buyer" },
  { email: "dan.buyer@demo.test", name: "Dan Buyer" },
  { email: "eve.buyer@demo.test", name: "Eve Buyer" },
];
const PRODUCTS = [
  { seller: 0, name: "Stoneware bowl", price: 3200, quantity: 24, category: "Ceramics" },
  { seller: 0, name: "Serving platter", price: 5800, quantity: 8, category: "Ceramics" },
  { seller: 0, name: "Espresso cups (set of 4)", price: 4400, quantity: 12, category: "Ceramics" },
  { seller: 1, name: "Linen throw", price: 8900, quantity: 10, category: "Textiles" },
  { seller: 1, name: "Wool rug", price: 24000, quantity: 3, category: "Textiles" },
  { seller: 1, name: "Weaving workshop (2 h)", price: 6500, quantity: null, category: "Classes" },
];

async function main(): Promise<number> {
  if (wantsHelp(process.argv.slice(2))) {
    console.log(usage);
    return 0;
  }
  let values: { platform?: string };
  try {
    ({ values } = parseArgs({ options: { platform: { type: "string" } }, strict: true }));
  } catch (err) {
    console.error(`${(err as Error).message}\n${usage}`);
    return 2;
  }
  const config = cliConfig();
  if (!config) return 1;
  const step = (n: number, message: string) => console.log(`[${n}/6] ${message}`);
  const runtime = await startRuntime({ ...config, jobs: { ...config.jobs, worker: false } }, createLogger(config, { stderr: true }));
  const { app, db } = runtime;
  try {
    // Looked up across platforms, by name: the system scope (docs/tenancy.md). The demo data itself
    // goes through the API, in the platform's own scope.
    const platform = await asSystem(() =>
      db.platform.findFirst({
        where: values.platform ? { id: values.platform } : { name: "Demo Marketplace" },
        orderBy: { created: "asc" },
        select: { id: true, mode: true, name: true },
      }),
    );
    if (!platform) {
      console.error(values.platform ? `no platform ${values.platform}` : 'no "Demo Marketplace" platform: start the server once (npm start), or pass --platform');
      return 1;
    }
    const tenant = { platformId: platform.id, mode: platform.mode };
    if (await withTenant(tenant, () => db.user.findFirst({ where: { ...tenant, email: SELLERS[0]!.email } }))) {
      console.log(`${platform.name} (${platform.id}) already holds the demo data: nothing to add`);
      return 0;
    }
    const keys = createKeysService({ db });
    const { key, secret } = await withTenant(tenant, () => keys.create(tenant, { name: "seed:demo (revoked when it is done)" }));
    try {
      const call = api(app, `Bearer ${secret}`);
      step(1, `platform ${platform.name} (${platform.id}, ${platform.mode} mode)`);
      const sellers = [];
      for (const s of SELLERS) sellers.push(await call("POST", "/v1/users", s));
      const buyers = [];
      for (const b of BUYERS) buyers.push(await call("POST", "/v1/users", b));
      step(2, `users: ${sellers.length} sellers, ${buyers.length} buyers`);
      const products = [];
      for (const p of PRODUCTS) {
        const { seller, ...fields } = p;
        products.push(await call("POST", "/v1/products", { ...fields, user_id: sellers[seller]!.id, description: `${p.name}, from the demo data.` }));
      }
      step(3, `products: ${products.length}`);
      const buyer = buyers[0]!;
      const asBuyer = api(app, `Bearer ${await userToken(app, db, tenant, buyer.id)}`);
      await asBuyer("POST", `/v1/carts/auth/product/${products[0]!.id}`, { quantity: 2 });
      const cart = await asBuyer("POST", `/v1/carts/auth/product/${products[3]!.id}`, { quantity: 1 });
      step(4, `cart of ${buyer.name}: ${cart.id} (2 lines)`);
      const contract = await call("POST", "/v1/contracts", {
        notes: "Demo order: a platter and a workshop seat",
        items: [
          { user_id: sellers[0]!.id, price: products[1]!.price, description: products[1]!.name },
          { user_id: sellers[1]!.id, price: 6500, description: "Weaving workshop seat" },
        ],
        buyers: [{ user_id: buyers[1]!.id }],
      });
      step(5, `contract: ${contract.id} (draft, bought by ${buyers[1]!.name})`);
    } finally {
      await withTenant(tenant, () => keys.revoke(tenant, key.id));
    }
    step(6, "done (sign in as any demo user through the OTP flow: their emails end in @demo.test)");
    return 0;
  } finally {
    await runtime.close();
  }
}

// biome-ignore lint/suspicious/noExplicitAny: answers of many shapes, read field by field
type Json = Record<string, any>;

/** Calls the API in-process; a refusal stops the seed with the API's own message. */
function api(app: FastifyInstance, authorization: string) {
  return async (method: "POST" | "GET", url: string, payload?: Json): Promise<Json> => {
    const res = await app.inject({ method, url, headers: { authorization, "idempotency-key": randomUUID() }, ...(payload ? { payload } : {}) });
    if (res.statusCode >= 300) throw new Error(`${method} ${url} answered ${res.statusCode}: ${res.body}`);
    return res.json() as Json;
  };
}

/** A signed-in session for a demo buyer (as a sign-in makes), so the cart is theirs. */
async function userToken(
  app: FastifyInstance,
  db: Awaited<ReturnType<typeof startRuntime>>["db"],
  tenant: { platformId: string; mode: "test" | "live" },
  userId: string,
): Promise<string> {
  const familyId = newId("refreshToken");
  await withTenant(tenant, () =>
    db.refreshToken.create({
      data: { id: newId("refreshToken"), ...tenant, userId, familyId, tokenHash: randomBytes(32).toString("hex"), expires: new Date(Date.now() + 3_600_000) },
    }),
  );
  return app.services.tokens.signAccess({ userId, ...tenant, role: "member", sessionId: familyId }).token;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
