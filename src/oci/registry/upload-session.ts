/**
 * Upload sessions (distribution-spec §Pushing blobs): opening one with POST,
 * cross-repository mounts that may open one instead (202), asking where an
 * interrupted session stands (`GET <location>` → `Range`), and cancelling.
 *
 * Upload Locations on another host are followed without the registry's
 * credentials (the spec allows offloading uploads; such URLs carry their own
 * authorisation); a Location that downgrades https to http is refused.
 */
import { redactUrl } from "../../core/redact.js";
import type { RegistryConnection } from "./connection.js";
import { RegistryError, isTemporaryStatus } from "./errors.js";
import { resolveLocation, withQuery } from "./location.js";
import type { CallSignal } from "./manifests.js";
import { checkDigest, checkRepository } from "./names.js";
import { discard, responseError } from "./response.js";
import { mountScopes, repositoryScope } from "./scope.js";
import { headerValue, type TransportResponse } from "./transport.js";

/** An open upload session (the registry's Location and chunk rules). */
export interface UploadSession {
  readonly repository: string;
  readonly location: URL;
  /** `OCI-Chunk-Min-Length` of the POST answer. */
  readonly minChunkLength: number | undefined;
}

/** Outcome of a mount request: mounted, or declined with the upload session the registry opened instead (202). */
export type MountResult = { readonly mounted: true } | { readonly mounted: false; readonly session: UploadSession | undefined };

/** Resolves an upload Location, refusing a downgrade from https to plain http. */
export function nextUploadLocation(conn: RegistryConnection, res: TransportResponse, action: string): URL {
  const location = headerValue(res.headers, "location");
  if (location === undefined || location.trim() === "") {
    throw new RegistryError({
      code: "REGISTRY_PROTOCOL",
      message: `${action}: ${conn.registry} answered ${res.status} without a Location header`,
      registry: conn.registry,
      method: "POST",
      url: redactUrl(res.url),
      status: res.status,
      temporary: false,
    });
  }
  const url = resolveLocation(location, res.url);
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new RegistryError({ code: "REGISTRY_PROTOCOL", message: `${action}: upload Location with unsupported scheme ${url.protocol}`, registry: conn.registry, method: "POST", url: redactUrl(res.url), status: res.status, temporary: false });
  }
  if (conn.baseUrl.protocol === "https:" && url.protocol === "http:") {
    throw new RegistryError({
      code: "REGISTRY_PROTOCOL",
      message: `${action}: ${conn.registry} sent an upload Location over plain http (${redactUrl(url)}); refusing to send content unencrypted`,
      registry: conn.registry,
      method: "POST",
      url: redactUrl(res.url),
      status: res.status,
      temporary: false,
    });
  }
  if (url.origin !== conn.baseUrl.origin) {
    conn.logger.log("debug", "upload continues on another host; registry credentials are not sent there", { registry: conn.registry, location: redactUrl(url) });
  }
  return url;
}

function sessionFrom(conn: RegistryConnection, repository: string, res: TransportResponse, action: string): UploadSession {
  const min = Number(headerValue(res.headers, "oci-chunk-min-length"));
  return { repository, location: nextUploadLocation(conn, res, action), minChunkLength: Number.isInteger(min) && min > 0 ? min : undefined };
}

/** Opens an upload session (`POST /v2/<name>/blobs/uploads/`). */
export async function startUpload(conn: RegistryConnection, repository: string, options: CallSignal = {}): Promise<UploadSession> {
  checkRepository(repository);
  const action = `start upload to ${repository}`;
  const res = await conn.send({
    method: "POST",
    url: `/v2/${repository}/blobs/uploads/`,
    headers: { "content-length": "0" },
    scopes: [repositoryScope(repository, ["pull", "push"])],
    ...(options.signal !== undefined ? { signal: options.signal } : {}),
  });
  if (res.status !== 202) throw await responseError(res, { registry: conn.registry, method: "POST", action });
  await discard(res);
  return sessionFrom(conn, repository, res, action);
}

