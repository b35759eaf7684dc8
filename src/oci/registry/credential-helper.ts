/**
 * Runs a docker credential helper (`docker-credential-<name> get`, the
 * docker-credential-helpers protocol): the server URL on stdin, JSON
 * `{ServerURL, Username, Secret}` on stdout.
 */
import { spawn } from "node:child_process";
import { AirgapError } from "../../core/errors.js";
import type { Credentials } from "./credentials-types.js";

/** Credentials could not be read: an unreadable config file, a missing or failing credential helper. */
export class CredentialsError extends AirgapError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("CREDENTIALS", message, options);
  }
}

/** How long a helper may take (a keychain prompt would hang a CI run forever otherwise). */
const HELPER_TIMEOUT_MS = 30_000;

/** The helper's "nothing stored for this server" answer (docker-credential-helpers `credentials.NewErrCredentialsNotFound`). */
const NOT_FOUND = /credentials not found|no credentials|not found in native keychain|item could not be found/i;

/**
 * Asks `docker-credential-<helper>` for the credentials of `serverUrl`.
 * Returns undefined when the helper has none; throws {@link CredentialsError}
 * when the helper is not installed or fails. The secret never appears in an
 * error message.
 */
export async function runCredentialHelper(
  helper: string,
  serverUrl: string,
  options: { readonly env?: Readonly<Record<string, string | undefined>>; readonly configuredIn?: string } = {},
): Promise<Credentials | undefined> {
  if (!/^[A-Za-z0-9._-]+$/.test(helper)) throw new CredentialsError(`invalid credential helper name "${helper}"${where(options.configuredIn)}`);
  const program = `docker-credential-${helper}`;
  const env = Object.fromEntries(Object.entries(options.env ?? process.env).filter((e): e is [string, string] => e[1] !== undefined));
  const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(program, ["get"], { env, stdio: ["pipe", "pipe", "pipe"], timeout: HELPER_TIMEOUT_MS });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") {
        reject(new CredentialsError(`credential helper ${program} is not installed or not on PATH${where(options.configuredIn)}; install it or remove it from the configuration`, { cause: error }));
      } else {
        reject(new CredentialsError(`credential helper ${program} could not be run: ${error.message}`, { cause: error }));
      }
    });
    child.stdin.on("error", () => undefined);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(`${serverUrl}\n`);
  });
  const output = `${result.stdout}\n${result.stderr}`;
  if (result.code !== 0) {
    if (NOT_FOUND.test(output)) return undefined;
    const message = result.stderr.trim() || result.stdout.trim() || `exit code ${result.code ?? "unknown (killed after a timeout?)"}`;
    throw new CredentialsError(`credential helper ${program} failed for ${serverUrl}: ${message.slice(0, 300)}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(result.stdout);
  } catch {
    throw new CredentialsError(`credential helper ${program} printed something that is not JSON for ${serverUrl}`);
  }
  const username = (parsed as { Username?: unknown }).Username;
  const secret = (parsed as { Secret?: unknown }).Secret;
  if (typeof secret !== "string" || secret === "") return undefined;
  if (username === "<token>") return { identityToken: secret };
  if (typeof username !== "string" || username === "") return undefined;
  return { username, password: secret };
}

function where(configuredIn: string | undefined): string {
  return configuredIn !== undefined ? ` (configured in ${configuredIn})` : "";
}
