import { createHmac, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import Stripe from "stripe";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifySignature } from "../../src/modules/webhooks/signature.js";
import { bearer, createTestContext, type TestContext, type TestPlatform } from "../helpers/app.js";
import { startReceiver, type Receiver } from "../helpers/receiver.js";

/**
 * The endpoint tools: a test event, resending a delivery, rotating the signing secret. Deliveries
 * are verified the way a receiver does: with the `stripe` package (our scheme is Stripe's) and by hand.
 */
let t: TestContext;
let acme: TestPlatform;
let other: TestPlatform;
const receivers: Receiver[] = [];
/** The hand-written verifier docs/webhooks-and-events.md shows, run as written. */
const readmeVerifier = (() => {
  const block = /```js\n(import \{ createHmac, timingSafeEqual \} from "node:crypto";\n[\s\S]*?function verifyCandleSignature[\s\S]*?)```/.exec(
    readFileSync("docs/webhooks-and-events.md", "utf8"),
  );
  if (!block) throw new Error("docs/webhooks-and-events.md has no verifyCandleSignature block");
  const code = block[1]!.replace(/^import .*$/m, "");
  return new Function("createHmac", "timingSafeEqual", `${code}\nreturn verifyCandleSignature;`)(createHmac, timingSafeEqual) as (
    header: string,
    body: string,
    secret: string,
  ) => boolean;
})();
// No request is made: the client is only used for its webhook verification.
const stripe = new Stripe("sk_test_verification_only");

beforeAll(async () => {
  t = await createTestContext({ WEBHOOKS_ALLOW_PRIVATE: "true", JOBS_WORKER: "true", JOBS_CONCURRENCY: "4", WEBHOOK_RETRY_BASE: "1", WEBHOOK_TIMEOUT: "1000" });
  acme = await t.createPlatform({ name: "Acme" });
  other = await t.createPlatform({ name: "Other" });
});
afterAll(async () => {
  await t.close();
  await Promise.all(receivers.map((r) => r.close()));
});

async function receiver(...args: Parameters<typeof startReceiver>): Promise<Receiver> {
  const r = await startReceiver(...args);
  receivers.push(r);
  return r;
}

async function createEndpoint(url: string, events = ["user.created"]): Promise<{ id: string; secret: string }> {
  const res = await t.request({ method: "POST", url: "/v1/webhooks", headers: bearer(acme.apiKey), payload: { url, events } });
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

const post = (url: string, payload?: Record<string, unknown>, platform = acme) =>
  t.request({ method: "POST", url, headers: bearer(platform.apiKey), ...(payload === undefined ? {} : { payload }) });

const deliveries = async (endpointId: string) =>
  (await t.request({ method: "GET", url: `/v1/webhooks/${endpointId}/deliveries`, headers: bearer(acme.apiKey) })).json().data as {
    id: string;
    status: string;
    attempts: number;
    eventType: string;
  }[];

describe("POST /v1/webhooks/:id/test", () => {
  it("sends that endpoint a webhook_endpoint.test event, whatever it subscribes to, verifiable with stripe.webhooks.constructEvent", async () => {
    const r = await receiver();
    const endpoint = await createEndpoint(r.url);
    const res = await post(`/v1/webhooks/${endpoint.id}/test`);
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ webhook_id: endpoint.id, eventType: "webhook_endpoint.test", status: "pending", attempts: 0 });

    const [request] = await r.waitFor(1);
    const event = stripe.webhooks.constructEvent(request!.body, String(request!.headers["candle-signature"]), endpoint.secret);
    expect(event).toMatchObject({ id: res.json().event_id, type: "webhook_endpoint.test", object_id: endpoint.id, data: { object: { id: endpoint.id } } });
    expect(() => stripe.webhooks.constructEvent(request!.body, String(request!.headers["candle-signature"]), "whsec_someone_else")).toThrow(/signature/i);
    expect(verifySignature(String(request!.headers["candle-signature"]), request!.body, endpoint.secret)).toBe(true);
    // Recorded like any event.
    expect((await t.request({ method: "GET", url: `/v1/events/${event.id}`, headers: bearer(acme.apiKey) })).statusCode).toBe(200);
  });

  it("is 409 for a disabled endpoint and 404 for another platform's", async () => {
    const r = await receiver();
    const endpoint = await createEndpoint(r.url);
    expect((await post(`/v1/webhooks/${endpoint.id}/test`, undefined, other)).statusCode).toBe(404);
    await t.request({ method: "PUT", url: `/v1/webhooks/${endpoint.id}`, headers: bearer(acme.apiKey), payload: { isEnabled: false } });
    const res = await post(`/v1/webhooks/${endpoint.id}/test`);
    expect(res.statusCode).toBe(409);
    expect(res.json().error.code).toBe("webhook_disabled");
  });
});

