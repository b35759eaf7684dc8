/**
 * The spec-built ECR itself, spoken to with plain HTTP: AWS JSON 1.1 as the
 * Smithy protocol describes it and ECR's `/v2` rules (providers-notes §3),
 * so that the provider tests run against answers ECR would give.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEcr, type EcrServer } from "../../harness/ecr-server.js";
import { startRegistry, type RunningRegistry } from "../../harness/registry.js";

let upstream: RunningRegistry;
let ecr: EcrServer;
let now = Date.parse("2026-03-01T08:00:00Z");

beforeAll(async () => {
  upstream = await startRegistry();
  ecr = await startEcr({ registry: upstream, clock: () => now, tokenLifetimeS: 600 });
});

afterAll(async () => {
  await ecr?.stop();
  await upstream?.stop();
});

const amzDate = "20260301T080000Z";

function call(operation: string, input: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(ecr.apiUrl + "/", {
    method: "POST",
    headers: {
      "content-type": "application/x-amz-json-1.1",
      "x-amz-target": `AmazonEC2ContainerRegistry_V20150921.${operation}`,
      "x-amz-date": amzDate,
      authorization: `AWS4-HMAC-SHA256 Credential=${ecr.accessKeyId}/20260301/us-east-1/ecr/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=${"0".repeat(64)}`,
      ...headers,
    },
    body: JSON.stringify(input),
  });
}

async function answer(res: Response): Promise<[number, string | null, unknown]> {
  return [res.status, res.headers.get("content-type"), await res.json()];
}

describe("test ECR: AWS JSON 1.1", () => {
  it("requires a well-formed SigV4 Authorization with the server's region and a known access key", async () => {
    expect(await answer(await call("DescribeRepositories", {}, { authorization: "" }))).toEqual([400, "application/x-amz-json-1.1", { __type: "MissingAuthenticationTokenException", message: "Missing Authentication Token" }]);
    const otherRegion = await call("DescribeRepositories", {}, { authorization: `AWS4-HMAC-SHA256 Credential=${ecr.accessKeyId}/20260301/eu-west-1/ecr/aws4_request, SignedHeaders=host;x-amz-date, Signature=${"0".repeat(64)}` });
    expect(((await otherRegion.json()) as { __type: string }).__type).toBe("IncompleteSignatureException");
    const otherKey = await call("DescribeRepositories", {}, { authorization: `AWS4-HMAC-SHA256 Credential=AKIAOTHEROTHEROTHER0/20260301/us-east-1/ecr/aws4_request, SignedHeaders=host;x-amz-date, Signature=${"0".repeat(64)}` });
    expect(await answer(otherKey)).toEqual([400, "application/x-amz-json-1.1", { __type: "UnrecognizedClientException", message: "The security token included in the request is invalid." }]);
    expect((await call("DescribeRepositories", {}, { "content-type": "application/json" })).status).toBe(400);
  });

  it("creates repositories with the model's name rule and answers the model's exceptions", async () => {
    const created = (await (await call("CreateRepository", { repositoryName: "team/app", imageTagMutability: "IMMUTABLE" })).json()) as { repository: Record<string, unknown> };
    expect(created.repository).toMatchObject({ repositoryName: "team/app", registryId: ecr.accountId, imageTagMutability: "IMMUTABLE", repositoryArn: `arn:aws:ecr:us-east-1:${ecr.accountId}:repository/team/app` });
    expect(typeof created.repository.createdAt).toBe("number");
    expect(((await (await call("CreateRepository", { repositoryName: "team/app" })).json()) as { __type: string }).__type).toBe("RepositoryAlreadyExistsException");
    for (const bad of ["Team/App", "team//app", "a", "team__app"]) {
      expect(((await (await call("CreateRepository", { repositoryName: bad })).json()) as { __type: string }).__type).toBe("InvalidParameterException");
    }
    expect(await answer(await call("DescribeRepositories", { repositoryNames: ["team/app", "team/ghost"] }))).toEqual([
      400,
      "application/x-amz-json-1.1",
      { __type: "RepositoryNotFoundException", message: `The repository with name 'team/ghost' does not exist in the registry with id '${ecr.accountId}'` },
    ]);
    expect(((await (await call("DescribeImages", { repositoryName: "team/app", imageIds: [{ imageTag: "x" }], maxResults: 5 })).json()) as { __type: string }).__type).toBe("InvalidParameterException");
    expect(((await (await call("DescribeImages", { repositoryName: "team/app", maxResults: 1001 })).json()) as { __type: string }).__type).toBe("InvalidParameterException");
  });
});

describe("test ECR: /v2", () => {
  it("challenges with Basic, accepts the token of GetAuthorizationToken until it expires, then answers 403", async () => {
    const ping = await fetch(`${ecr.registryUrl}/v2/`);
    expect([ping.status, ping.headers.get("www-authenticate")]).toEqual([401, `Basic realm="${ecr.registryUrl}/",service="ecr.amazonaws.com"`]);
    const { authorizationData } = (await (await call("GetAuthorizationToken", {})).json()) as { authorizationData: { authorizationToken: string; expiresAt: number; proxyEndpoint: string }[] };
    const data = authorizationData[0]!;
    expect(Buffer.from(data.authorizationToken, "base64").toString("utf8")).toMatch(/^AWS:.+/);
    expect([data.expiresAt, data.proxyEndpoint]).toEqual([now / 1000 + 600, ecr.registryUrl]);
    const authorization = `Basic ${data.authorizationToken}`;
    expect((await fetch(`${ecr.registryUrl}/v2/`, { headers: { authorization } })).status).toBe(200);
    const missing = await fetch(`${ecr.registryUrl}/v2/team/ghost/blobs/uploads/`, { method: "POST", headers: { authorization } });
    expect([missing.status, await missing.json()]).toEqual([404, { errors: [{ code: "NAME_UNKNOWN", message: `The repository with name 'team/ghost' does not exist in the registry with id '${ecr.accountId}'` }] }]);
    const upper = await fetch(`${ecr.registryUrl}/v2/Team/App/manifests/v1`, { headers: { authorization } });
    expect(upper.status).toBe(400);
    const patch = await fetch(`${ecr.registryUrl}/v2/team/app/blobs/uploads/`, { method: "POST", headers: { authorization } });
    expect(patch.status).toBe(202);
    const location = patch.headers.get("location")!;
    expect(location.startsWith(ecr.registryUrl)).toBe(true);
    const part = await fetch(location, { method: "PATCH", headers: { authorization, "content-type": "application/octet-stream", "content-range": "0-2" }, body: "abc" });
    expect(part.status).toBe(201);
    now += 600_000;
    const expired = await fetch(`${ecr.registryUrl}/v2/`, { headers: { authorization } });
    expect([expired.status, await expired.json()]).toEqual([403, { errors: [{ code: "DENIED", message: "Your authorization token has expired. Reauthenticate and try again." }] }]);
  });
});
