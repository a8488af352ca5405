import { describe, expect, it } from "vitest";
import { toCatalogue } from "../../bench/peers/medusa.js";
import { placeOf, selfTimes, type CpuProfile } from "../../bench/profile.js";
import { growth, scaleArgs } from "../../bench/scale.js";

/** The bench's own parsing: what the Medusa peer is seeded with, what --scale passes on, what a profile says. */
describe("bench tools", () => {
  it("exports our catalogue for Medusa: top-level products with their live variants nested, in order", () => {
    const row = (id: string, parent: string | null, archived = false) => ({
      id,
      parent_product_id: parent,
      name: id,
      description: null,
      image: null,
      category: parent ? null : "Books",
      user_id: "user_s",
      price: 1234,
      quantity: id === "p2" ? 5 : null,
      archived: archived ? new Date() : null,
    });
    const catalogue = toCatalogue([row("p1", null), row("v1", "p1"), row("p2", null, true), row("v2", "p1", true), row("v3", "p1")], "Books");
    expect(catalogue.category).toBe("Books");
    expect(catalogue.products.map((p) => [p.id, p.archived, p.quantity, p.variants.map((v) => v.id)])).toEqual([
      ["p1", false, null, ["v1", "v3"]],
      ["p2", true, 5, []],
    ]);
  });

  it("passes every flag but the sizes and the outputs on to each size's run", () => {
    expect(scaleArgs(["--scale", "1000,2000", "--duration", "10", "--write", "--products=5", "--json", "x.json", "--scenario", "list-products", "--transactions", "9"])).toEqual([
      "--duration",
      "10",
      "--scenario",
      "list-products",
    ]);
  });

  it("names how CPU per request grew with the table", () => {
    expect(growth([10_000, 100_000], [1, 1.1])).toMatch(/flat/);
    expect(growth([10_000, 100_000], [1, 2])).toMatch(/log-like/);
    expect(growth([10_000, 100_000], [1, 9])).toMatch(/linear/);
  });

  it("adds a profile's self time by function and by place", () => {
    const profile: CpuProfile = {
      nodes: [
        { id: 1, callFrame: { functionName: "(root)", url: "", lineNumber: -1 }, children: [2, 3, 4] },
        { id: 2, callFrame: { functionName: "handler", url: "file:///app/dist/src/x.js", lineNumber: 9 } },
        { id: 3, callFrame: { functionName: "query", url: "file:///app/node_modules/@prisma/client/a.js", lineNumber: 0 } },
        { id: 4, callFrame: { functionName: "(idle)", url: "", lineNumber: -1 } },
      ],
      samples: [2, 3, 3, 4],
      timeDeltas: [1000, 2000, 3000, 5000],
      startTime: 0,
      endTime: 11_000,
    };
    const times = selfTimes(profile, "/app");
    expect(times.total).toBe(6);
    expect(times.idle).toBe(5);
    expect(times.byPlace).toEqual([
      ["@prisma/client", 5],
      ["dist/src/x.js", 1],
    ]);
    expect(placeOf({ functionName: "readFile", url: "node:fs", lineNumber: 1 }, "/app")).toBe("node: internals");
  });
});
