/**
 * The little TOML the renderers write: basic strings, booleans, string
 * arrays. Written by hand because the shapes are fixed and tiny; every
 * rendered file is parsed by a real TOML parser in the tests.
 */

/** A TOML basic string: `"`, `\` and every control character escaped (TOML 1.0 §String). */
export function tomlString(value: string): string {
  let out = '"';
  for (const ch of value) {
    const code = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === "\\") out += "\\\\";
    else if (ch === "\n") out += "\\n";
    else if (ch === "\t") out += "\\t";
    else if (ch === "\r") out += "\\r";
    else if (code < 0x20 || code === 0x7f) out += `\\u${code.toString(16).padStart(4, "0")}`;
    else out += ch;
  }
  return `${out}"`;
}

/** A TOML array of strings on one line. */
export function tomlStringArray(values: readonly string[]): string {
  return `[${values.map(tomlString).join(", ")}]`;
}

/** `key = value` for a string, boolean or string array. */
export function tomlPair(key: string, value: string | boolean | readonly string[]): string {
  const rendered = typeof value === "boolean" ? String(value) : typeof value === "string" ? tomlString(value) : tomlStringArray(value);
  return `${key} = ${rendered}`;
}
