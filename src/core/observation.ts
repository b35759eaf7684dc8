/**
 * What observation found for one target object. Defined once: providers
 * return it (the sdk re-exports it), observe/ collects it, the diff reads it.
 * Absence is an answer, not an error; anything that is neither present nor
 * absent is `unknown` with the failure's facts, and stops the plan.
 */
import type { FailureFacts } from "./errors.js";

/** The object exists; `digest` is what it holds (a manifest digest, or `sha256:<hex>` of a file). */
export interface PresentObservation {
  readonly state: "present";
  readonly digest: string;
  /** The target refuses to move this tag (Harbor immutability rules, ECR IMMUTABLE repositories). */
  readonly immutable?: boolean;
}

/** The object does not exist. */
export interface AbsentObservation {
  readonly state: "absent";
}

/** The object could not be observed: planning over it would be a guess. */
export interface UnknownObservation {
  readonly state: "unknown";
  readonly error: FailureFacts;
}

/** Any observation. */
export type Observation = PresentObservation | AbsentObservation | UnknownObservation;
