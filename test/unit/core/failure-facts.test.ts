import { describe, expect, it } from "vitest";
import { AirgapError, failureFacts } from "../../../src/core/errors.js";

class WithFacts extends AirgapError {
  readonly status = 429;
  readonly errors = [{ code: "TOOMANYREQUESTS", message: "slow down" }];
  readonly temporary = true;
  constructor() {
    super("REGISTRY_HTTP", "PUT …: 429 Too Many Requests");
  }
}

describe("failure facts", () => {
  it("keep the status, server codes and temporariness, also through a wrapping error, and the outer message and code", () => {
    const wrapped = new AirgapError("COPY_FAILED", "push of sha256:abc failed on the target: PUT …: 429", { cause: new WithFacts() });
    expect(failureFacts(wrapped)).toEqual({ message: "push of sha256:abc failed on the target: PUT …: 429", code: "COPY_FAILED", status: 429, serverCodes: ["TOOMANYREQUESTS"], temporary: true });
    expect(failureFacts(new Error("plain"))).toEqual({ message: "plain" });
    expect(failureFacts("text")).toEqual({ message: "text" });
  });
});