describe("POST /v1/webhooks/:id/deliveries/:delivery_id/resend", () => {
  it("sends a succeeded delivery again, with the same event id", async () => {
    const r = await receiver();
    const endpoint = await createEndpoint(r.url);
    const test = (await post(`/v1/webhooks/${endpoint.id}/test`)).json();
    await r.waitFor(1);
    await expect.poll(async () => (await deliveries(endpoint.id))[0]?.status).toBe("succeeded");

    const res = await post(`/v1/webhooks/${endpoint.id}/deliveries/${test.id}/resend`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ id: test.id, status: "pending", attempts: 0, delivered: null });
    const [, again] = await r.waitFor(2);
    expect(again!.headers["candle-event-id"]).toBe(test.event_id);
    expect(again!.headers["candle-delivery-id"]).toBe(test.id);
    await expect.poll(async () => (await deliveries(endpoint.id))[0]).toMatchObject({ status: "succeeded", attempts: 1 });
  });

  it("sends a failed delivery older than the 3-day window again: its window counts from the resend", async () => {
    const r = await receiver();
    const endpoint = await createEndpoint(r.url);
    await t.request({ method: "PUT", url: `/v1/webhooks/${endpoint.id}`, headers: bearer(acme.apiKey), payload: { isEnabled: false } });
    const user = await post("/v1/users", { email: "old-failure@acme.test" });
    expect(user.statusCode).toBe(201);
    // Its event was recorded while the endpoint was off: give it a delivery that failed 4 days ago.
    const event = await t.db.event.findFirstOrThrow({ where: { objectId: user.json().id, type: "user.created" } });
    const fourDaysAgo = new Date(Date.now() - 4 * 86_400_000);
    const failed = await t.db.webhookDelivery.create({
      data: {
        id: `whdel_${"0".repeat(31)}1`,
        platformId: acme.id,
        mode: acme.mode,
        endpointId: endpoint.id,
        eventId: event.id,
        status: "failed",
        attempts: 20,
        created: fourDaysAgo,
      },
    });
    await t.request({ method: "PUT", url: `/v1/webhooks/${endpoint.id}`, headers: bearer(acme.apiKey), payload: { isEnabled: true } });

    expect((await post(`/v1/webhooks/${endpoint.id}/deliveries/${failed.id}/resend`)).statusCode).toBe(200);
    const [request] = await r.waitFor(1);
    expect(request!.headers["candle-event-id"]).toBe(event.id);
    await expect.poll(async () => (await deliveries(endpoint.id)).find((d) => d.id === failed.id)).toMatchObject({ status: "succeeded", attempts: 1 });
  });

  it("is 409 for a delivery still pending, 404 for another endpoint's delivery", async () => {
    const failing = await receiver(() => ({ status: 500, body: "down" }));
    const endpoint = await createEndpoint(failing.url);
    const test = (await post(`/v1/webhooks/${endpoint.id}/test`)).json();
    await failing.waitFor(1);
    const res = await post(`/v1/webhooks/${endpoint.id}/deliveries/${test.id}/resend`);
    expect(res.statusCode).toBe(409);
    expect(res.json().error).toMatchObject({ code: "delivery_pending", param: "delivery_id" });
    const otherEndpoint = await createEndpoint((await receiver()).url);
    const missing = await post(`/v1/webhooks/${otherEndpoint.id}/deliveries/${test.id}/resend`);
    expect(missing.statusCode).toBe(404);
    await t.request({ method: "DELETE", url: `/v1/webhooks/${endpoint.id}`, headers: bearer(acme.apiKey) });
  });
});

