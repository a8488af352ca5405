import { describe, expect, it } from "vitest";
import { runScript } from "../helpers/process.js";

/**
 * The short version of `npm run chaos` (scripts/chaos.ts): the server started as users start it,
 * a mixed load of reads, checkouts settled through the offline simulator and refreshes, the API
 * killed -9 under it and restarted; then the books checked through the API (charged once, paid out
 * once, balanced, nothing oversold, nothing processing, no 5xx outside the outage).
 */
describe("npm run chaos --short", () => {
  it("the books hold after the API is killed under load, and it restarts on the first try", async () => {
    const chaos = runScript("scripts/chaos.ts", ["--short", "--seconds", "3", "--workers", "4"], {});
    const code = await chaos.exited;
    expect(code, chaos.output().slice(-4000)).toBe(0);
    expect(chaos.output()).toContain("1/1 restarts on the first try");
  }, 400_000);
});
