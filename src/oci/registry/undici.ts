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
 * object undici's index exports, so an upgrade that moves one fails there.
 */
import { createRequire } from "node:module";
import type { Agent as AgentClass, Dispatcher, buildConnector as BuildConnector } from "undici";

const require = createRequire(import.meta.url);

/** undici's `Agent` (a pool of keep-alive connections per origin). */
export const Agent = require("undici/lib/dispatcher/agent.js") as typeof AgentClass;
/** An undici `Agent`. */
export type Agent = AgentClass;

/** undici's `buildConnector` (opens the TCP or TLS socket for an Agent). */
export const buildConnector = require("undici/lib/core/connect.js") as typeof BuildConnector;

const requestOn = require("undici/lib/api/api-request.js") as (this: Dispatcher, options: Dispatcher.RequestOptions) => Promise<Dispatcher.ResponseData>;

/**
 * `dispatcher.request(options)`. undici's index adds `request` to every
 * dispatcher's prototype; without the index it is called on the dispatcher.
 */
export function request(dispatcher: Dispatcher, options: Dispatcher.RequestOptions): Promise<Dispatcher.ResponseData> {
  return requestOn.call(dispatcher, options);
}
