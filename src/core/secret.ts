/**
 * A secret value: a password or token from a field the schema marks secret
 * (`writeOnly`). Like Terraform's sensitive marks, a value is secret because
 * of where it came from, never because of what it looks like; everything
 * else, `${VAR}` expansions included, is ordinary data.
 *
 * Every way JavaScript turns the object into text (String(), a template,
 * `+`, JSON.stringify, util.inspect and so console.log) prints
 * `(sensitive)`. The value itself comes out only through {@link Secret.reveal},
 * called where a credential is put on the wire (src/sources/credentials.ts),
 * and {@link Secret.scrub} takes it out of free text (an echoing registry's
 * error message) at the CLI's output boundary without handing it out.
 */

/** What airgap prints in place of a secret value. */
export const SENSITIVE = "(sensitive)";

const INSPECT = Symbol.for("nodejs.util.inspect.custom");

/** A value that prints as `(sensitive)`; see the module comment. */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
    Object.freeze(this);
  }

  /** The value. Call it only to send the credential; never to print or store it. */
  reveal(): string {
    return this.#value;
  }

  /** True for an empty value (`${PASSWORD:-}` unset). */
  get empty(): boolean {
    return this.#value === "";
  }

  /**
   * Free text with every occurrence of the secrets' values (as they are and
   * URL-encoded) replaced by `(sensitive)`, longest first so that a secret
   * containing another is never half replaced. For messages and log lines
   * only: data (references, digests, plans, locks) is never scrubbed, it
   * holds no secret by construction.
   */
  static scrub(text: string, secrets: Iterable<Secret>): string {
    const values = new Set<string>();
    for (const secret of secrets) {
      if (secret.#value === "") continue;
      values.add(secret.#value);
      values.add(encodeURIComponent(secret.#value));
    }
    let out = text;
    for (const value of [...values].sort((a, b) => b.length - a.length)) if (out.includes(value)) out = out.split(value).join(SENSITIVE);
    return out;
  }

  toString(): string {
    return SENSITIVE;
  }

  toJSON(): string {
    return SENSITIVE;
  }

  [Symbol.toPrimitive](): string {
    return SENSITIVE;
  }

  [INSPECT](): string {
    return SENSITIVE;
  }
}

/** True for a {@link Secret}. */
export function isSecret(value: unknown): value is Secret {
  return value instanceof Secret;
}

/** Every secret inside a plain structure (objects and arrays), for the output boundary to scrub free text. */
export function collectSecrets(value: unknown, out: Secret[] = []): Secret[] {
  if (value instanceof Secret) out.push(value);
  else if (Array.isArray(value)) for (const item of value) collectSecrets(item, out);
  else if (value !== null && typeof value === "object") for (const item of Object.values(value)) collectSecrets(item, out);
  return out;
}
