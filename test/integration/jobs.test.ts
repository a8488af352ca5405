import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../scripts/lib/scratch-postgres.js";
import { bearer, createTestContext, type TestContext, type TestPlatform } from "../helpers/app.js";
import { codeOf, startSmtpServer } from "../helpers/smtp.js";

let t: TestContext;
let acme: TestPlatform;
let smtpPort: number;

beforeAll(async () => {
  smtpPort = await freePort();
  t = await createTestContext({ SMTP_URL: `smtp://127.0.0.1:${smtpPort}`, JOBS_WORKER: "true" });
  acme = await t.createPlatform({ name: "Acme" });
});
afterAll(() => t.close());

const pendingEmails = async () =>
  await t.db.$queryRaw<{ attempts: number; last_error: string | null }[]>`
    SELECT attempts, last_error FROM graphile_worker.jobs WHERE task_identifier = 'send-email'`;

describe("emails go through the job queue", () => {
  it("answers sign-in requests while SMTP is down, and delivers the code once it is back", async () => {
    const res = await t.request({ method: "POST", url: "/v1/auth/otp/email", headers: bearer(acme.apiKey), payload: { email: "patient@example.com" } });
    expect(res.statusCode).toBe(200);

    // The first attempt fails (nothing listens on the port) and the job waits for its retry.
    // (`attempts` counts up when the worker takes the job, `last_error` only once the attempt failed.)
    await expect.poll(async () => (await pendingEmails())[0]?.last_error ?? "", { timeout: 15_000 }).toMatch(/ECONNREFUSED|connect/i);
    expect((await pendingEmails())[0]!.attempts).toBeGreaterThanOrEqual(1);

    const smtp = await startSmtpServer(smtpPort);
    try {
      const email = await smtp.waitFor("patient@example.com", () => true, 30_000);
      const code = codeOf(email);
      const verified = await t.request({ method: "POST", url: "/v1/auth/otp/verify", headers: bearer(acme.apiKey), payload: { email: "patient@example.com", token: code } });
      expect(verified.statusCode).toBe(200);
      await expect.poll(async () => (await pendingEmails()).length, { timeout: 10_000 }).toBe(0);
    } finally {
      await smtp.stop();
    }
  });

  it("queues no email for a sign-in request that fails", async () => {
    const before = (await pendingEmails()).length;
    // An unknown platform_id is refused before any code or email exists.
    const res = await t.request({ method: "POST", url: "/v1/auth/otp/email", payload: { email: "x@example.com", platform_id: "plat_missing" } });
    expect(res.statusCode).toBe(404);
    expect((await pendingEmails()).length).toBe(before);
    expect(await t.db.otpCode.count({ where: { email: "x@example.com" } })).toBe(0);
  });
});
