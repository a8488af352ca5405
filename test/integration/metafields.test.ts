import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, createTestContext, type TestContext, type TestPlatform, type TestUser } from "../helpers/app.js";

/**
 * Metafields (docs/api/metafields.md) on products, contracts and users: typed values checked
 * against their type, rendered on the resource, set and removed through the routes and the
 * resource's own body, filtered in lists, written only by whoever may change the resource, and
 * nothing of another platform's.
 */

let t: TestContext;
let acme: TestPlatform;
let other: TestPlatform;
let editor: TestUser;
let seller: TestUser;
let member: TestUser;

beforeAll(async () => {
  t = await createTestContext();
  [acme, other] = await Promise.all([t.createPlatform({ name: "Acme" }), t.createPlatform({ name: "Other" })]);
  [editor, seller, member] = await Promise.all([t.createUser(acme, "editor"), t.createUser(acme, "member"), t.createUser(acme, "member")]);
});
afterAll(() => t.close());

type Json = Record<string, any>;
const key = (p: TestPlatform = acme) => bearer(p.apiKey);
const as = (u: TestUser) => bearer(u.token);
const call = (headers: Record<string, string>, method: string, url: string, payload?: unknown) =>
  t.request({ method: method as "GET", url: `/v1${url}`, headers, ...(payload !== undefined ? { payload: payload as Json } : {}) });

async function product(payload: Json = {}, headers = as(seller)): Promise<Json> {
  const res = await call(headers, "POST", "/products", { name: "Oak chair", price: 12_500, ...payload });
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}
const shelf = (value: unknown, type = "string") => ({ metafields: [{ namespace: "warehouse", key: "shelf", type, value }] });

