import { describe, expect, it } from "vitest";
import { GoogleCalendarError } from "../../src/adapters/google-calendar/gateway.js";
import { createGoogleCalendar } from "../../src/adapters/google-calendar/google.js";
import { createOfflineGoogleCalendar } from "../../src/adapters/google-calendar/offline.js";
import { ConfigError, loadConfig } from "../../src/config.js";
import { createSealer } from "../../src/lib/sealed.js";

describe("the Google Calendar adapter", () => {
  it("with Google: a consent URL for offline, read-only free/busy access, carrying the state (built without a network)", () => {
    const google = createGoogleCalendar({
      clientId: "client-1.apps.googleusercontent.com",
      clientSecret: "secret",
      redirectUrl: "https://api.example.com/v1/calendars/google/callback",
    });
    const url = new URL(google.consentUrl("plat_x.test.user_y.1.n.mac"));
    expect(url.hostname).toBe("accounts.google.com");
    expect(url.searchParams.get("client_id")).toBe("client-1.apps.googleusercontent.com");
    expect(url.searchParams.get("redirect_uri")).toBe("https://api.example.com/v1/calendars/google/callback");
    expect(url.searchParams.get("access_type")).toBe("offline");
    expect(url.searchParams.get("prompt")).toBe("consent");
    expect(url.searchParams.get("scope")?.split(" ")).toContain("https://www.googleapis.com/auth/calendar.freebusy");
    expect(url.searchParams.get("state")).toBe("plat_x.test.user_y.1.n.mac");
  });

  it("offline: the consent URL is the callback with a code; only its own codes and tokens work; a revoked token is refused", async () => {
    const fake = createOfflineGoogleCalendar({ redirectUrl: "http://localhost:5000/v1/calendars/google/callback" });
    const url = new URL(fake.consentUrl("s"));
    expect(`${url.origin}${url.pathname}`).toBe("http://localhost:5000/v1/calendars/google/callback");
    const { refreshToken } = await fake.exchangeCode(url.searchParams.get("code")!);
    await expect(fake.exchangeCode("forged")).rejects.toBeInstanceOf(GoogleCalendarError);
    fake.setBusy("a", [{ start: new Date("2027-01-01T10:00:00Z"), end: new Date("2027-01-01T12:00:00Z") }]);
    const busy = await fake.freeBusy(refreshToken, ["a", "b"], new Date("2027-01-01T11:00:00Z"), new Date("2027-01-02T00:00:00Z"));
    expect(busy.get("a")).toEqual([{ start: new Date("2027-01-01T11:00:00Z"), end: new Date("2027-01-01T12:00:00Z") }]);
    expect(busy.get("b")).toEqual([]);
    await fake.revoke(refreshToken);
    await expect(fake.freeBusy(refreshToken, ["a"], new Date(), new Date())).rejects.toMatchObject({ reason: "invalid_grant" });
  });

  it("is configured by GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET together; the redirect URL follows PUBLIC_URL", () => {
    expect(loadConfig({}).googleCalendar).toEqual({ kind: "offline", redirectUrl: "http://localhost:5000/v1/calendars/google/callback" });
    expect(loadConfig({ GOOGLE_CLIENT_ID: "id", GOOGLE_CLIENT_SECRET: "s", PUBLIC_URL: "https://api.example.com/" }).googleCalendar).toEqual({
      kind: "google",
      clientId: "id",
      clientSecret: "s",
      redirectUrl: "https://api.example.com/v1/calendars/google/callback",
    });
    expect(() => loadConfig({ GOOGLE_CLIENT_ID: "id" })).toThrow(ConfigError);
  });
});

describe("sealed secrets", () => {
  it("open what they sealed, and nothing sealed under another secret or purpose, or altered", () => {
    const sealer = createSealer("a".repeat(40), "google-refresh-token");
    const sealed = sealer.seal("1//refresh-token");
    expect(sealed).not.toContain("refresh-token");
    expect(sealer.open(sealed)).toBe("1//refresh-token");
    expect(sealer.seal("1//refresh-token")).not.toBe(sealed);
    expect(createSealer("b".repeat(40), "google-refresh-token").open(sealed)).toBeNull();
    expect(createSealer("a".repeat(40), "other").open(sealed)).toBeNull();
    const [v, iv, tag, body] = sealed.split(".");
    expect(sealer.open([v, iv, tag, `${body!.slice(0, -2)}AA`].join("."))).toBeNull();
    expect(sealer.open("garbage")).toBeNull();
  });
});
