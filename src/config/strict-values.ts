/**
 * Strict readings of the values airgap hands to a library that would read
 * them loosely. semver skips words it does not understand (`>=1.0 and <2`
 * is read as `>=1.0 <2`), picomatch takes an unclosed `[` as a literal,
 * and `new URL` takes port 0. Each function here returns the problem in
 * words, or undefined when the value means exactly what it says, so that
 * validate refuses what would otherwise be read as something else. Pure.
 */
import semver from "semver";

/** One comparator of a range, as node-semver's grammar writes it (with the `v` and `x` forms it accepts). */
const PART = "(?:0|[1-9][0-9]*|[xX*])";
const IDENT = "[0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*";
const VERSION = `v?${PART}(?:\\.${PART}){0,2}(?:-${IDENT})?(?:\\+${IDENT})?`;
const COMPARATOR = new RegExp(`^(?:<=|>=|<|>|=|~>|~|\\^)?${VERSION}$`);
const BARE_VERSION = new RegExp(`^${VERSION}$`);

const EXAMPLES = `(examples: ">=1.0 <2", "1.25.x", "~1.2")`;

/**
 * The problem with a semver range, or undefined. Every word of the range must
 * be a comparator, a hyphen range (`1.2 - 1.4`) or `||`: the semver library
 * skips what it cannot read, which would widen or change the selection.
 */
export function rangeProblem(range: string): string | undefined {
  if (range.trim() === "") return `a semver range must not be empty ${EXAMPLES}`;
  if (semver.validRange(range, { loose: true }) === null) return `invalid semver range "${range}" ${EXAMPLES}`;
  for (const alternative of range.split("||")) {
    const set = alternative.trim();
    if (set === "") return `"${range}" has an empty alternative around "||", which semver reads as "any version"; remove it`;
    const hyphen = /^(\S+)\s+-\s+(\S+)$/.exec(set);
    if (hyphen) {
      const bad = [hyphen[1]!, hyphen[2]!].find((v) => !BARE_VERSION.test(v));
      if (bad !== undefined) return `"${bad}" in "${range}" is not a version ${EXAMPLES}`;
      continue;
    }
    // ">= 1.2" is one comparator written with a space.
    const words = set.replace(/(<=|>=|<|>|=|~>|~|\^)\s+/g, "$1").split(/\s+/);
    const bad = words.find((word) => !COMPARATOR.test(word));
    if (bad !== undefined) return `"${bad}" in "${range}" is not a version or comparator; semver would skip it and read the range as something else ${EXAMPLES}`;
  }
  return undefined;
}

/** Characters of an OCI tag (distribution spec: `[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`). */
const TAG_CHAR = /[A-Za-z0-9_.-]/;

/**
 * The problem with a tag glob, or undefined. A glob that needs a character no
 * tag can hold (a `/`, a space, a `:`) or an unclosed `[`, which picomatch
 * reads as a literal `[`, matches nothing and would select no tags at all.
 */
export function globProblem(glob: string): string | undefined {
  if (glob.includes("/")) return `"${glob}" contains "/", which no tag contains, so it matches no tag (a glob selects tags of the image's repository)`;
  let brackets = false;
  const depth = { "{": 0, "(": 0 };
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i]!;
    if (brackets) {
      if (ch === "]") brackets = false;
      continue;
    }
    if (ch === "\\") {
      const next = glob[i + 1];
      if (next === undefined) return `"${glob}" ends in "\\", which escapes nothing`;
      if (!TAG_CHAR.test(next)) return `"${glob}" needs the character "${next}", which no tag contains, so it matches no tag`;
      i += 1;
      continue;
    }
    if (ch === "[") {
      if (!glob.includes("]", i + 2)) return `"${glob}" opens "[" without closing it, so it would match a literal "[", which no tag contains`;
      brackets = true;
      continue;
    }
    if (ch === "{" || ch === "(") depth[ch] += 1;
    else if (ch === "}" || ch === ")") {
      const open = ch === "}" ? "{" : "(";
      if (depth[open] === 0) return `"${glob}" closes "${ch}" that was never opened`;
      depth[open] -= 1;
    } else if (!TAG_CHAR.test(ch) && !"*?,|!@+".includes(ch)) {
      return `"${glob}" needs the character "${ch}", which no tag contains, so it matches no tag`;
    }
  }
  if (depth["{"] > 0 || depth["("] > 0) return `"${glob}" opens "${depth["{"] > 0 ? "{" : "("}" without closing it`;
  return undefined;
}

/**
 * The problem with a regular expression for tags, or undefined: it must
 * compile, and must not be written as a `/…/` literal (the slashes would be
 * part of the pattern, and no tag contains one).
 */
export function regexProblem(pattern: string): string | undefined {
  try {
    new RegExp(pattern);
  } catch (error) {
    return `invalid regular expression: ${(error as Error).message.replace(/^Invalid regular expression: /, "")}`;
  }
  if (/^\/.*\/[dgimsuvy]*$/.test(pattern) && pattern.length > 1) return `write the pattern without the surrounding slashes (${pattern.replace(/^\/|\/[dgimsuvy]*$/g, "")}): here they would be matched literally, and no tag contains "/"`;
  return undefined;
}

/** The explicit port of `host[:port]` or a URL, as written, or undefined. */
function writtenPort(address: string): string | undefined {
  const authority = address.replace(/^[a-z][a-z0-9+.-]*:\/\//i, "").split(/[/?#]/)[0] ?? "";
  return /^(?:\[[^\]]*\]|[^:]*):(\d*)$/.exec(authority)?.[1];
}

/** The problem with a port, or undefined. */
function portProblem(address: string): string | undefined {
  const port = writtenPort(address);
  if (port === undefined) return undefined;
  if (port === "") return `"${address}" has a ":" without a port number after it`;
  const value = Number(port);
  if (value < 1 || value > 65535) return `port ${port} in "${address}" is out of range: a port is 1 to 65535`;
  return undefined;
}

/** The problem with an absolute http(s) URL, or undefined: it parses, and its port is a port. */
export function urlProblem(url: string): string | undefined {
  const port = portProblem(url);
  if (port) return port;
  try {
    new URL(url);
  } catch {
    return `"${url}" is not a valid URL`;
  }
  return undefined;
}

/** The problem with a `host[:port]` (a registry host, a cluster endpoint), or undefined. */
export function hostProblem(host: string): string | undefined {
  const port = portProblem(host);
  if (port) return port;
  try {
    new URL(`https://${host}`);
  } catch {
    return `"${host}" is not a valid host name`;
  }
  return undefined;
}
