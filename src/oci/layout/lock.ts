/**
 * An in-process lock keyed by path. index.json is read, changed and replaced
 * as a whole; two concurrent `tag()` calls without it would each write their
 * own copy and one entry would be lost. Keyed by absolute path at module level
 * so that two store objects opened on the same directory share it.
 *
 * It does not protect against another PROCESS writing the same layout.
 */
const tails = new Map<string, Promise<void>>();

/** Runs `fn` after every earlier holder of `key` has finished. */
export async function withPathLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const previous = tails.get(key) ?? Promise.resolve();
  let release: () => void = () => undefined;
  const current = new Promise<void>((resolve) => {
    release = resolve;
  });
  const tail = previous.then(() => current);
  tails.set(key, tail);
  await previous;
  try {
    return await fn();
  } finally {
    release();
    if (tails.get(key) === tail) tails.delete(key);
  }
}
