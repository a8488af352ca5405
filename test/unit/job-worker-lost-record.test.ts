import { describe, expect, it } from "vitest";
import { lostJobRecord } from "../../src/jobs/worker.js";

/** An error as pg raises it, with the stack an async call from graphile-worker gives it. */
function pgError(code: string | undefined, message: string, from: string): Error {
  const err = Object.assign(new Error(message), code ? { code } : {});
  err.stack = `error: ${message}\n    at /app/node_modules/pg/lib/client.js:694:17\n    at async withPgClientFromPool (${from}:280:14)`;
  return err;
}

describe("the job queue's unhandled rejections the process survives", () => {
  it("graphile-worker's record of a finished job, lost with the database: survived", () => {
    expect(lostJobRecord(pgError("57P01", "terminating connection due to unexpected postmaster exit", "/app/node_modules/graphile-worker/src/helpers.ts"))).toBe(true);
    expect(lostJobRecord(pgError(undefined, "Connection terminated unexpectedly", "/app/node_modules/graphile-worker/src/sql/completeJobs.ts"))).toBe(true);
    expect(lostJobRecord(pgError("ECONNREFUSED", "connect ECONNREFUSED 127.0.0.1:5432", "/app/node_modules/graphile-worker/src/helpers.ts"))).toBe(true);
  });

  it("anything else still ends the process: another error of graphile-worker, or a lost database elsewhere", () => {
    expect(lostJobRecord(pgError("23505", "duplicate key value violates unique constraint", "/app/node_modules/graphile-worker/src/helpers.ts"))).toBe(false);
    expect(lostJobRecord(pgError("57P01", "terminating connection due to administrator command", "/app/dist/src/modules/contracts/settle/run.js"))).toBe(false);
    expect(lostJobRecord("a string")).toBe(false);
    expect(lostJobRecord(undefined)).toBe(false);
  });
});
