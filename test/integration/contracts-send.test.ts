import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, createTestContext, type TestContext, type TestPlatform, type TestUser } from "../helpers/app.js";
import { okContract } from "../helpers/contracts.js";
import { startSmtpServer } from "../helpers/smtp.js";

/** `POST /v1/contracts/:id/send` with the job worker and a real SMTP server: what each buyer receives. */

let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
let t: TestContext;
let acme: TestPlatform;
let sam: TestUser;
let bob: TestUser;
let carol: TestUser;

beforeAll(async () => {
  smtp = await startSmtpServer();
  t = await createTestContext({ SMTP_URL: smtp.url, JOBS_WORKER: "true" });
  acme = await t.createPlatform({ name: "Acme Market", url: "https://acme.test" });
  sam = await t.createUser(acme, "member");
  bob = await t.createUser(acme, "member", "bob@buyers.test");
  carol = await t.createUser(acme, "member", "carol@buyers.test");
});
afterAll(async () => {
  await t.close();
  await smtp.stop();
});

/** The decoded text of a received message (quoted-printable soft breaks joined). */
const text = (raw: string) => {
  const joined = raw.replace(/=\r?\n/g, "");
  const bytes: number[] = [];
  for (let i = 0; i < joined.length; i += 1) {
    const hex = joined[i] === "=" ? /^[0-9A-F]{2}/.exec(joined.slice(i + 1, i + 3)) : null;
    if (hex) {
      bytes.push(parseInt(hex[0], 16));
      i += 2;
    } else bytes.push(...Buffer.from(joined[i]!, "utf8"));
  }
  return Buffer.from(bytes).toString("utf8");
};

describe("sending a contract", () => {
  it("emails every buyer the items, their own amount due and the due date", async () => {
    const created = await t.request({
      method: "POST",
      url: "/v1/contracts",
      headers: bearer(acme.apiKey),
      payload: {
        items: [{ user_id: sam.id, price: 12000, quantity: 2, description: "Pottery class" }],
        buyers: [{ user_id: bob.id, dueAmount: 20000 }, { user_id: carol.id }],
        due: "2027-03-01T17:00:00Z",
        fees: [{ amount: 1000, description: "Clay" }],
      },
    });
    const c = okContract(created, 201);
    const sent = okContract(await t.request({ method: "POST", url: `/v1/contracts/${c.id}/send`, headers: bearer(acme.apiKey) }));
    expect(sent.status).toBe("open");

    const toBob = await smtp.waitFor("bob@buyers.test");
    const toCarol = await smtp.waitFor("carol@buyers.test");
    // (The helper reads the subject's first line; the contract id follows on a folded one.)
    expect(toBob.subject).toContain("Acme Market: 200.00 USD due by 2027-03-01");
    expect(text(toBob.raw).replace(/\r?\n\s+/g, " ")).toContain(`(contract ${c.id})`);
    expect(toCarol.subject).toContain("50.00 USD due");
    const body = text(toBob.raw);
    expect(body).toContain("- Pottery class: 2 × 120.00 USD = 240.00 USD");
    expect(body).toContain("- Clay: 10.00 USD");
    expect(body).toContain("Contract total: 250.00 USD");
    expect(body).toContain("Your amount due: 200.00 USD");
    expect(body).toContain("Due: 2027-03-01T17:00:00Z");
    expect(body).toContain("https://acme.test");
    expect(text(toCarol.raw)).toContain("Your amount due: 50.00 USD");
    expect(smtp.messages.filter((m) => m.to.includes(sam.email))).toHaveLength(0);
  });
});
