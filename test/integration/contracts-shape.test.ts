import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { contractSchema } from "../../src/modules/contracts/contracts.schemas.js";
import { bearer, createTestContext, type TestContext, type TestPlatform } from "../helpers/app.js";

/**
 * The contract object has one definition, the zod schema; PostgreSQL builds the answers from a map
 * typed by it (contracts.repo.ts). This checks the built JSON against the schema at run time too:
 * the same keys at every level, and values the schema accepts.
 */

let t: TestContext;
let acme: TestPlatform;
beforeAll(async () => {
  t = await createTestContext();
  acme = await t.createPlatform({ name: "Acme" });
});
afterAll(() => t.close());

/** Every object of the value, checked strictly (unknown keys refused) against the schema's shape. */
function strictly(schema: z.ZodType): z.ZodType {
  if (schema instanceof z.ZodObject) {
    const shape = Object.fromEntries(Object.entries(schema.shape as Record<string, z.ZodType>).map(([k, v]) => [k, strictly(v)]));
    return z.strictObject(shape);
  }
  if (schema instanceof z.ZodArray) return z.array(strictly(schema.element as z.ZodType));
  return schema;
}

describe("the contract object", () => {
  it("as PostgreSQL builds it (retrieve and list) has exactly the schema's fields, in its order", async () => {
    const seller = await t.createUser(acme, "member");
    const buyer = await t.createUser(acme, "member");
    const created = await t.request({
      method: "POST",
      url: "/v1/contracts",
      headers: bearer(acme.apiKey),
      payload: { items: [{ user_id: seller.id, price: 2500 }], buyers: [{ user_id: buyer.id }], fees: [{ amount: 100, payer: "buyers" }] },
    });
    expect(created.statusCode).toBe(201);
    const id = created.json().id as string;
    const got = await t.request({ method: "GET", url: `/v1/contracts/${id}`, headers: bearer(acme.apiKey) });
    const listed = await t.request({ method: "GET", url: "/v1/contracts", headers: bearer(acme.apiKey) });
    for (const contract of [created.json(), got.json(), listed.json().data.find((c: { id: string }) => c.id === id)]) {
      expect(() => strictly(contractSchema).parse(contract)).not.toThrow();
      expect(Object.keys(contract)).toEqual(Object.keys(contractSchema.shape));
      for (const [field, element] of [
        ["items", contract.items[0]],
        ["buyers", contract.buyers[0]],
        ["sellers", contract.sellers[0]],
        ["fees", contract.fees[0]],
      ] as const) {
        const schema = (contractSchema.shape[field] as z.ZodArray<z.ZodObject>).element;
        expect(Object.keys(element)).toEqual(Object.keys(schema.shape));
      }
    }
  });
});
