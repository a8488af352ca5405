import { describe, expect, it } from "vitest";
import { isDatabaseUnavailable } from "../../src/plugins/error-handler.js";

/**
 * What the error handler answers 503 database_unavailable. The end-to-end proof is
 * test/faults/database-restart.test.ts; these are the shapes it met, pinned one by one, since which
 * one a request in flight meets depends on timing.
 */
describe("isDatabaseUnavailable", () => {
  it("knows pg's words for a connection the server closed mid-query, bare or wrapped", () => {
    expect(isDatabaseUnavailable(new Error("Connection terminated unexpectedly"))).toBe(true);
    expect(isDatabaseUnavailable(new Error("Connection terminated"))).toBe(true);
    expect(isDatabaseUnavailable(Object.assign(new Error("query failed"), { cause: new Error("Connection terminated unexpectedly") }))).toBe(true);
  });

  it("knows refused connections and shutdown SQLSTATEs", () => {
    expect(isDatabaseUnavailable(Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" }))).toBe(true);
    expect(isDatabaseUnavailable(Object.assign(new Error("terminating connection due to administrator command"), { code: "57P01" }))).toBe(true);
  });

  it("is not fooled by an error that merely mentions a connection", () => {
    expect(isDatabaseUnavailable(new Error("Connection terminated by the user's request: retry"))).toBe(false);
    expect(isDatabaseUnavailable(new Error("unique constraint failed"))).toBe(false);
    expect(isDatabaseUnavailable(null)).toBe(false);
  });
});