describe("metafields on products", () => {
  it("are set, typed, rendered on the product and removed", async () => {
    const p = await product();
    expect(p.metafields).toEqual([]);
    const set = await call(as(seller), "POST", `/products/${p.id}/metafields`, {
      metafields: [
        { namespace: "warehouse", key: "shelf", type: "string", value: "B-12" },
        { namespace: "specs", key: "weight_kg", type: "number", value: 7.5 },
        { namespace: "specs", key: "oiled", type: "boolean", value: true },
        { namespace: "specs", key: "made", type: "date", value: "2026-03-01" },
        { namespace: "specs", key: "dims", type: "json", value: { w: 45, h: 90 } },
      ],
    });
    expect(set.statusCode, set.body).toBe(200);
    expect(set.json().map((m: Json) => `${m.namespace}.${m.key}`)).toEqual(["specs.dims", "specs.made", "specs.oiled", "specs.weight_kg", "warehouse.shelf"]);
    expect(set.json().find((m: Json) => m.key === "made").value).toBe("2026-03-01T00:00:00Z");
    const read = await call(as(member), "GET", `/products/${p.id}`);
    expect(read.json().metafields).toHaveLength(5);
    expect((await call(as(member), "GET", `/products/${p.id}/metafields`)).json()).toHaveLength(5);
    expect((await call(as(member), "GET", `/listings/${p.id}/metafields`)).json()).toHaveLength(5);

    const del = await call(as(seller), "DELETE", `/products/${p.id}/metafields/specs/oiled`);
    expect(del.statusCode, del.body).toBe(200);
    expect(del.json()).toHaveLength(4);
    // Removing it again changes nothing (a retry's answer).
    const again = await call(as(seller), "DELETE", `/products/${p.id}/metafields/specs/oiled`);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toHaveLength(4);
    // A null value removes one too, in the product's own body.
    const patched = await call(as(seller), "PATCH", `/products/${p.id}`, { metafields: [{ namespace: "specs", key: "dims", value: null }] });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json().metafields).toHaveLength(3);
  });

  it("refuses a value that does not fit its type, naming the field", async () => {
    const p = await product();
    for (const [type, value] of [
      ["number", "7"],
      ["boolean", "yes"],
      ["date", "next week"],
      ["string", 12],
    ] as const) {
      const res = await call(as(seller), "POST", `/products/${p.id}/metafields`, shelf(value, type));
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json().error.param).toBe("metafields.0.value");
    }
    const noType = await call(as(seller), "POST", `/products/${p.id}/metafields`, { metafields: [{ namespace: "a", key: "b", value: 1 }] });
    expect(noType.json().error.param).toBe("metafields.0.type");
    const badName = await call(as(seller), "POST", `/products/${p.id}/metafields`, { metafields: [{ namespace: "a b", key: "b", type: "number", value: 1 }] });
    expect(badName.json().error.param).toBe("metafields.0.namespace");
  });

  it("is created with metafields, and filters the catalogue by them", async () => {
    const tag = `f${Date.now()}`;
    const light = await product({
      metafields: [
        { namespace: tag, key: "kg", type: "number", value: 3 },
        { namespace: tag, key: "wood", type: "string", value: "oak" },
      ],
    });
    const heavy = await product({
      metafields: [
        { namespace: tag, key: "kg", type: "number", value: 12 },
        { namespace: tag, key: "wood", type: "string", value: "ash" },
      ],
    });
    const dated = await product({ metafields: [{ namespace: tag, key: "since", type: "date", value: "2026-01-15T10:00:00Z" }] });
    const list = async (q: string) => {
      const res = await call(as(member), "GET", `/products?${q}`);
      expect(res.statusCode, res.body).toBe(200);
      return (res.json().data as Json[]).map((p) => p.id).sort();
    };
    expect(await list(`filter[metafields.${tag}.wood]=oak`)).toEqual([light.id]);
    expect(await list(`filter[metafields.${tag}.wood]=oak,ash`)).toEqual([light.id, heavy.id].sort());
    expect(await list(`filter[metafields.${tag}.kg]=12`)).toEqual([heavy.id]);
    expect(await list(`filter[metafields.${tag}.kg][gte]=5`)).toEqual([heavy.id]);
    expect(await list(`filter[metafields.${tag}.kg][lt]=5`)).toEqual([light.id]);
    expect(await list(`filter[metafields.${tag}.since][gte]=2026-01-01`)).toEqual([dated.id]);
    expect(await list(`filter[metafields.${tag}.since][gte]=2026-02-01`)).toEqual([]);
    // A comparison of a string metafield matches nothing rather than failing.
    expect(await list(`filter[metafields.${tag}.wood][gte]=5`)).toEqual([]);
    const bad = await call(as(member), "GET", `/products?filter[metafields.${tag}.kg][gte]=heavy`);
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.param).toBe(`filter[metafields.${tag}.kg][gte]`);
    const unknown = await call(as(member), "GET", "/products?filter[colour]=red");
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().error).toMatchObject({ code: "parameter_unknown", param: "filter[colour]" });
  });

  it("are set only by whoever may change the product, and never across platforms", async () => {
    const p = await product();
    expect((await call(as(member), "POST", `/products/${p.id}/metafields`, shelf("X"))).statusCode).toBe(403);
    expect((await call(as(member), "DELETE", `/products/${p.id}/metafields/warehouse/shelf`)).statusCode).toBe(403);
    expect((await call(as(editor), "POST", `/products/${p.id}/metafields`, shelf("E"))).statusCode).toBe(200);
    expect((await call(key(other), "GET", `/products/${p.id}/metafields`)).statusCode).toBe(404);
    expect((await call(key(other), "POST", `/products/${p.id}/metafields`, shelf("X"))).statusCode).toBe(404);
    // A draft is not there for a member who does not sell it.
    const draft = await product({ draft: true });
    expect((await call(as(member), "GET", `/products/${draft.id}/metafields`)).statusCode).toBe(404);
  });

  it("records product.updated with the metafields, and nothing for a change that changes nothing", async () => {
    const p = await product();
    await call(as(seller), "POST", `/products/${p.id}/metafields`, shelf("C-3"));
    await call(as(seller), "POST", `/products/${p.id}/metafields`, shelf("C-3"));
    const events = (await call(key(), "GET", `/events?filter[object_id]=${p.id}&per_page=100`)).json().data as Json[];
    const updates = events.filter((e) => e.type === "product.updated");
    expect(updates).toHaveLength(1);
    expect(updates[0]!.data.object.metafields[0]).toMatchObject({ namespace: "warehouse", key: "shelf", value: "C-3" });
  });
});

