/**
 * No credentials inside URLs. A URL is data: it is written to the lock, the
 * plan, the bundle's copy of the config and into messages exactly as it is,
 * so a `user:password@` in it would travel everywhere. Credentials belong in
 * a `credentials` block, whose password is a secret field.
 */
import { hasUserinfo, hideUserinfo } from "../../core/redact.js";
import { isSecret } from "../../core/secret.js";
import { hostProblem, urlProblem } from "../strict-values.js";
import { entries, type Rule } from "./context.js";

type Path = readonly (string | number)[];

/** Where the credentials for the URL at `path` belong. */
function credentialsAdvice(path: Path): string {
  const [section, name, list] = path;
  if ((section === "sources" || section === "registries") && typeof name === "string") {
    return `give them in \`${section}.${name}.credentials\` (username, and password: \${VAR})`;
  }
  if (section === "bundles" && list === "files") return "declare an `http` source for the base URL with a `credentials` block, and name it in the file's `source:`";
  if (section === "bundles" && list === "charts") return "declare a source for the chart's host (`type: registry` or `helm`) with a `credentials` block";
  return "give them in the `credentials` block of a source or registry";
}

/** Every string of the config with userinfo in a URL is an error at that string. */
export const noCredentialsInUrls: Rule = (ctx) => {
  const walk = (value: unknown, path: Path): void => {
    if (isSecret(value)) return;
    if (typeof value === "string") {
      if (!hasUserinfo(value)) return;
      ctx.report("error", path, `"${hideUserinfo(value)}" holds credentials before "@": a URL is written as it is to the lock, plans and messages, so it must not carry them; ${credentialsAdvice(path)}`);
      return;
    }
    if (Array.isArray(value)) value.forEach((item, i) => walk(item, [...path, i]));
    else if (value !== null && typeof value === "object") for (const [key, item] of entries(value as Record<string, unknown>)) if (key !== "description") walk(item, [...path, key]);
  };
  walk(ctx.config, []);
};

/** Keys whose value is an address: an absolute URL, or `host[:port]` when it has no scheme. */
const ADDRESS_KEYS = new Set(["url", "endpoint", "host"]);

/**
 * Every address parses as what it claims to be, with a port from 1 to 65535.
 * The schema's patterns see the shape only; `https://host:99999` would fail
 * at the first request instead of at validate.
 */
export const wellFormedAddresses: Rule = (ctx) => {
  const walk = (value: unknown, path: Path): void => {
    if (isSecret(value)) return;
    if (typeof value === "string") {
      const key = path.at(-1);
      if (typeof key !== "string" || !ADDRESS_KEYS.has(key)) return;
      const absolute = /^[a-z][a-z0-9+.-]*:\/\//i.test(value);
      // A file `url` without a scheme is relative to its source's base URL (checked with the file).
      // A URL with credentials is refused above, without repeating it.
      if ((!absolute && key === "url") || hasUserinfo(value)) return;
      const problem = absolute ? urlProblem(value) : hostProblem(value);
      if (problem) ctx.report("error", path, problem);
      return;
    }
    if (Array.isArray(value)) value.forEach((item, i) => walk(item, [...path, i]));
    else if (value !== null && typeof value === "object") for (const [key, item] of entries(value as Record<string, unknown>)) if (key !== "description") walk(item, [...path, key]);
  };
  walk(ctx.config, []);
};
