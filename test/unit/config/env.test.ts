import { describe, expect, it } from "vitest";
import { expandEnvironment } from "../../../src/config/env.js";

describe("${VAR} expansion", () => {
  const env = { USER: "robot", EMPTY: "" };

  it("expands variables and defaults", () => {
    expect(expandEnvironment("${USER}", env).value).toBe("robot");
    expect(expandEnvironment("u-${USER}-x", env).value).toBe("u-robot-x");
    expect(expandEnvironment("${MISSING:-dflt}", env).value).toBe("dflt");
    expect(expandEnvironment("${EMPTY:-dflt}", env).value).toBe("dflt");
    expect(expandEnvironment("${EMPTY-dflt}", env).value).toBe("");
    expect(expandEnvironment("${MISSING:-}", env).value).toBe("");
  });

  it("returns what a variable holds as plain data: nothing about the value says secret", () => {
    expect(expandEnvironment("${USER}", env)).toEqual({ value: "robot", unset: [], problems: [] });
    expect(expandEnvironment("plain", env)).toEqual({ value: "plain", unset: [], problems: [] });
  });

  it("keeps lone dollars and turns $$ into $", () => {
    expect(expandEnvironment("pa$word", env).value).toBe("pa$word");
    expect(expandEnvironment("$${USER}", env).value).toBe("${USER}");
    expect(expandEnvironment("^v[0-9]+$", env).value).toBe("^v[0-9]+$");
  });

  it("reports unset variables and malformed references with their offsets", () => {
    const unset = expandEnvironment("x${NOPE}y${USER}", env);
    expect(unset).toEqual({ value: "xyrobot", unset: [{ name: "NOPE", offset: 1 }], problems: [] });
    expect(expandEnvironment("${1X}", env).problems[0]?.message).toMatch(/not a variable reference/);
    expect(expandEnvironment("${USER", env).problems[0]?.message).toMatch(/unterminated/);
  });
});
