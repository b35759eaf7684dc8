/**
 * A small AWS ECR written from its Smithy model (../shared/reference/aws-ecr/
 * ecr-2015-09-21.json) and the AWS JSON 1.1 protocol (providers-notes §3.8),
 * for exactly the operations airgap calls, plus the ECR behaviour of `/v2`
 * (providers-notes §3.1–§3.5). Three listeners on 127.0.0.1:
 * - the API: `POST /` with `X-Amz-Target: AmazonEC2ContainerRegistry_V20150921.<Op>`,
 *   `Content-Type: application/x-amz-json-1.1` and a well-formed SigV4
 *   `Authorization`; errors are `{"__type": "<Exception>", "message"}`;
 * - the registry: `/v2` with Basic `AWS:<token>` from GetAuthorizationToken
 *   (expired tokens refused with 403 as ECR does), repositories that must be
 *   created first (404 NAME_UNKNOWN), lowercase names only, IMMUTABLE
 *   repositories refusing to move a tag, PATCH answered 201 and parts under
 *   5 MiB refused, blob downloads redirected to a presigned "S3" URL;
 * - the "S3" host: serves blobs, and refuses a request that carries an
 *   `Authorization` header with S3's "Only one auth mechanism allowed".
 * The real distribution registry behind it stores the content.
 */
