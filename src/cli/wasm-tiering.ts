/**
 * undici parses HTTP/1.1 with llhttp compiled to WebAssembly. V8 first
 * compiles it with its baseline compiler (Liftoff) and then, once the parser
 * is hot, recompiles it in the background with its optimizing compiler
 * (TurboFan). llhttp is one large state-machine function, and that
 * recompilation alone briefly takes about 15 to 30 MB (it was the peak of a
 * no-op `airgap plan` over 1,000 tags: 124 MB with it, 110 MB without).
 * airgap's HTTP traffic is a few hundred bytes of headers per request plus
 * bodies that llhttp only counts, so the optimized parser buys no measurable
 * time; the CLI keeps the baseline code.
 */
import { setFlagsFromString } from "node:v8";

/**
 * Keeps WebAssembly on the baseline compiler for the rest of the process.
 * Call it before the first HTTP connection: V8 reads the flag when a module is
 * compiled, and undici compiles llhttp on its first connection. Only the CLI
 * calls it; the SDK leaves the embedding process's V8 settings alone.
 */
export function keepWasmOnBaselineCompiler(): void {
  // Someone debugging V8 itself can still choose through NODE_OPTIONS.
  if (/--(no-)?liftoff|--wasm-/.test(process.env["NODE_OPTIONS"] ?? "")) return;
  setFlagsFromString("--liftoff-only");
}
