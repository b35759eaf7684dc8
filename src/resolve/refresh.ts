/**
 * Which entries `airgap lock --update [REF...]` re-resolves. Without REFs
 * everything is re-resolved; with them, an entry is re-resolved when a REF
 * names it:
 * - images and OCI charts: a reference (docker-style, `oci://` allowed)
 *   with the same registry and repository, and the same tag / digest when
 *   the REF has one. A REF without a tag also re-evaluates the repository's
 *   tag filters (so new tags are picked up);
 * - Helm charts: the chart name, or `SOURCE/NAME`;
 * - files: the URL, the path (as written relative to airgap.yaml, or
 *   absolute), or the destination path (`to.path`).
 * A REF that names nothing is reported (`refresh-unmatched`).
 */
import type { ChartEntry, FileEntry } from "../config/normalize.js";
import { parseReference, type ImageReference } from "../core/reference.js";
import { lockFilePath } from "../lock/keys.js";

interface Selector {
  readonly text: string;
  readonly reference: ImageReference | undefined;
  used: boolean;
}

/** The refresh request of one run. */
export class RefreshPolicy {
  /** True when everything is re-resolved. */
  readonly all: boolean;
  private readonly selectors: Selector[];

  constructor(refresh: boolean | readonly string[] | undefined) {
    this.all = refresh === true;
    const list = Array.isArray(refresh) ? (refresh as readonly string[]) : [];
    this.selectors = list.map((text) => {
      const parsed = parseReference(text.replace(/^oci:\/\//, ""));
      return { text, reference: parsed.ok ? parsed.reference : undefined, used: false };
    });
  }

  private mark(predicate: (s: Selector) => boolean): boolean {
    if (this.all) return true;
    let hit = false;
    for (const s of this.selectors) {
      if (predicate(s)) {
        s.used = true;
        hit = true;
      }
    }
    return hit;
  }

  /** Should this concrete image (or OCI chart tag) be re-resolved? */
  image(reference: ImageReference): boolean {
    return this.mark((s) => {
      const r = s.reference;
      if (r === undefined || r.registry !== reference.registry || r.repository !== reference.repository) return false;
      if (r.tag !== undefined && r.tag !== reference.tag) return false;
      return r.digest === undefined || r.digest === reference.digest;
    });
  }

  /** Should this repository's tag filter be evaluated again? Only a REF without tag or digest asks for that. */
  repository(reference: Pick<ImageReference, "registry" | "repository">): boolean {
    return this.mark((s) => s.reference !== undefined && s.reference.tag === undefined && s.reference.digest === undefined && s.reference.registry === reference.registry && s.reference.repository === reference.repository);
  }

  /** Should this chart be re-resolved? */
  chart(entry: ChartEntry): boolean {
    if (entry.type === "oci") {
      return this.mark((s) => {
        const r = s.reference;
        if (r === undefined || r.registry !== entry.reference.registry || r.repository !== entry.reference.repository) return false;
        return r.tag === undefined || r.tag === entry.version || r.tag === entry.version.replace(/\+/g, "_");
      });
    }
    return this.mark((s) => s.text === entry.name || s.text === `${entry.source}/${entry.name}`);
  }

  /** Should this file be re-resolved? */
  file(entry: FileEntry, baseDir: string): boolean {
    return this.mark(
      (s) =>
        s.text === entry.url ||
        s.text === entry.to.path ||
        (entry.path !== undefined && (s.text === entry.path || s.text === lockFilePath(entry.path, baseDir) || `./${lockFilePath(entry.path, baseDir)}` === s.text)),
    );
  }

  /** REFs that named no entry. */
  unmatched(): string[] {
    return this.selectors.filter((s) => !s.used).map((s) => s.text);
  }
}
