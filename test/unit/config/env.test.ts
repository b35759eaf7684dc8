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

  it("marks expanded values as coming from the environment and lists them as secrets", () => {
    const e = expandEnvironment("${USER}", env);
    expect(e.fromEnvironment).toBe(true);
    expect(e.secrets).toEqual(["robot"]);
    expect(expandEnvironment("plain", env).fromEnvironment).toBe(false);
  });

  it("keeps lone dollars and turns $$ into $", () => {
    expect(expandEnvironment("pa$word", env).value).toBe("pa$word");
    expect(expandEnvironment("$${USER}", env).value).toBe("${USER}");
    expect(expandEnvironment("^v[0-9]+$", env).value).toBe("^v[0-9]+$");
  });

  it("reports unset variables and malformed references with their offsets", () => {
    expect(expandEnvironment("x${NOPE}", env).problems).toEqual([{ message: "environment variable NOPE is not set (write ${NOPE:-} to allow it to be empty)", offset: 1 }]);
    expect(expandEnvironment("${1X}", env).problems[0]?.message).toMatch(/not a variable reference/);
    expect(expandEnvironment("${USER", env).problems[0]?.message).toMatch(/unterminated/);
  });
});
