/**
 * `${VAR}` and `${VAR:-default}` expansion in airgap.yaml strings. Values read
 * from the environment are secrets by default: the caller records where they
 * landed so that nothing prints them.
 */

/** One expansion problem, with the character offset inside the string. */
export interface ExpansionProblem {
  readonly message: string;
  readonly offset: number;
}

/** The outcome of expanding one string. */
export interface Expansion {
  readonly value: string;
  /** True when any part of the value came from the environment (or a default inside `${}`). */
  readonly fromEnvironment: boolean;
  /** The non-empty values substituted from the environment, to redact wherever they might appear. */
  readonly secrets: readonly string[];
  readonly problems: readonly ExpansionProblem[];
}

const VARIABLE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Expands `${NAME}`, `${NAME:-default}` (default when unset or empty) and
 * `${NAME-default}` (default when unset). `$$` is a literal `$`. A `$` not
 * followed by `{` or `$` stays as it is, so passwords and regexes survive.
 */
export function expandEnvironment(input: string, env: Readonly<Record<string, string | undefined>>): Expansion {
  if (!input.includes("$")) return { value: input, fromEnvironment: false, secrets: [], problems: [] };
  let out = "";
  let fromEnvironment = false;
  const secrets: string[] = [];
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
      fromEnvironment = true;
      const value = env[name];
      let resolved: string | undefined;
      if (operator === ":-") resolved = value === undefined || value === "" ? fallback : value;
      else if (operator === "-") resolved = value === undefined ? fallback : value;
      else resolved = value;
      if (resolved === undefined) {
        problems.push({ message: `environment variable ${name} is not set (write \${${name}:-} to allow it to be empty)`, offset: i });
      } else {
        out += resolved;
        if (resolved !== "") secrets.push(resolved);
      }
    }
    i = close + 1;
  }
  return { value: out, fromEnvironment, secrets, problems };
}
