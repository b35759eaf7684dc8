import { describe, expect, it } from "vitest";
import { DEFAULT_TOKEN_LIFETIME_S, parseTokenResponse, refreshMargin, tokenExpiry } from "../../../../src/oci/registry/auth.js";

describe("parseTokenResponse", () => {
  it("accepts token or access_token and defaults expires_in to 60 s", () => {
    expect(parseTokenResponse({ token: "a" })).toEqual({ token: "a", expiresInS: DEFAULT_TOKEN_LIFETIME_S, issuedAt: undefined });
    expect(parseTokenResponse({ access_token: "b", expires_in: 300 })).toEqual({ token: "b", expiresInS: 300, issuedAt: undefined });
    expect(parseTokenResponse({ token: "", access_token: "c" })?.token).toBe("c");
    expect(parseTokenResponse({ token: "a", issued_at: "2024-01-01T00:00:00Z" })?.issuedAt).toBe(Date.parse("2024-01-01T00:00:00Z"));
  });

  it("refuses answers without a token", () => {
    expect(parseTokenResponse({ expires_in: 60 })).toBeUndefined();
    expect(parseTokenResponse("x")).toBeUndefined();
  });
});

describe("tokenExpiry", () => {
  const now = Date.parse("2024-01-01T00:10:00Z");
  it("counts from issued_at when it is sane", () => {
    expect(tokenExpiry({ token: "t", expiresInS: 300, issuedAt: now - 60_000 }, now)).toBe(now + 240_000);
  });
  it("counts from now when issued_at is absent, in the future, or would make the token already dead (skew)", () => {
    expect(tokenExpiry({ token: "t", expiresInS: 300, issuedAt: undefined }, now)).toBe(now + 300_000);
    expect(tokenExpiry({ token: "t", expiresInS: 300, issuedAt: now + 3_600_000 }, now)).toBe(now + 300_000);
    expect(tokenExpiry({ token: "t", expiresInS: 60, issuedAt: now - 3_600_000 }, now)).toBe(now + 60_000);
  });
  it("refreshes a quarter of the lifetime early, within 5-60 s", () => {
    expect(refreshMargin(60_000)).toBe(15_000);
    expect(refreshMargin(10_000)).toBe(5_000);
    expect(refreshMargin(3_600_000)).toBe(60_000);
  });
});
