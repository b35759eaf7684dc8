/**
 * Two V8 defaults that suit a long-running server cost a short CLI run its
 * peak memory, for no time it can measure. Both are set from the CLI entry
 * only (the SDK leaves the embedding process's V8 alone), with
 * `v8.setFlagsFromString`, before any HTTP traffic; both flags are read by V8
 * when they apply, not only at start-up. Measured on a no-op `airgap plan`
 * over 1,000 locked tags (issue 14): peak RSS 124 MB with neither.
 *
 * - **WebAssembly stays on the baseline compiler.** undici parses HTTP/1.1
 *   with llhttp compiled to WebAssembly; once it is hot V8 recompiles it in
 *   the background with its optimizing compiler. llhttp is one large
 *   state-machine function and that compilation briefly takes 15 to 30 MB
 *   (the whole peak of the plan). airgap's responses are a few hundred bytes
 *   of headers plus bodies that llhttp only counts, so the optimized parser
 *   buys no measurable time.
 * - **The young generation keeps its initial size.** Under a high allocation
 *   rate V8 doubles the young generation's semi-spaces, up to 16 MB each;
 *   every page the allocator then walks through stays resident, about 25 MB
 *   for the plan. airgap's short-lived objects (one request's headers,
 *   promises, parsed JSON) die young at any size, so the smaller young
 *   generation costs more, cheaper scavenges and no measurable time.
 */
import { setFlagsFromString } from "node:v8";

/**
 * Applies the CLI's V8 settings. A flag that `NODE_OPTIONS` or the node
 * command line already sets is left as given, for whoever measures or
 * debugs airgap itself.
 */
export function tuneV8ForCli(): void {
  const options = [process.env["NODE_OPTIONS"] ?? "", ...process.execArgv].join(" ");
  if (!/--(no-)?liftoff|--wasm-/.test(options)) setFlagsFromString("--liftoff-only");
  if (!/semi[-_]space/.test(options)) setFlagsFromString("--semi-space-growth-factor=1");
}
