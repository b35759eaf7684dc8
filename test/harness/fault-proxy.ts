import { readFileSync } from "node:fs";
import { Agent as HttpAgent, createServer, request as httpRequest } from "node:http";
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders, ServerResponse } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { classifyRequest } from "./fault-rules.js";
import type { FaultAction, FaultRule, ProxiedRequest } from "./fault-rules.js";

export { classifyRequest, faults, firstMatch, randomFaults, when } from "./fault-rules.js";
export type { FaultAction, FaultRule, ProxiedRequest, RandomFaultOptions, RequestKind, RequestMatcher } from "./fault-rules.js";

/** How a proxied exchange ended. */
export type ProxyOutcome = "pending" | "completed" | "reset" | "client-aborted" | "upstream-error";

/** One request through the proxy; updated in place until `outcome` is no longer "pending". */
export interface ProxyRecord extends ProxiedRequest {
  readonly action: FaultAction["kind"];
  /** The fault applied, with its parameters (status, headers such as Retry-After, …). */
  readonly fault: FaultAction;
  /** Status sent to the client (undefined when none was sent). */
  status: number | undefined;
  outcome: ProxyOutcome;
  /** Position in a single counter shared by starts and ends: compare to prove ordering. */
  readonly startOrder: number;
  endOrder: number | undefined;
  readonly startedAt: number;
  endedAt: number | undefined;
  requestBytes: number;
  responseBytes: number;
}

/** Options for {@link startFaultProxy}. */
export interface FaultProxyOptions {
  /** The registry to front: `url` must be on 127.0.0.1/localhost; `caFile` for HTTPS upstreams. */
  readonly upstream: { readonly url: string; readonly caFile?: string | undefined };
  readonly rule?: FaultRule;
}

/** A running fault proxy. */
export interface FaultProxy {
  /** `http://127.0.0.1:PORT` — the proxy itself always speaks plain HTTP. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** Every request in arrival order. */
  readonly requests: readonly ProxyRecord[];
  setRule(rule: FaultRule | undefined): void;
  clearRequests(): void;
  /** Resolves once no request is pending. */
  settled(): Promise<void>;
  stop(): Promise<void>;
}

const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "te", "trailer", "upgrade", "proxy-authorization"]);

async function* paced(source: AsyncIterable<Buffer>, bytesPerSecond: number): AsyncGenerator<Buffer> {
  const slice = Math.max(1, Math.floor(bytesPerSecond / 20));
  const start = Date.now();
  let sent = 0;
  for await (const chunk of source) {
    for (let i = 0; i < chunk.length; i += slice) {
      const part = chunk.subarray(i, i + slice);
      const due = start + (sent / bytesPerSecond) * 1000;
      const wait = due - Date.now();
      if (wait > 0) await sleep(wait);
      sent += part.length;
      yield part;
    }
  }
}

/**
 * Starts an HTTP reverse proxy on a random 127.0.0.1 port in front of a local registry. A rule
 * function picks a fault per request (resets, mid-body cuts, 5xx, 429 + Retry-After, slow
 * bodies, delays); every request is recorded with its status, outcome and a shared start/end
 * order counter. Upstream `Location` headers are rewritten to point at the proxy so uploads keep
 * flowing through it. Only 127.0.0.1/localhost upstreams are accepted.
 *
 * Why: retry, resume and ordering guarantees of the product can only be tested against a real
 * registry whose transport misbehaves on demand.
 */
