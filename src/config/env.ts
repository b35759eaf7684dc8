/**
 * `${VAR}` and `${VAR:-default}` expansion in airgap.yaml strings. What a
 * variable holds is ordinary data: whether a value is secret depends on the
 * field it fills (config/secret-fields.ts), never on where it came from.
 */

/** One malformed reference, with the character offset inside the string. */
export interface ExpansionProblem {
  readonly message: string;
  readonly offset: number;
}

/** A variable without a value (and without a default), with the offset of its `${`. */
export interface UnsetVariable {
  readonly name: string;
  readonly offset: number;
}

/** The outcome of expanding one string. */
export interface Expansion {
  /** The expanded text; an unset variable contributes nothing (the value is then unknown, see `unset`). */
  readonly value: string;
  /** Variables the text needs that have no value: the value is not known until they are set. */
  readonly unset: readonly UnsetVariable[];
  readonly problems: readonly ExpansionProblem[];
}

/** The message for an unset variable; `where` says what needs it. */
export function unsetMessage(name: string): string {
  return `environment variable ${name} is not set (write \${${name}:-} to allow it to be empty)`;
}

const VARIABLE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Expands `${NAME}`, `${NAME:-default}` (default when unset or empty) and
 * `${NAME-default}` (default when unset). `$$` is a literal `$`. A `$` not
 * followed by `{` or `$` stays as it is, so passwords and regexes survive.
 */
export function expandEnvironment(input: string, env: Readonly<Record<string, string | undefined>>): Expansion {
  if (!input.includes("$")) return { value: input, unset: [], problems: [] };
  let out = "";
  const unset: UnsetVariable[] = [];
  const problems: ExpansionProblem[] = [];
  let i = 0;
  while (i < input.length) {
    const ch = input[i];
    if (ch !== "$") {
      out += ch;
      i += 1;
      continue;
    }
    const next = input[i + 1];
    if (next === "$") {
      out += "$";
      i += 2;
      continue;
    }
    if (next !== "{") {
      out += "$";
      i += 1;
      continue;
    }
    const close = input.indexOf("}", i + 2);
    if (close < 0) {
      problems.push({ message: `unterminated "\${" (write "$$" for a literal "$")`, offset: i });
      out += input.slice(i);
      break;
    }
    const body = input.slice(i + 2, close);
    const match = /^([^:-]*)(?:(:?-)(.*))?$/s.exec(body);
    const name = match?.[1] ?? "";
    const operator = match?.[2];
    const fallback = match?.[3] ?? "";
    if (!VARIABLE.test(name)) {
      problems.push({ message: `"\${${body}}" is not a variable reference (names are letters, digits and _)`, offset: i });
    } else {
      const value = env[name];
      let resolved: string | undefined;
      if (operator === ":-") resolved = value === undefined || value === "" ? fallback : value;
      else if (operator === "-") resolved = value === undefined ? fallback : value;
      else resolved = value;
      if (resolved === undefined) unset.push({ name, offset: i });
      else out += resolved;
    }
    i = close + 1;
  }
  return { value: out, unset, problems };
}
