import { describe, expect, it } from "vitest";
import { isSealed, seal, unseal } from "../../src/lib/sealed.js";

const SECRET = "a-server-secret-a-server-secret-0123456789";

describe("sealed job payloads", () => {
  it("opens under the same secret to the same value, and each seal differs (a fresh nonce)", () => {
    const message = { to: "a@example.com", subject: "123456 is your Acme sign-in code", text: "123456" };
    const [a, b] = [seal(SECRET, message), seal(SECRET, message)];
    expect(isSealed(a)).toBe(true);
    expect(a.sealed).not.toBe(b.sealed);
    expect(unseal(SECRET, a)).toEqual(message);
    expect(Buffer.from(a.sealed.split(".")[3]!, "base64url").toString("latin1")).not.toContain("123456");
  });

  it("refuses another secret and any altered byte", () => {
    const sealed = seal(SECRET, { text: "123456" });
    expect(() => unseal(`${SECRET}x`, sealed)).toThrow();
    // One byte of the ciphertext changed (the last part of `v1.<iv>.<tag>.<body>`).
    const [version, iv, tag, body] = sealed.sealed.split(".");
    const altered = Buffer.from(body!, "base64url");
    altered[altered.length - 1]! ^= 1;
    expect(() => unseal(SECRET, { sealed: [version, iv, tag, altered.toString("base64url")].join(".") })).toThrow();
  });

  it("tells a sealed payload from a plain email", () => {
    expect(isSealed({ to: "a@example.com", subject: "Hi", text: "Hello" })).toBe(false);
    expect(isSealed(null)).toBe(false);
  });
});
