/**
 * The writable repository view of a layout directory: what the copy graph
 * pushes into when the target is an `oci-layout` registry.
 */
import type { Readable } from "node:stream";
import type { Descriptor } from "../../core/oci-types.js";
import type { CallOptions, ContentWriter } from "../content.js";
import { isValidTag } from "../../core/reference.js";
import { LayoutError } from "./errors.js";
import { fullRefName } from "./ref-name.js";
import { LayoutRepository } from "./repository-view.js";
import type { LayoutStore } from "./store.js";

/** The write operations of a layout directory that a repository view delegates to. */
export interface LayoutWriteTarget extends LayoutStore {
  pushBlob(descriptor: Descriptor, content: Readable, options?: CallOptions): Promise<unknown>;
  setRef(descriptor: Descriptor, refName: string, options?: CallOptions): Promise<unknown>;
}

/** One repository of a layout directory, readable and writable. */
export class LayoutDirectoryRepository extends LayoutRepository implements ContentWriter {
  private readonly target: LayoutWriteTarget;

  constructor(target: LayoutWriteTarget, repository: string) {
    super(target, repository);
    this.target = target;
  }

  /** Stores verified content under its digest; a blob already present is skipped. */
  async push(descriptor: Descriptor, content: Readable, options: CallOptions = {}): Promise<void> {
    await this.target.pushBlob(descriptor, content, options);
  }

  /** Writes the index.json entry `<repository>:<tag>` (full name in ref.name and io.containerd.image.name). */
  async tag(descriptor: Descriptor, tag: string, options: CallOptions = {}): Promise<void> {
    if (!isValidTag(tag)) throw new LayoutError("INVALID_REFERENCE", this.store.name, `"${tag}" is not a valid tag ([A-Za-z0-9_][A-Za-z0-9._-]{0,127})`);
    await this.target.setRef(descriptor, fullRefName(this.repository, tag), options);
  }

  /** All repositories of a layout share one blob store: a "mount" succeeds exactly when the blob is already there. */
  async mount(descriptor: Descriptor, _fromRepository: string, options: CallOptions = {}): Promise<boolean> {
    return this.exists(descriptor, options);
  }
}
