import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { assertPublicHost, ipv6Bytes, isPublicAddress, NonPublicAddressError, type HostResolver } from "../../src/adapters/webhooks/public-address.js";
import { MAX_RETRY_DELAY_MS, RETRY_WINDOW_MS, retryDelayMs } from "../../src/modules/webhooks/delivery.service.js";
import { signatureHeader, verifySignature } from "../../src/modules/webhooks/signature.js";

describe("isPublicAddress", () => {
  it.each([
    "0.0.0.0",
    "10.0.0.1",
    "100.64.0.1",
    "127.0.0.1",
    "127.255.255.254",
    "169.254.169.254",
    "172.16.0.1",
    "172.31.255.255",
    "192.0.2.1",
    "192.168.0.1",
    "198.18.0.1",
    "224.0.0.1",
    "255.255.255.255",
    "::",
    "::1",
    "::127.0.0.1",
    "::ffff:127.0.0.1",
    "::ffff:7f00:1",
    "::ffff:10.0.0.1",
    "64:ff9b::192.168.0.1",
    "fc00::1",
    "fd12:3456::1",
    "fe80::1",
    "fe80::1%eth0",
    "febf::1",
    "ff02::1",
    "2001:db8::1",
    "2001::1",
    "2002:7f00:1::1",
    "not an address",
    "",
  ])("refuses %s", (address) => {
    expect(isPublicAddress(address)).toBe(false);
  });

  it.each([
    "1.1.1.1",
    "8.8.8.8",
    "93.184.215.14",
    "172.15.255.255",
    "172.32.0.1",
    "192.169.0.1",
    "::ffff:8.8.8.8",
    "64:ff9b::808:808",
    "2606:4700:4700::1111",
    "2a00:1450:4001:80b::200e",
  ])("allows %s", (address) => {
    expect(isPublicAddress(address)).toBe(true);
  });

  it("parses IPv6 in every spelling", () => {
    expect(ipv6Bytes("::1")).toEqual([...Array(15).fill(0), 1]);
    expect(ipv6Bytes("::ffff:1.2.3.4")?.slice(10)).toEqual([0xff, 0xff, 1, 2, 3, 4]);
    expect(ipv6Bytes("2001:db8:0:0:0:0:0:1")).toEqual(ipv6Bytes("2001:db8::1"));
    expect(ipv6Bytes("1::2::3")).toBeNull();
    expect(ipv6Bytes("1:2:3")).toBeNull();
    expect(ipv6Bytes("12345::")).toBeNull();
  });
});

describe("assertPublicHost", () => {
  const resolver =
    (answers: Record<string, string[]>): HostResolver =>
    async (host) => {
      if (!answers[host]) throw new Error("ENOTFOUND");
      return answers[host]!.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));
    };

  it("refuses literal non-public hosts and localhost without asking DNS", async () => {
    const never: HostResolver = async () => {
      throw new Error("must not resolve");
    };
    for (const url of ["http://127.0.0.1/", "http://[::1]:8080/", "http://localhost/", "http://LOCALHOST./", "http://app.localhost/", "http://0x7f.1/"]) {
      await expect(assertPublicHost(new URL(url), never), url).rejects.toBeInstanceOf(NonPublicAddressError);
    }
  });

  it("refuses a name when any of its addresses is non-public", async () => {
    const resolve = resolver({ "split.example": ["93.184.215.14", "10.1.1.1"], "good.example": ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"] });
    await expect(assertPublicHost(new URL("https://split.example/"), resolve)).rejects.toThrow("split.example resolves to 10.1.1.1, which is not a public address");
    await expect(assertPublicHost(new URL("https://good.example/"), resolve)).resolves.toEqual({ resolves: true });
  });

  it("lets a name that does not resolve through (delivery checks it again)", async () => {
    await expect(assertPublicHost(new URL("https://nowhere.example/"), resolver({}))).resolves.toEqual({ resolves: false });
  });
});

describe("Candle-Signature", () => {
  const secret = "whsec_test";
  const body = '{"id":"evt_1"}';

  it("is t=<seconds>,v1=<hex HMAC-SHA256 of `t.body`>", () => {
    const expected = createHmac("sha256", secret).update(`1700000000.${body}`).digest("hex");
    expect(signatureHeader(secret, 1_700_000_000, body)).toBe(`t=1700000000,v1=${expected}`);
  });

  it("verifies a fresh signature, and refuses another body, another secret or an old timestamp", () => {
    const now = new Date(1_700_000_100_000);
    const header = signatureHeader(secret, 1_700_000_000, body);
    expect(verifySignature(header, body, secret, { now })).toBe(true);
    expect(verifySignature(header, `${body} `, secret, { now })).toBe(false);
    expect(verifySignature(header, body, "whsec_other", { now })).toBe(false);
    expect(verifySignature(header, body, secret, { now: new Date(1_700_001_000_000) })).toBe(false);
    expect(verifySignature("garbage", body, secret, { now })).toBe(false);
  });
});

describe("retry schedule", () => {
  it("doubles from the base, caps at 6 hours, and fits about 20 attempts in 3 days at the default 30 s", () => {
    expect([1, 2, 3, 4].map((n) => retryDelayMs(n, 30))).toEqual([30_000, 60_000, 120_000, 240_000]);
    expect(retryDelayMs(11, 30)).toBe(MAX_RETRY_DELAY_MS);
    expect(retryDelayMs(200, 30)).toBe(MAX_RETRY_DELAY_MS);
    let elapsed = 0;
    let attempts = 1;
    while (elapsed + retryDelayMs(attempts, 30) <= RETRY_WINDOW_MS) elapsed += retryDelayMs(attempts++, 30);
    expect(attempts).toBe(21);
  });
});
