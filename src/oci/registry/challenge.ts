/**
 * `WWW-Authenticate` parsing (RFC 9110 §11.6.1, RFC 6750 §3): which scheme a
 * registry wants and, for Bearer, where to get a token for which scope.
 */

/** One challenge: a scheme (lowercased) and its parameters (names lowercased, values unquoted). */
export interface AuthChallenge {
  readonly scheme: string;
  readonly params: Readonly<Record<string, string>>;
}

/** The parameters of a Bearer challenge that the token flow needs. */
export interface BearerChallenge {
  readonly realm: string;
  readonly service: string | undefined;
  /** Space-separated scopes of the `scope` parameter, split. */
  readonly scopes: readonly string[];
  /** `insufficient_scope`, `invalid_token`, … when the registry said why. */
  readonly error: string | undefined;
}

const TOKEN = /[!#$%&'*+\-.^_`|~0-9A-Za-z]+/y;

/**
 * Parses one or more `WWW-Authenticate` header values into challenges, in
 * order. Quoted values may contain commas and escaped quotes
 * (`scope="repository:a:pull,push"`); several challenges may share one
 * header line (`Bearer realm="…", Basic realm="…"`).
 */
export function parseWwwAuthenticate(value: string | readonly string[] | undefined): AuthChallenge[] {
  if (value === undefined) return [];
  const lines = typeof value === "string" ? [value] : value;
  const out: AuthChallenge[] = [];
  for (const line of lines) out.push(...parseLine(line));
  return out;
}

function parseLine(text: string): AuthChallenge[] {
  const challenges: { scheme: string; params: Record<string, string> }[] = [];
  let i = 0;
  const skipSpace = (): void => {
    while (i < text.length && /[\s]/.test(text[i] ?? "")) i++;
  };
  const readToken = (): string | undefined => {
    TOKEN.lastIndex = i;
    const m = TOKEN.exec(text);
    if (!m) return undefined;
    i = TOKEN.lastIndex;
    return m[0];
  };
  const readQuoted = (): string => {
    // text[i] is the opening quote
    i++;
    let out = "";
    while (i < text.length && text[i] !== '"') {
      if (text[i] === "\\" && i + 1 < text.length) i++;
      out += text[i];
      i++;
    }
    i++; // closing quote
    return out;
  };

  let current: { scheme: string; params: Record<string, string> } | undefined;
  while (i < text.length) {
    skipSpace();
    if (text[i] === ",") {
      i++;
      continue;
    }
    const start = i;
    const word = readToken();
    if (word === undefined) {
      i++; // skip an unexpected character
      continue;
    }
    skipSpace();
    if (text[i] === "=" && current !== undefined) {
      // auth-param of the current challenge (token68 values end in '=' too, handled below)
      let j = i;
      while (text[j] === "=") j++;
      const equals = j - i;
      i = j;
      skipSpace();
      if (equals > 1 || i >= text.length || text[i] === ",") {
        // token68 (e.g. base64 with padding): keep it as the "token68" param
        current.params.token68 = text.slice(start, j).replace(/\s+/g, "");
        continue;
      }
      const name = word.toLowerCase();
      const paramValue = text[i] === '"' ? readQuoted() : (readToken() ?? "");
      current.params[name] = paramValue;
      continue;
    }
    // A new challenge: the word is its scheme.
    current = { scheme: word.toLowerCase(), params: {} };
    challenges.push(current);
    // A token68 directly after the scheme (`Negotiate abc==`)
    const save = i;
    const maybe = readToken();
    if (maybe !== undefined) {
      skipSpace();
      if (text[i] === "=") {
        i = save; // it was a param name; let the loop read it
      } else if (i >= text.length || text[i] === ",") {
        current.params.token68 = maybe;
      } else {
        i = save;
      }
    }
  }
  return challenges;
}

/** The Bearer challenge among several, with its scopes split; undefined if there is none or it has no realm. */
export function bearerChallenge(challenges: readonly AuthChallenge[]): BearerChallenge | undefined {
  const bearer = challenges.find((c) => c.scheme === "bearer");
  const realm = bearer?.params.realm;
  if (bearer === undefined || realm === undefined || realm === "") return undefined;
  const scope = bearer.params.scope;
  return {
    realm,
    service: bearer.params.service,
    scopes: scope === undefined ? [] : scope.split(" ").filter((s) => s !== ""),
    error: bearer.params.error,
  };
}

/** True when one of the challenges is `Basic`. */
export function hasBasicChallenge(challenges: readonly AuthChallenge[]): boolean {
  return challenges.some((c) => c.scheme === "basic");
}