describe("POST /v1/webhooks/:id/rotate_secret", () => {
  it("answers a new secret once; both secrets sign during the overlap, then only the new one", async () => {
    const r = await receiver();
    const endpoint = await createEndpoint(r.url);
    const rotated = await post(`/v1/webhooks/${endpoint.id}/rotate_secret`, {});
    expect(rotated.statusCode, rotated.body).toBe(200);
    const { secret, previousSecretExpires } = rotated.json();
    expect(secret).toMatch(/^whsec_/);
    expect(secret).not.toBe(endpoint.secret);
    const expires = Date.parse(previousSecretExpires);
    expect(expires).toBeGreaterThan(Date.now() + 23 * 3600_000);
    expect(expires).toBeLessThanOrEqual(Date.now() + 24 * 3600_000);
    expect((await t.request({ method: "GET", url: `/v1/webhooks/${endpoint.id}`, headers: bearer(acme.apiKey) })).json()).not.toHaveProperty("secret");

    expect((await post("/v1/users", { email: "during-overlap@acme.test" })).statusCode).toBe(201);
    const [during] = await r.waitFor(1);
    const header = String(during!.headers["candle-signature"]);
    expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64},v1=[0-9a-f]{64}$/);
    for (const key of [secret, endpoint.secret]) {
      expect(stripe.webhooks.constructEvent(during!.body, header, key).type).toBe("user.created");
      expect(verifySignature(header, during!.body, key)).toBe(true);
      expect(readmeVerifier(header, during!.body, key)).toBe(true);
    }
    expect(readmeVerifier(header, during!.body, "whsec_someone_else")).toBe(false);

    // A second rotation that retires the old secret at once.
    const again = await post(`/v1/webhooks/${endpoint.id}/rotate_secret`, { expires_in: 0 });
    expect(again.json().previousSecretExpires).toBeNull();
    expect((await post("/v1/users", { email: "after-overlap@acme.test" })).statusCode).toBe(201);
    const [, after] = await r.waitFor(2);
    const single = String(after!.headers["candle-signature"]);
    expect(single).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(stripe.webhooks.constructEvent(after!.body, single, again.json().secret).type).toBe("user.created");
    for (const old of [secret, endpoint.secret]) {
      expect(() => stripe.webhooks.constructEvent(after!.body, single, old)).toThrow(/signature/i);
      expect(readmeVerifier(single, after!.body, old)).toBe(false);
    }
    expect(readmeVerifier(single, after!.body, again.json().secret)).toBe(true);
  });

  it("ends the overlap when its time has passed", async () => {
    const r = await receiver();
    const endpoint = await createEndpoint(r.url);
    const { secret } = (await post(`/v1/webhooks/${endpoint.id}/rotate_secret`, { expires_in: 3600 })).json();
    await t.db.webhookEndpoint.update({ where: { id: endpoint.id }, data: { previousSecretExpires: new Date(Date.now() - 1000) } });
    expect((await post("/v1/users", { email: "overlap-over@acme.test" })).statusCode).toBe(201);
    const [request] = await r.waitFor(1);
    const header = String(request!.headers["candle-signature"]);
    expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(verifySignature(header, request!.body, secret)).toBe(true);
    expect(verifySignature(header, request!.body, endpoint.secret)).toBe(false);
  });

  it("refuses an overlap over 7 days", async () => {
    const endpoint = await createEndpoint((await receiver()).url);
    const res = await post(`/v1/webhooks/${endpoint.id}/rotate_secret`, { expires_in: 8 * 86_400 });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.param).toBe("expires_in");
  });
});
