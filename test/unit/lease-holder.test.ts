import { describe, expect, it } from "vitest";
import { createLeaseHolder } from "../../src/lib/lease-holder.js";

describe("LeaseHolder", () => {
  it("names the node and the boot in every lease, LIKE-matched by its patterns", () => {
    const a = createLeaseHolder("node-a", "boot1");
    const id = a.newLeaseId();
    expect(id.startsWith(`${a.node}.boot1.`)).toBe(true);
    expect(a.bootPattern).toBe(`${a.node}.boot1.%`);
    expect(createLeaseHolder("node-a", "boot2").node).toBe(a.node);
    expect(createLeaseHolder("node-b").node).not.toBe(a.node);
  });

  it("keeps a lease live while its work runs, and tells the listeners of the error work ends in, after it is no longer live", async () => {
    const leases = createLeaseHolder("node-a");
    const heard: { err: unknown; live: string[] }[] = [];
    leases.onLost((err) => heard.push({ err, live: leases.live() }));
    const ok = leases.newLeaseId();
    expect(await leases.work(ok, async () => leases.live())).toEqual([ok]);
    expect(leases.live()).toEqual([]);
    expect(heard).toEqual([]);

    const cut = leases.newLeaseId();
    const err = Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
    await expect(
      leases.work(cut, async () => {
        throw err;
      }),
    ).rejects.toBe(err);
    expect(heard).toEqual([{ err, live: [] }]);
  });
});