import { createHash, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { basicCredentials, createForwarder, manifestFacts, parseV2Path, readBody, record, sendJson, type WireRecord } from "./registry-proxy.js";
import type { RunningRegistry } from "./registry.js";

/** Options of {@link startEcr}. */
export interface StartEcrOptions {
  /** The real registry behind `/v2` (auth `none`). */
  readonly registry: RunningRegistry;
  readonly accountId?: string;
  readonly region?: string;
  /** The access key id whose SigV4 signatures are accepted (any other: UnrecognizedClientException). */
  readonly accessKeyId?: string;
  /** Lifetime of authorization tokens in seconds (ECR: 12 hours). */
  readonly tokenLifetimeS?: number;
  readonly clock?: () => number;
  /** Called when a `/v2` request has been answered (tests use it to move the clock mid-apply). */
  readonly onAnswered?: (request: WireRecord) => void;
}

/** An API call as the server saw it. */
export interface EcrApiCall {
  operation: string;
  input: Record<string, unknown>;
  readonly headers: IncomingMessage["headers"];
  status: number;
  errorType?: string;
}

/** A repository as the test sees it. */
export interface EcrRepositoryView {
  readonly name: string;
  readonly imageTagMutability: string;
  readonly scanOnPush: boolean;
  readonly encryptionType: string;
  readonly kmsKey?: string;
  /** Tag → digest. */
  readonly tags: ReadonlyMap<string, string>;
  readonly digests: readonly string[];
}

/** A running test ECR. */
export interface EcrServer {
  /** The API endpoint (`endpoint:` in airgap.yaml). */
  readonly apiUrl: string;
  /** The registry (`url:` in airgap.yaml). */
  readonly registryUrl: string;
  readonly registryHost: string;
  readonly s3Url: string;
  readonly accountId: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly apiCalls: EcrApiCall[];
  /** Every `/v2` request. */
  readonly requests: WireRecord[];
  /** Every request to the "S3" host. */
  readonly s3Requests: WireRecord[];
  /** Passwords issued by GetAuthorizationToken, in order. */
  readonly issuedTokens: string[];
  setTokenLifetime(seconds: number): void;
  repository(name: string): EcrRepositoryView | undefined;
  stop(): Promise<void>;
}

const TARGET_PREFIX = "AmazonEC2ContainerRegistry_V20150921.";
const REPOSITORY_NAME = /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
const SIGV4 = /^AWS4-HMAC-SHA256 Credential=([A-Z0-9]{16,128})\/(\d{8})\/([a-z0-9-]+)\/ecr\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;
const MIN_PART = 5 * 1024 * 1024;
const AMZ_JSON = "application/x-amz-json-1.1";

interface Image {
  readonly digest: string;
  readonly mediaType: string;
  readonly artifactMediaType: string | undefined;
  readonly size: number;
  readonly pushedAt: number;
  readonly tags: Set<string>;
}

interface Repository {
  readonly name: string;
  readonly createdAt: number;
  readonly imageTagMutability: string;
  readonly scanOnPush: boolean;
  readonly encryptionType: string;
  readonly kmsKey: string | undefined;
  readonly images: Map<string, Image>;
}

class AwsError extends Error {
  readonly type: string;
  readonly status: number;
  constructor(type: string, message: string, status = 400) {
    super(message);
    this.type = type;
    this.status = status;
  }
}

function ociError(res: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
  sendJson(res, status, { errors: [{ code, message }] }, headers);
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function page<T>(all: readonly T[], input: Record<string, unknown>, defaultSize: number): { items: T[]; nextToken?: string } {
  const max = input.maxResults;
  if (max !== undefined && (typeof max !== "number" || !Number.isInteger(max) || max < 1 || max > 1000)) {
    throw new AwsError("InvalidParameterException", "Invalid parameter at 'maxResults' failed to satisfy constraint: 'Member must have value between 1 and 1000'");
  }
  let start = 0;
  if (input.nextToken !== undefined) {
    const decoded = Number(Buffer.from(String(input.nextToken), "base64").toString("utf8"));
    if (!Number.isInteger(decoded) || decoded < 0) throw new AwsError("InvalidParameterException", "Invalid parameter at 'nextToken': invalid pagination token");
    start = decoded;
  }
  const size = (max as number | undefined) ?? defaultSize;
  const items = all.slice(start, start + size);
  return start + size < all.length ? { items, nextToken: Buffer.from(String(start + size)).toString("base64") } : { items };
}

/**
 * Starts the test ECR in front of `registry`.
 * Why: ECR cannot run here; the ECR provider must still be tested against
 * the wire protocol and quirks AWS documents, with real content behind it.
 */
export async function startEcr(options: StartEcrOptions): Promise<EcrServer> {
  const clock = options.clock ?? Date.now;
  const accountId = options.accountId ?? "123456789012";
  const region = options.region ?? "us-east-1";
  const accessKeyId = options.accessKeyId ?? `AKIA${randomBytes(8).toString("hex").toUpperCase()}`;
  const secretAccessKey = randomBytes(20).toString("base64");
  let tokenLifetimeS = options.tokenLifetimeS ?? 12 * 3600;
  const apiCalls: EcrApiCall[] = [];
  const requests: WireRecord[] = [];
  const s3Requests: WireRecord[] = [];
  const issuedTokens: string[] = [];
  const tokens = new Map<string, number>();
  const repositories = new Map<string, Repository>();
  const uploads = new Map<string, number[]>();
  let registryUrl = "";
  let s3Url = "";
  const forwarder = createForwarder(options.registry, () => registryUrl);

  const repositoryView = (r: Repository): Record<string, unknown> => ({
    repositoryArn: `arn:aws:ecr:${region}:${accountId}:repository/${r.name}`,
    registryId: accountId,
    repositoryName: r.name,
    repositoryUri: `${new URL(registryUrl).host}/${r.name}`,
    createdAt: r.createdAt / 1000,
    imageTagMutability: r.imageTagMutability,
    imageScanningConfiguration: { scanOnPush: r.scanOnPush },
    encryptionConfiguration: { encryptionType: r.encryptionType, ...(r.kmsKey ? { kmsKey: r.kmsKey } : {}) },
  });
  const requireRepository = (name: unknown): Repository => {
    if (typeof name !== "string") throw new AwsError("InvalidParameterException", "repositoryName is required");
    const repo = repositories.get(name);
    if (!repo) throw new AwsError("RepositoryNotFoundException", `The repository with name '${name}' does not exist in the registry with id '${accountId}'`);
    return repo;
  };

  const operations: Record<string, (input: Record<string, unknown>) => Promise<unknown> | unknown> = {
    GetAuthorizationToken(input) {
      const ids = input.registryIds as unknown[] | undefined;
      if (ids !== undefined && (!Array.isArray(ids) || ids.length < 1 || ids.length > 10 || ids.some((id) => id !== accountId))) {
        throw new AwsError("InvalidParameterException", "Invalid parameter at 'registryIds'");
      }
      const token = randomBytes(24).toString("base64url");
      const expiresAt = clock() + tokenLifetimeS * 1000;
      tokens.set(token, expiresAt);
      issuedTokens.push(token);
      return { authorizationData: [{ authorizationToken: Buffer.from(`AWS:${token}`).toString("base64"), expiresAt: expiresAt / 1000, proxyEndpoint: registryUrl }] };
    },
    CreateRepository(input) {
      const name = input.repositoryName;
      if (typeof name !== "string" || name.length < 2 || name.length > 256 || !REPOSITORY_NAME.test(name)) {
        throw new AwsError(
          "InvalidParameterException",
          `Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must satisfy regular expression '(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*' and length between 2 and 256'`,
        );
      }
      if (input.registryId !== undefined && input.registryId !== accountId) throw new AwsError("InvalidParameterException", "Invalid parameter at 'registryId'");
      const mutability = input.imageTagMutability ?? "MUTABLE";
      if (mutability !== "MUTABLE" && mutability !== "IMMUTABLE") throw new AwsError("InvalidParameterException", `Invalid parameter at 'imageTagMutability': ${String(mutability)}`);
      const encryption = (input.encryptionConfiguration as { encryptionType?: unknown; kmsKey?: unknown } | undefined) ?? { encryptionType: "AES256" };
      if (!["AES256", "KMS", "KMS_DSSE"].includes(String(encryption.encryptionType))) throw new AwsError("InvalidParameterException", "Invalid parameter at 'encryptionConfiguration.encryptionType'");
      if (encryption.kmsKey !== undefined && encryption.encryptionType === "AES256") throw new AwsError("InvalidParameterException", "KMS key can only be specified with KMS encryption");
      if (repositories.has(name)) throw new AwsError("RepositoryAlreadyExistsException", `The repository with name '${name}' already exists in the registry with id '${accountId}'`);
      const repo: Repository = {
        name,
        createdAt: clock(),
        imageTagMutability: mutability,
        scanOnPush: (input.imageScanningConfiguration as { scanOnPush?: boolean } | undefined)?.scanOnPush === true,
        encryptionType: String(encryption.encryptionType),
        kmsKey: typeof encryption.kmsKey === "string" ? encryption.kmsKey : undefined,
        images: new Map(),
      };
      repositories.set(name, repo);
      return { repository: repositoryView(repo) };
    },
    DescribeRepositories(input) {
      const names = input.repositoryNames as unknown[] | undefined;
      if (names !== undefined) {
        if (!Array.isArray(names) || names.length < 1 || names.length > 100) throw new AwsError("InvalidParameterException", "Invalid parameter at 'repositoryNames': 1 to 100 names");
        if (input.maxResults !== undefined) throw new AwsError("InvalidParameterException", "Invalid parameter: maxResults cannot be provided with repositoryNames");
        return { repositories: names.map((n) => repositoryView(requireRepository(n))) };
      }
      const all = [...repositories.values()].sort((a, b) => a.name.localeCompare(b.name)).map(repositoryView);
      const { items, nextToken } = page(all, input, 100);
      return { repositories: items, ...(nextToken ? { nextToken } : {}) };
    },
    DescribeImages(input) {
      const repo = requireRepository(input.repositoryName);
      const ids = input.imageIds as { imageDigest?: string; imageTag?: string }[] | undefined;
      const detail = (image: Image): Record<string, unknown> => ({
        registryId: accountId,
        repositoryName: repo.name,
        imageDigest: image.digest,
        ...(image.tags.size > 0 ? { imageTags: [...image.tags].sort() } : {}),
        imageSizeInBytes: image.size,
        imagePushedAt: image.pushedAt / 1000,
        imageManifestMediaType: image.mediaType,
        ...(image.artifactMediaType ? { artifactMediaType: image.artifactMediaType } : {}),
      });
      if (ids !== undefined) {
        if (input.maxResults !== undefined) throw new AwsError("InvalidParameterException", "Invalid parameter: maxResults cannot be provided with imageIds");
        return {
          imageDetails: ids.map((id) => {
            const image = [...repo.images.values()].find((i) => i.digest === id.imageDigest || (id.imageTag !== undefined && i.tags.has(id.imageTag)));
            if (!image) throw new AwsError("ImageNotFoundException", `The image with imageId {imageDigest:'${id.imageDigest ?? "null"}', imageTag:'${id.imageTag ?? "null"}'} does not exist within the repository with name '${repo.name}' in the registry with id '${accountId}'`);
            return detail(image);
          }),
        };
      }
      const all = [...repo.images.values()].sort((a, b) => a.pushedAt - b.pushedAt || a.digest.localeCompare(b.digest)).map(detail);
      const { items, nextToken } = page(all, input, 100);
      return { imageDetails: items, ...(nextToken ? { nextToken } : {}) };
    },
    async BatchDeleteImage(input) {
      const repo = requireRepository(input.repositoryName);
      const ids = input.imageIds as { imageDigest?: string; imageTag?: string }[] | undefined;
      if (!Array.isArray(ids) || ids.length < 1 || ids.length > 100) throw new AwsError("InvalidParameterException", "Invalid parameter at 'imageIds': 1 to 100 ids");
      const deleted: unknown[] = [];
      const failures: unknown[] = [];
      for (const id of ids) {
        const image = [...repo.images.values()].find((i) => (id.imageTag !== undefined ? i.tags.has(id.imageTag) : i.digest === id.imageDigest));
        if (!image) {
          failures.push({ imageId: id, failureCode: "ImageNotFound", failureReason: "Requested image not found" });
          continue;
        }
        if (id.imageTag !== undefined) {
          // Deleting by tag removes the tag; the image goes with its last tag.
          image.tags.delete(id.imageTag);
          await forwarder.removeTag(repo.name, id.imageTag);
          if (image.tags.size === 0) repo.images.delete(image.digest);
        } else {
          for (const tag of image.tags) await forwarder.removeTag(repo.name, tag);
          repo.images.delete(image.digest);
        }
        deleted.push({ imageDigest: image.digest, ...(id.imageTag !== undefined ? { imageTag: id.imageTag } : {}) });
      }
      return { imageIds: deleted, failures };
    },
  };

  // ---- The API listener (AWS JSON 1.1).
  const api = createServer((req, res) => {
    const call: EcrApiCall = { operation: "", input: {}, headers: req.headers, status: 0 };
    apiCalls.push(call);
    const fail = (error: AwsError): void => {
      call.status = error.status;
      call.errorType = error.type;
      sendJson(res, error.status, { __type: error.type, message: error.message }, { "x-amzn-requestid": randomBytes(8).toString("hex") }, AMZ_JSON);
    };
    (async () => {
      const body = await readBody(req, 1024 * 1024);
      const target = String(req.headers["x-amz-target"] ?? "");
      call.operation = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : target;
      if (req.method !== "POST" || req.url !== "/") return fail(new AwsError("UnknownOperationException", `${req.method ?? ""} ${req.url ?? ""} is not an operation`, 404));
      if (!String(req.headers["content-type"] ?? "").startsWith(AMZ_JSON)) return fail(new AwsError("SerializationException", `Content-Type must be ${AMZ_JSON}`));
      const auth = SIGV4.exec(String(req.headers.authorization ?? ""));
      const date = String(req.headers["x-amz-date"] ?? "");
      if (!req.headers.authorization) return fail(new AwsError("MissingAuthenticationTokenException", "Missing Authentication Token", 400));
      if (!auth || !/^\d{8}T\d{6}Z$/.test(date) || auth[2] !== date.slice(0, 8) || auth[3] !== region || !auth[4]!.split(";").includes("host") || !auth[4]!.split(";").includes("x-amz-date")) {
        return fail(new AwsError("IncompleteSignatureException", "Authorization header requires a well-formed AWS4-HMAC-SHA256 Credential, SignedHeaders and Signature", 400));
      }
      if (auth[1] !== accessKeyId) return fail(new AwsError("UnrecognizedClientException", "The security token included in the request is invalid.", 400));
      const operation = operations[call.operation];
      if (!target.startsWith(TARGET_PREFIX) || !operation) return fail(new AwsError("UnknownOperationException", `unknown operation ${target}`));
      let input: Record<string, unknown>;
      try {
        input = body.length === 0 ? {} : (JSON.parse(body.toString("utf8")) as Record<string, unknown>);
      } catch {
        return fail(new AwsError("SerializationException", "body is not JSON"));
      }
      call.input = input;
      try {
        const output = await operation(input);
        call.status = 200;
        sendJson(res, 200, output, { "x-amzn-requestid": randomBytes(8).toString("hex") }, AMZ_JSON);
      } catch (error) {
        if (error instanceof AwsError) return fail(error);
        throw error;
      }
    })().catch(() => fail(new AwsError("ServerException", "internal error", 500)));
  });

  // ---- The registry listener (/v2).
  const registry = createServer((req, res) => {
    const entry = record(requests, req, res);
    res.on("finish", () => options.onAnswered?.(entry));
    registryRequest(req, res, entry).catch((error: unknown) => {
      if (!res.headersSent) ociError(res, 500, "UNKNOWN", "internal error");
      else res.destroy(error as Error);
    });
  });
  const registryRequest = async (req: IncomingMessage, res: ServerResponse, entry: WireRecord): Promise<void> => {
    const method = req.method ?? "GET";
    const challenge = { "www-authenticate": `Basic realm="${registryUrl}/",service="ecr.amazonaws.com"` };
    const given = basicCredentials(req.headers.authorization);
    const expiresAt = given?.username === "AWS" ? tokens.get(given.password) : undefined;
    if (expiresAt === undefined) return ociError(res, 401, "UNAUTHORIZED", "Not Authorized", challenge);
    if (clock() >= expiresAt) return ociError(res, 403, "DENIED", "Your authorization token has expired. Reauthenticate and try again.");
    if (entry.path === "/v2/" || entry.path === "/v2") return void (await forwarder.forward(req, res));
    const v2 = parseV2Path(entry.path);
    if (!v2) return ociError(res, 404, "UNSUPPORTED", "The operation is unsupported.");
    if (v2.repository.length < 2 || v2.repository.length > 256 || !REPOSITORY_NAME.test(v2.repository)) {
      return ociError(res, 400, "NAME_INVALID", `Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must satisfy regular expression '(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*''`);
    }
    const repo = repositories.get(v2.repository);
    if (!repo) return ociError(res, 404, "NAME_UNKNOWN", `The repository with name '${v2.repository}' does not exist in the registry with id '${accountId}'`);
    if (v2.kind === "blobs" && method === "GET" && v2.rest.startsWith("sha256:")) {
      const signature = randomBytes(32).toString("hex");
      res.writeHead(307, { location: `${s3Url}/prod-${region}-starport-layer-bucket/${v2.repository}/${v2.rest}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=3600&X-Amz-Signature=${signature}`, "content-length": "0" });
      res.end();
      return;
    }
    if (v2.kind === "blobs" && v2.rest.startsWith("uploads/") && (method === "PATCH" || method === "PUT")) {
      const id = v2.rest.slice("uploads/".length);
      const parts = uploads.get(id) ?? [];
      if (parts.length > 0 && parts[parts.length - 1]! < MIN_PART) {
        uploads.delete(id);
        return ociError(res, 400, "BLOB_UPLOAD_INVALID", "LayerPartTooSmallException: All layer parts except the last part should be at least 5MB");
      }
      if (method === "PATCH") {
        parts.push(Number(req.headers["content-length"] ?? 0));
        uploads.set(id, parts);
        // ECR answers a PATCH with 201 where distribution answers 202.
        await forwarder.forward(req, res, { status: (s) => (s === 202 ? 201 : s) });
        return;
      }
      uploads.delete(id);
      await forwarder.forward(req, res);
      return;
    }
    if (v2.kind === "manifests" && method === "PUT") {
      const body = await readBody(req, 4 * 1024 * 1024);
      const digest = `sha256:${createHash("sha256").update(body).digest("hex")}`;
      const isTag = !v2.rest.includes(":");
      const holder = isTag ? [...repo.images.values()].find((i) => i.tags.has(v2.rest)) : undefined;
      if (holder && holder.digest !== digest && repo.imageTagMutability === "IMMUTABLE") {
        return ociError(res, 400, "TAG_INVALID", `The image tag '${v2.rest}' already exists in the '${repo.name}' repository and cannot be overwritten because the tag is immutable.`);
      }
      const status = await forwarder.forward(req, res, { body });
      if (status !== 201) return;
      const facts = manifestFacts(body, req.headers["content-type"]);
      let image = repo.images.get(digest);
      if (!image) {
        image = {
          digest,
          mediaType: facts.mediaType,
          artifactMediaType: facts.configMediaType,
          size: facts.children.length > 0 ? Math.max(0, ...facts.children.map((c) => c.size)) : facts.blobs.reduce((n, b) => n + b.size, 0),
          pushedAt: clock(),
          tags: new Set(),
        };
        repo.images.set(digest, image);
      }
      if (isTag) {
        for (const other of repo.images.values()) other.tags.delete(v2.rest);
        image.tags.add(v2.rest);
      }
      return;
    }
    if (v2.kind === "manifests" && method === "DELETE") {
      const status = await forwarder.forward(req, res);
      if (status === 202) repo.images.delete(v2.rest);
      return;
    }
    await forwarder.forward(req, res);
  };

  // ---- The "S3" listener: presigned blob downloads.
  const s3 = createServer((req, res) => {
    const entry = record(s3Requests, req, res);
    (async () => {
      if (req.headers.authorization !== undefined) {
        const xml =
          '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>InvalidArgument</Code><Message>Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified</Message><ArgumentName>Authorization</ArgumentName></Error>';
        res.writeHead(400, { "content-type": "application/xml", "content-length": Buffer.byteLength(xml) });
        res.end(xml);
        return;
      }
      const match = /^\/[^/]+\/(.+)\/(sha256:[0-9a-f]{64})$/.exec(decodeURIComponent(entry.path));
      if (!match || !entry.query.get("X-Amz-Signature")) {
        res.writeHead(403, { "content-length": "0" });
        res.end();
        return;
      }
      await forwarder.forward(req, res, { path: `/v2/${match[1]!}/blobs/${match[2]!}` });
    })().catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
    });
  });

  const apiUrl = await listen(api);
  registryUrl = await listen(registry);
  s3Url = await listen(s3);
  return {
    apiUrl,
    registryUrl,
    registryHost: new URL(registryUrl).host,
    s3Url,
    accountId,
    region,
    accessKeyId,
    secretAccessKey,
    apiCalls,
    requests,
    s3Requests,
    issuedTokens,
    setTokenLifetime(seconds) {
      tokenLifetimeS = seconds;
    },
    repository(name) {
      const r = repositories.get(name);
      if (!r) return undefined;
      const tags = new Map<string, string>();
      for (const image of r.images.values()) for (const tag of image.tags) tags.set(tag, image.digest);
      return { name: r.name, imageTagMutability: r.imageTagMutability, scanOnPush: r.scanOnPush, encryptionType: r.encryptionType, ...(r.kmsKey ? { kmsKey: r.kmsKey } : {}), tags, digests: [...r.images.keys()] };
    },
    async stop() {
      for (const server of [api, registry, s3]) {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
      forwarder.close();
    },
  };
}
