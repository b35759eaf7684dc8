/** One entry of a {@link ustar} archive. */
export interface TarEntry {
  readonly name: string;
  readonly type: "file" | "dir";
  readonly data?: Uint8Array;
  /** Permission bits; default 0644 for files, 0755 for directories. */
  readonly mode?: number;
}

function writeString(header: Buffer, offset: number, length: number, value: string): void {
  const bytes = Buffer.from(value, "utf8");
  if (bytes.length > length) throw new Error(`tar header field too long: ${value}`);
  bytes.copy(header, offset);
}

function writeOctal(header: Buffer, offset: number, length: number, value: number): void {
  // length-1 octal digits, zero padded, then NUL.
  writeString(header, offset, length, value.toString(8).padStart(length - 1, "0") + "\0");
}

/**
 * Builds an uncompressed POSIX ustar archive (mtime 0, uid/gid 0, names ≤ 100 bytes), ending
 * with the two zero blocks.
 *
 * Why: image layers must be real tar streams, or skopeo (when converting) and containerd (when
 * unpacking) reject them; a fixed mtime keeps generated layers byte-for-byte reproducible.
 */
export function ustar(entries: readonly TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const data = entry.type === "file" ? Buffer.from(entry.data ?? new Uint8Array()) : Buffer.alloc(0);
    const name = entry.type === "dir" && !entry.name.endsWith("/") ? `${entry.name}/` : entry.name;
    const header = Buffer.alloc(512);
    writeString(header, 0, 100, name);
    writeOctal(header, 100, 8, entry.mode ?? (entry.type === "dir" ? 0o755 : 0o644));
    writeOctal(header, 108, 8, 0);
    writeOctal(header, 116, 8, 0);
    writeOctal(header, 124, 12, data.length);
    writeOctal(header, 136, 12, 0);
    header.fill(0x20, 148, 156); // checksum placeholder: spaces
    writeString(header, 156, 1, entry.type === "dir" ? "5" : "0");
    writeString(header, 257, 6, "ustar\0");
    writeString(header, 263, 2, "00");
    writeString(header, 265, 32, "root");
    writeString(header, 297, 32, "root");
    let sum = 0;
    for (const byte of header) sum += byte;
    writeString(header, 148, 8, sum.toString(8).padStart(6, "0") + "\0 ");
    parts.push(header, data);
    const pad = (512 - (data.length % 512)) % 512;
    if (pad > 0) parts.push(Buffer.alloc(pad));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}