/** Cancels an upload session; failures are ignored (distribution needs a `delete` scope that registries rarely grant). */
export async function cancelUpload(conn: RegistryConnection, session: UploadSession): Promise<void> {
  try {
    const res = await conn.send({ method: "DELETE", url: session.location, scopes: [repositoryScope(session.repository, ["pull", "push"])], retry: false });
    await discard(res);
  } catch {
    // Best effort: an abandoned session expires on the registry.
  }
}

/**
 * Asks the registry to mount a blob from another repository
 * (`POST …/uploads/?mount=<digest>&from=<repo>`). 201 means mounted; 202
 * means declined, with an upload session the caller may use or cancel.
 * A refusal (no pull access to the source, unknown source) is "not mounted",
 * since an upload still works; only server failures throw.
 */
export async function mountBlob(conn: RegistryConnection, repository: string, digest: string, fromRepository: string, options: CallSignal = {}): Promise<MountResult> {
  checkRepository(repository);
  checkRepository(fromRepository);
  const checked = checkDigest(digest);
  const action = `mount ${checked} from ${fromRepository} into ${repository}`;
  let res: TransportResponse;
  try {
    res = await conn.send({
      method: "POST",
      url: withQuery(conn.url(`/v2/${repository}/blobs/uploads/`), { mount: checked, from: fromRepository }),
      headers: { "content-length": "0" },
      scopes: mountScopes(repository, fromRepository),
      ...(options.signal !== undefined ? { signal: options.signal } : {}),
    });
  } catch (error) {
    if (error instanceof RegistryError && error.code === "REGISTRY_AUTH") {
      conn.logger.log("debug", "mount refused by authorization; falling back to upload", { registry: conn.registry, repository, from: fromRepository });
      return { mounted: false, session: undefined };
    }
    throw error;
  }
  if (res.status === 201) {
    await discard(res);
    return { mounted: true };
  }
  if (res.status === 202) {
    await discard(res);
    return { mounted: false, session: sessionFrom(conn, repository, res, action) };
  }
  if (isTemporaryStatus(res.status)) throw await responseError(res, { registry: conn.registry, method: "POST", action });
  const error = await responseError(res, { registry: conn.registry, method: "POST", action });
  conn.logger.log("debug", "mount declined; falling back to upload", { registry: conn.registry, repository, from: fromRepository, status: res.status, error: error.message });
  return { mounted: false, session: undefined };
}


/** Where an interrupted session stands: the Location to continue at and the next byte the registry expects. */
export interface UploadStatus {
  readonly location: URL;
  readonly nextOffset: number;
}

/**
 * Asks the registry where a session stands (`GET <location>` → 204 +
 * `Range: 0-<end>`). Undefined when the session is gone (404): the upload
 * must start again on a new one.
 */
export async function uploadStatus(conn: RegistryConnection, session: UploadSession, options: CallSignal = {}): Promise<UploadStatus | undefined> {
  const res = await conn.send({ method: "GET", url: session.location, scopes: [repositoryScope(session.repository, ["pull", "push"])], ...(options.signal !== undefined ? { signal: options.signal } : {}) });
  if (res.status === 404) {
    await discard(res);
    return undefined;
  }
  if (res.status !== 204 && res.status !== 200) throw await responseError(res, { registry: conn.registry, method: "GET", action: `check upload status in ${session.repository}` });
  await discard(res);
  const range = /(\d+)-(\d+)/.exec(headerValue(res.headers, "range") ?? "");
  const end = range ? Number(range[2]) : -1;
  const location = headerValue(res.headers, "location") !== undefined ? nextUploadLocation(conn, res, "upload status") : session.location;
  // distribution answers "0-0" for an empty session too; treat it as nothing received.
  return { location, nextOffset: end <= 0 ? 0 : end + 1 };
}