export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const upstream = new URL(options.upstream.url);
  if (!["127.0.0.1", "localhost", "[::1]"].includes(upstream.hostname)) {
    throw new Error(`fault proxy only fronts local servers, not ${upstream.hostname}`);
  }
  const isHttps = upstream.protocol === "https:";
  const ca = options.upstream.caFile === undefined ? undefined : readFileSync(options.upstream.caFile, "utf8");
  const agent = isHttps ? new HttpsAgent({ keepAlive: true, ...(ca === undefined ? {} : { ca }) }) : new HttpAgent({ keepAlive: true });
  let rule: FaultRule | undefined = options.rule;
  const records: ProxyRecord[] = [];
  let seq = 0;
  let order = 0;
  let proxyOrigin = "";
  const waiters: Array<() => void> = [];
  const sockets = new Set<Socket>();

  const notifyIfSettled = (): void => {
    if (records.some((r) => r.outcome === "pending")) return;
    for (const w of waiters.splice(0)) w();
  };
  const finish = (record: ProxyRecord, outcome: ProxyOutcome): void => {
    if (record.outcome !== "pending") return;
    record.outcome = outcome;
    record.endOrder = ++order;
    record.endedAt = Date.now();
    notifyIfSettled();
  };

  const rewriteHeaders = (headers: IncomingHttpHeaders): OutgoingHttpHeaders => {
    const out: OutgoingHttpHeaders = {};
    for (const [key, value] of Object.entries(headers)) {
      if (value === undefined || HOP_BY_HOP.has(key)) continue;
      out[key] = value;
    }
    const location = headers.location;
    if (typeof location === "string" && /^https?:\/\//i.test(location)) {
      const loc = new URL(location);
      if (loc.host === upstream.host) out["location"] = `${proxyOrigin}${loc.pathname}${loc.search}`;
    }
    return out;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = req.url ?? "/";
    const method = req.method ?? "GET";
    const { kind, repository } = classifyRequest(path);
    const info: ProxiedRequest = { seq: ++seq, method, path, kind, repository, headers: req.headers };
    const action: FaultAction = rule?.(info) ?? { kind: "pass" };
    const record: ProxyRecord = {
      ...info,
      action: action.kind,
      fault: action,
      status: undefined,
      outcome: "pending",
      startOrder: ++order,
      endOrder: undefined,
      startedAt: Date.now(),
      endedAt: undefined,
      requestBytes: 0,
      responseBytes: 0,
    };
    records.push(record);
    const clientSocket = req.socket;
    res.on("finish", () => finish(record, "completed"));
    res.on("close", () => finish(record, res.writableFinished ? "completed" : "client-aborted"));

    const resetClient = (graceful: boolean): void => {
      finish(record, "reset");
      if (graceful) clientSocket.destroySoon();
      else clientSocket.resetAndDestroy();
    };

    if (action.kind === "reset") {
      resetClient(false);
      return;
    }
    if (action.kind === "delay") await sleep(action.ms);
    if (action.kind === "status" && !action.forward) {
      req.resume();
      const body = action.body ?? JSON.stringify({ errors: [{ code: "UNKNOWN", message: `injected HTTP ${action.status}` }] });
      record.status = action.status;
      res.writeHead(action.status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body), ...(action.headers ?? {}) });
      res.end(body);
      record.responseBytes = Buffer.byteLength(body);
      return;
    }

    const headers: OutgoingHttpHeaders = {};
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined && !HOP_BY_HOP.has(key)) headers[key] = value;
    }
    headers["host"] = upstream.host;
    const send = isHttps ? httpsRequest : httpRequest;
    const upReq = send({
      protocol: upstream.protocol,
      hostname: upstream.hostname.replace(/^\[|\]$/g, ""),
      port: upstream.port,
      method,
      path,
      headers,
      agent,
    });
    upReq.on("error", (err) => {
      if (record.outcome !== "pending") return;
      if (!res.headersSent) {
        record.status = 502;
        res.writeHead(502, { "Content-Type": "text/plain" });
        res.end(`fault proxy: upstream error: ${err.message}`);
      } else {
        res.destroy();
      }
      finish(record, "upstream-error");
    });
    res.on("close", () => {
      if (!res.writableFinished) upReq.destroy();
    });

    // Request body: pass, throttle or cut.
    if (action.kind === "throttle" && action.direction === "request") {
      (async () => {
        for await (const part of paced(req, action.bytesPerSecond)) {
          record.requestBytes += part.length;
          if (!upReq.write(part)) await new Promise((r) => upReq.once("drain", r));
        }
        upReq.end();
      })().catch((err: unknown) => upReq.destroy(err as Error));
    } else if (action.kind === "reset-after" && action.direction === "request") {
      let forwarded = 0;
      let cutting = false;
      req.on("data", (chunk: Buffer) => {
        if (cutting || record.outcome !== "pending") return;
        const room = action.bytes - forwarded;
        if (chunk.length < room) {
          forwarded += chunk.length;
          record.requestBytes = forwarded;
          upReq.write(chunk);
          return;
        }
        cutting = true;
        forwarded = action.bytes;
        record.requestBytes = forwarded;
        // The upstream sees a truncated upload (then a dropped connection), the client a reset.
        resetClient(action.graceful ?? false);
        upReq.write(chunk.subarray(0, room), () => upReq.destroy());
      });
      req.on("end", () => {
        if (record.outcome === "pending") upReq.end();
      });
    } else {
      req.on("data", (chunk: Buffer) => {
        record.requestBytes += chunk.length;
      });
      req.pipe(upReq);
    }

    upReq.on("response", (upRes) => {
      if (record.outcome !== "pending") {
        upRes.resume();
        return;
      }
      if (action.kind === "status") {
        // forward: true — the upstream did the work, the client sees the injected failure.
        upRes.resume();
        const body = action.body ?? JSON.stringify({ errors: [{ code: "UNKNOWN", message: `injected HTTP ${action.status}` }] });
        record.status = action.status;
        res.writeHead(action.status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body), ...(action.headers ?? {}) });
        res.end(body);
        return;
      }
      const status = upRes.statusCode ?? 502;
      record.status = status;
      res.writeHead(status, rewriteHeaders(upRes.headers));
      if (action.kind === "reset-after" && (action.direction ?? "response") === "response") {
        let sent = 0;
        let cutting = false;
        upRes.on("data", (chunk: Buffer) => {
          if (cutting || record.outcome !== "pending") return;
          const room = action.bytes - sent;
          if (chunk.length < room) {
            sent += chunk.length;
            record.responseBytes = sent;
            res.write(chunk);
            return;
          }
          cutting = true;
          upRes.pause();
          const part = chunk.subarray(0, room);
          sent += part.length;
          record.responseBytes = sent;
          const cut = (): void => {
            resetClient(action.graceful ?? false);
            upRes.destroy();
          };
          if (part.length > 0) res.write(part, cut);
          else cut();
        });
        upRes.on("end", () => {
          if (record.outcome === "pending") res.end();
        });
        return;
      }
      if (action.kind === "throttle" && (action.direction ?? "response") === "response") {
        (async () => {
          for await (const part of paced(upRes, action.bytesPerSecond)) {
            record.responseBytes += part.length;
            if (!res.write(part)) await new Promise((r) => res.once("drain", r));
          }
          res.end();
        })().catch(() => res.destroy());
        return;
      }
      upRes.on("data", (chunk: Buffer) => {
        record.responseBytes += chunk.length;
      });
      upRes.pipe(res);
    });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) {
        res.writeHead(500, { "Content-Type": "text/plain" });
        res.end(`fault proxy: ${String(err)}`);
      } else {
        res.destroy();
      }
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  server.keepAliveTimeout = 2000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  proxyOrigin = `http://127.0.0.1:${port}`;
  let stopped = false;
  return {
    url: proxyOrigin,
    host: `127.0.0.1:${port}`,
    port,
    requests: records,
    setRule(next) {
      rule = next;
    },
    clearRequests() {
      records.length = 0;
    },
    settled() {
      return new Promise<void>((resolve) => {
        waiters.push(resolve);
        notifyIfSettled();
      });
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}
