/**
 * How image names map onto `index.json` entries: the ref.name convention.
 *
 * Tools disagree. skopeo (`oci:DIR:REF`) stores whatever REF it was given in
 * `org.opencontainers.image.ref.name`, usually a bare tag; containerd's export
 * stores the tag in ref.name and the full name in `io.containerd.image.name`;
 * containerd's import (and k0s, which imports `<data-dir>/images`) names the
 * image from `io.containerd.image.name`, or from ref.name when that is a full
 * name. One layout holds many repositories (a bundle), so a bare tag cannot
 * say which image it belongs to.
 *
 * airgap therefore WRITES the full reference `registry/repository:tag`, exactly
 * as the caller names the repository, into BOTH annotations. Both are legal by
 * the image spec (ref.name allows `/` and `:`), skopeo addresses such an entry
 * as `oci:DIR:registry/repository:tag`, and containerd imports it under its
 * real name.
 *
 * When READING, a repository view resolves `tag` by, in order of precedence:
 *  1. ref.name equal to `<repository>:<tag>` (airgap, or skopeo given a full name);
 *  2. io.containerd.image.name equal to `<repository>:<tag>` (containerd export);
 *  3. ref.name equal to the bare `tag` (skopeo given a tag), unless the entry's
 *     io.containerd.image.name says it belongs to another repository.
 * Within one level the last matching entry wins, as a later `tag()` would.
 */
import type { Descriptor } from "../../core/oci-types.js";
import { Annotation } from "../../core/oci-types.js";

/**
 * The character set the image spec recommends for ref names, and which
 * containers/image (skopeo) enforces: components of alphanumerics joined by
 * `-._:@+` or `--`, separated by `/`.
 */
const REF_NAME = /^[A-Za-z0-9]+(?:(?:[-._:@+]|--)[A-Za-z0-9]+)*(?:\/[A-Za-z0-9]+(?:(?:[-._:@+]|--)[A-Za-z0-9]+)*)*$/;

/** True when `value` can be written as `org.opencontainers.image.ref.name` and read back by skopeo. */
export function isValidRefName(value: string): boolean {
  return value.length <= 4096 && REF_NAME.test(value);
}

/** The full name airgap writes for a tag: `<repository>:<tag>`. */
export function fullRefName(repository: string, tag: string): string {
  return `${repository}:${tag}`;
}

/** The annotations airgap puts on an index.json entry for `<repository>:<tag>`. */
export function refAnnotations(fullName: string): Readonly<Record<string, string>> {
  return { [Annotation.ContainerdImageName]: fullName, [Annotation.RefName]: fullName };
}

function refName(d: Descriptor): string | undefined {
  return d.annotations?.[Annotation.RefName];
}

function containerdName(d: Descriptor): string | undefined {
  return d.annotations?.[Annotation.ContainerdImageName];
}

/** Finds the index.json entry that `<repository>:<tag>` resolves to (see the precedence above). */
export function findRefEntry(entries: readonly Descriptor[], repository: string, tag: string): Descriptor | undefined {
  const full = fullRefName(repository, tag);
  const levels: ((d: Descriptor) => boolean)[] = [
    (d) => refName(d) === full,
    (d) => containerdName(d) === full,
    (d) => refName(d) === tag && (containerdName(d) === undefined || containerdName(d) === full),
  ];
  for (const matches of levels) {
    const found = entries.findLast(matches);
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * True when an existing entry names the same image as `fullName` and must be
 * replaced rather than duplicated by a new `tag()`: same ref.name, or a
 * containerd-style entry with the same image name. Bare-tag entries are left
 * alone, since they may belong to another repository.
 */
export function isSameRef(entry: Descriptor, fullName: string): boolean {
  return refName(entry) === fullName || containerdName(entry) === fullName;
}