describe("metafields on contracts", () => {
  async function contract(headers = as(member)): Promise<Json> {
    const res = await call(headers, "POST", "/contracts", { buyers: [{ user_id: member.id }], items: [{ user_id: seller.id, price: 5_000 }] });
    expect(res.statusCode, res.body).toBe(201);
    return res.json();
  }

  it("are set by whoever may change the contract, read by its parties, filtered in lists, under /orders too", async () => {
    const c = await contract();
    const set = await call(as(member), "POST", `/orders/${c.id}/metafields`, { metafields: [{ namespace: "crm", key: "ticket", type: "number", value: 4417 }] });
    expect(set.statusCode, set.body).toBe(200);
    const read = (await call(as(seller), "GET", `/contracts/${c.id}`)).json();
    expect(read.metafields).toEqual([expect.objectContaining({ namespace: "crm", key: "ticket", type: "number", value: 4417 })]);
    // Metafields are not the contract's money: nothing is rebalanced, and its figures stand.
    expect(read.total).toBe(c.total);
    // The seller reads it but did not create it: no change.
    expect((await call(as(seller), "POST", `/contracts/${c.id}/metafields`, { metafields: [{ namespace: "crm", key: "x", type: "boolean", value: true }] })).statusCode).toBe(403);
    // Someone who is not on it does not see it at all.
    expect((await call(as(editor), "GET", `/contracts/${c.id}/metafields`)).statusCode).toBe(200);
    const stranger = await t.createUser(acme, "member");
    expect((await call(as(stranger), "GET", `/contracts/${c.id}/metafields`)).statusCode).toBe(404);
    expect((await call(as(stranger), "POST", `/contracts/${c.id}/metafields`, { metafields: [] })).statusCode).toBe(404);
    expect((await call(key(other), "GET", `/orders/${c.id}/metafields`)).statusCode).toBe(404);
    const listed = await call(key(), "GET", "/contracts?filter[metafields.crm.ticket][gte]=4000");
    expect(listed.statusCode, listed.body).toBe(200);
    expect(listed.json().data.map((x: Json) => x.id)).toContain(c.id);
    expect((await call(key(), "GET", "/contracts?filter[metafields.crm.ticket]=1")).json().data.map((x: Json) => x.id)).not.toContain(c.id);
    const del = await call(key(), "DELETE", `/contracts/${c.id}/metafields/crm/ticket`);
    expect(del.statusCode, del.body).toBe(200);
    expect(del.json()).toEqual([]);
  });
});

describe("metafields on users", () => {
  it("are set by the key and admins who may change the user, shown on the user, filtered in the list", async () => {
    const admin = await t.createUser(acme, "admin");
    const owner = await t.createUser(acme, "owner");
    const target = await t.createUser(acme, "member");
    const kyc = (value: boolean) => ({ metafields: [{ namespace: "kyc", key: "verified", type: "boolean", value }] });
    expect((await call(as(admin), "POST", `/users/${target.id}/metafields`, kyc(true))).statusCode).toBe(200);
    // A member sets none, not even their own; an admin none on an owner.
    expect((await call(as(target), "POST", `/users/${target.id}/metafields`, kyc(false))).statusCode).toBe(403);
    expect((await call(as(admin), "POST", `/users/${owner.id}/metafields`, kyc(false))).statusCode).toBe(403);
    expect((await call(key(other), "POST", `/users/${target.id}/metafields`, kyc(false))).statusCode).toBe(404);
    const me = (await call(as(target), "GET", "/users/auth")).json();
    expect(me.metafields).toEqual([expect.objectContaining({ namespace: "kyc", key: "verified", value: true })]);
    const listed = await call(key(), "GET", "/users?filter[metafields.kyc.verified]=true");
    expect(listed.statusCode, listed.body).toBe(200);
    expect(listed.json().data.map((u: Json) => u.id)).toEqual([target.id]);
    expect(listed.json().data[0].metafields).toHaveLength(1);
    expect((await call(key(), "GET", `/users/${target.id}/metafields`)).json()).toHaveLength(1);
  });

  it("are written in the user's create and update bodies, but not in the user's own", async () => {
    const created = await call(key(), "POST", "/users", { email: `mf${Date.now()}@example.com`, metafields: [{ namespace: "crm", key: "tier", type: "string", value: "gold" }] });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json().metafields).toEqual([expect.objectContaining({ key: "tier", value: "gold" })]);
    const updated = await call(key(), "PUT", `/users/${created.json().id}`, { metafields: [{ namespace: "crm", key: "tier", value: null }] });
    expect(updated.statusCode, updated.body).toBe(200);
    expect(updated.json().metafields).toEqual([]);
    const own = await call(as(member), "PUT", "/users/auth", { metafields: [] });
    expect(own.statusCode).toBe(400);
    expect(own.json().error).toMatchObject({ code: "parameter_unknown", param: "metafields" });
  });
});
