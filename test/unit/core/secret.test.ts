import { format, inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { collectSecrets, isSecret, Secret, SENSITIVE } from "../../../src/core/secret.js";

describe("Secret", () => {
  const secret = new Secret("hunter2-value");

  it("prints (sensitive) through every way JavaScript makes text of it", () => {
    const forms = [
      String(secret),
      `${secret}`,
      "" + secret,
      secret.toString(),
      JSON.stringify(secret),
      JSON.stringify({ password: secret }),
      inspect(secret),
      inspect({ credentials: { password: secret } }, { depth: 5, showHidden: true }),
      format("%s %o %O %j", secret, secret, { secret }, { secret }),
    ];
    for (const form of forms) {
      expect(form).toContain(SENSITIVE);
      expect(form).not.toContain("hunter2");
    }
    expect(JSON.stringify({ password: secret })).toBe('{"password":"(sensitive)"}');
    expect(Object.keys(secret)).toEqual([]);
  });

  it("gives its value only to reveal(), and says whether it is empty without showing it", () => {
    expect(secret.reveal()).toBe("hunter2-value");
    expect(secret.empty).toBe(false);
    expect(new Secret("").empty).toBe(true);
    expect(isSecret(secret)).toBe(true);
    expect(isSecret("hunter2-value")).toBe(false);
    expect(JSON.stringify(structuredClone({ secret }))).not.toContain("hunter2");
  });

  it("scrubs the values from free text, longest first and URL-encoded too, leaving every other byte", () => {
    const short = new Secret("abc");
    const long = new Secret("abc/def+1");
    const text = "x abc/def+1 y abc z abc%2Fdef%2B1 w sha256:0123abc4567";
    expect(Secret.scrub(text, [short, long])).toBe(`x ${SENSITIVE} y ${SENSITIVE} z ${SENSITIVE} w sha256:0123${SENSITIVE}4567`);
    expect(Secret.scrub("nothing to see: 127.0.0.1:5001/team/sub/app", [short, long, new Secret("")])).toBe("nothing to see: 127.0.0.1:5001/team/sub/app");
  });

  it("collects every secret of a structure", () => {
    const a = new Secret("a");
    const b = new Secret("b");
    expect(collectSecrets({ x: [a, { y: b }], z: "plain", n: 1, nil: null })).toEqual([a, b]);
  });
});
