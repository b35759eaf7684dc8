/**
 * The three parts of undici airgap uses: the keep-alive `Agent`, its TCP/TLS
 * connector, and the `request` call. They are loaded from their own files
 * instead of undici's index, which also loads fetch, WebSocket, EventSource,
 * the cache and mock layers and the proxy agents: about 7 MB of RSS in every
 * command that touches a registry, for code airgap never runs.
 *
 * undici's package.json has no `exports` map, so these paths are public in
 * the resolver's sense but not promised stable by undici. The unit test
 * `test/unit/oci/registry/undici.test.ts` checks that each part is the very
 * object undici's index exports, so an upgrade that moves one fails there;
 * a user's install that resolved such an upgrade falls back to the index.
 */
import { createRequire } from "node:module";
import type * as UndiciIndex from "undici";
import type { Agent as AgentClass, Dispatcher, buildConnector as BuildConnector } from "undici";

const require = createRequire(import.meta.url);

interface UndiciParts {
  readonly Agent: typeof AgentClass;
  readonly buildConnector: typeof BuildConnector;
  readonly request: (this: Dispatcher, options: Dispatcher.RequestOptions) => Promise<Dispatcher.ResponseData>;
}

/**
 * The parts from their own files; when an undici upgrade has moved one (the
 * caret range allows versions the lockfile never saw), undici's index, which
 * is public API: a few MB more memory instead of a command that cannot start.
 */
function loadParts(): UndiciParts {
  try {
    const parts: UndiciParts = {
      Agent: require("undici/lib/dispatcher/agent.js") as typeof AgentClass,
      buildConnector: require("undici/lib/core/connect.js") as typeof BuildConnector,
      request: require("undici/lib/api/api-request.js") as UndiciParts["request"],
    };
    if (typeof parts.Agent === "function" && typeof parts.buildConnector === "function" && typeof parts.request === "function") return parts;
  } catch {
    // fall through to the index
  }
  const index = require("undici") as typeof UndiciIndex;
  return { Agent: index.Agent, buildConnector: index.buildConnector, request: index.Dispatcher.prototype.request as UndiciParts["request"] };
}

const parts = loadParts();

/** undici's `Agent` (a pool of keep-alive connections per origin). */
export const Agent = parts.Agent;
/** An undici `Agent`. */
export type Agent = AgentClass;

/** undici's `buildConnector` (opens the TCP or TLS socket for an Agent). */
export const buildConnector = parts.buildConnector;

/**
 * `dispatcher.request(options)`. undici's index adds `request` to every
 * dispatcher's prototype; without the index it is called on the dispatcher.
 */
export function request(dispatcher: Dispatcher, options: Dispatcher.RequestOptions): Promise<Dispatcher.ResponseData> {
  return parts.request.call(dispatcher, options);
}
