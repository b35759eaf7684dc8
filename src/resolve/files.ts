/**
 * Resolving file entries to sha256 and size.
 *
 * - Local paths are hashed (streamed) every time they are resolved; a
 *   declared `sha256` must match.
 * - URLs must declare their `sha256` (a config rule), so locking does not
 *   download them: a HEAD confirms the URL exists and gives the size, and the
 *   bytes are checked against the sha256 when apply downloads them. Only when
 *   the server states no length (or no sha256 is declared) is the file
 *   streamed through sha256 to learn it.
 * - With a previous lock, a locked file is checked cheaply: a HEAD (URL) or a
 *   stat (path) must find it with the locked size.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import type { FileEntry } from "../config/normalize.js";
import type { ResolveContext } from "./context.js";
import { fileIdentity } from "../lock/keys.js";
import { fileEntryKey, type LockedFile } from "../lock/model.js";
import type { HttpCallOptions } from "../sources/http-fetch.js";

async function hashFile(path: string, signal: AbortSignal | undefined): Promise<{ sha256: string; size: number }> {
  const hash = createHash("sha256");
  let size = 0;
  for await (const chunk of createReadStream(path, signal !== undefined ? { signal } : {})) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { sha256: hash.digest("hex"), size };
}

async function fileSize(path: string): Promise<number | undefined> {
  try {
    const info = await stat(path);
    return info.isFile() ? info.size : undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

async function resolveOne(ctx: ResolveContext, baseDir: string, entry: FileEntry, group: readonly FileEntry[]): Promise<LockedFile | undefined> {
  const identity = fileIdentity(entry, baseDir);
  const subject = identity.url ?? identity.path ?? "";
  const pointers = group.map((e) => e.pointer);
  const declared = entry.sha256?.toLowerCase();
  const refresh = ctx.refresh.file(entry, baseDir);
  const previous = ctx.lockedFiles.get(fileEntryKey(identity));
  const locked = previous !== undefined && (declared === undefined || previous.sha256 === declared) ? previous : undefined;

  if (locked !== undefined && !refresh) {
    await ctx.attempt(pointers, subject, async () => {
      const size = entry.url !== undefined ? await headSize(ctx, entry, entry.url, pointers, subject, "locked-digest-missing") : await fileSize(entry.path ?? "");
      if (size === null) return;
      if (size === undefined && entry.path !== undefined) {
        ctx.report(pointers, "file-not-found", subject, `${subject} does not exist (airgap.lock records it with sha256 ${locked.sha256})`);
      } else if (size !== undefined && size !== locked.size) {
        ctx.report(pointers, "locked-content-changed", subject, `${subject} is now ${size} bytes, airgap.lock recorded ${locked.size} (sha256 ${locked.sha256}); run \`airgap lock --update ${subject}\` if the new content is expected`);
      }
    });
    return locked;
  }

  const fresh = await ctx.attempt(pointers, subject, async (): Promise<LockedFile | undefined> => {
    let facts: { sha256: string; size: number };
    if (entry.url !== undefined) {
      const size = declared !== undefined ? await headSize(ctx, entry, entry.url, pointers, subject, "file-not-found") : undefined;
      if (size === null) return undefined;
      if (declared !== undefined && size !== undefined) {
        facts = { sha256: declared, size };
      } else {
        const got = await ctx.opener.http.digest(entry.url, callFor(ctx, entry));
        if (!got.found) {
          ctx.report(pointers, "file-not-found", subject, `${subject} answered ${got.status}`);
          return undefined;
        }
        facts = got;
      }
    } else {
      const path = entry.path ?? "";
      if ((await fileSize(path)) === undefined) {
        ctx.report(pointers, "file-not-found", subject, `${subject} does not exist or is not a regular file`);
        return undefined;
      }
      facts = await hashFile(path, ctx.signal);
    }
    if (declared !== undefined && facts.sha256 !== declared) {
      ctx.report(pointers, "checksum-mismatch", subject, `${subject} has sha256 ${facts.sha256}, but airgap.yaml declares ${declared}`);
      return undefined;
    }
    return { ...identity, sha256: facts.sha256, size: facts.size };
  });
  return fresh ?? locked;
}

/** The options of a download of a file entry: the run's signal and its source's credentials. */
function callFor(ctx: ResolveContext, entry: FileEntry): HttpCallOptions {
  return { ...ctx.call, ...(entry.credentials ? { credentials: entry.credentials } : {}) };
}

/** HEAD a URL: its size (undefined when not stated), or null after reporting it absent. */
async function headSize(ctx: ResolveContext, entry: FileEntry, url: string, pointers: readonly string[], subject: string, kind: "file-not-found" | "locked-digest-missing"): Promise<number | undefined | null> {
  const head = await ctx.opener.http.head(url, callFor(ctx, entry));
  if (head.found) return head.size;
  const message = kind === "locked-digest-missing" ? `${subject} answered ${head.status}: the file airgap.lock records is gone` : `${subject} answered ${head.status}`;
  ctx.report(pointers, kind, subject, message);
  return null;
}

/** Resolves every file entry; entries naming the same file with the same sha256 are resolved once. */
export async function resolveFiles(ctx: ResolveContext, baseDir: string, entries: readonly FileEntry[]): Promise<LockedFile[]> {
  const groups = new Map<string, FileEntry[]>();
  for (const entry of entries) {
    const key = JSON.stringify([fileEntryKey(fileIdentity(entry, baseDir)), entry.sha256?.toLowerCase() ?? ""]);
    groups.set(key, [...(groups.get(key) ?? []), entry]);
  }
  const results = await Promise.all([...groups.values()].map((group) => resolveOne(ctx, baseDir, group[0] as FileEntry, group)));
  // Two entries for one file with different declared sha256: only one can be right, and the lock holds one entry per file.
  const byKey = new Map<string, LockedFile>();
  for (const file of results) if (file !== undefined && !byKey.has(fileEntryKey(file))) byKey.set(fileEntryKey(file), file);
  return [...byKey.values()];
}
