/**
 * A small reader for tar headers (POSIX ustar, pax extended headers, GNU long
 * names, base-256 sizes), used to index an archive by seeking from header to
 * header instead of streaming every byte: opening a multi-gigabyte bundle then
 * costs one 512-byte read per entry. tar-stream does the writing; its extractor
 * has to read the data to reach the next header, so it cannot do this.
 */

/** Tar block size: headers and data are padded to multiples of it. */
export const TAR_BLOCK = 512;

/** The entry kinds a header can announce, by typeflag. */
export type TarEntryKind =
  | "file"
  | "directory"
  | "symlink"
  | "hardlink"
  | "character-device"
  | "block-device"
  | "fifo"
  | "pax-header"
  | "pax-global-header"
  | "gnu-long-name"
  | "gnu-long-link"
  | "unknown";

/** One decoded 512-byte header, before pax or GNU long-name overrides are applied. */
export interface TarHeader {
  readonly name: string;
  readonly kind: TarEntryKind;
  /** The raw typeflag character, for messages about unknown kinds. */
  readonly typeflag: string;
  readonly size: number;
  readonly linkname: string;
  readonly mode: number;
}

/** The outcome of decoding a header block. */
export type TarHeaderResult =
  | { readonly kind: "header"; readonly header: TarHeader }
  | { readonly kind: "end" }
  | { readonly kind: "invalid"; readonly reason: string };

/** Rounds a data size up to whole blocks. */
export function paddedSize(size: number): number {
  return Math.ceil(size / TAR_BLOCK) * TAR_BLOCK;
}

function kindOf(typeflag: string): TarEntryKind {
  switch (typeflag) {
    case "0":
    case "\0":
    case "7": // contiguous file: a regular file everywhere that matters
      return "file";
    case "1":
      return "hardlink";
    case "2":
      return "symlink";
    case "3":
      return "character-device";
    case "4":
      return "block-device";
    case "5":
      return "directory";
    case "6":
      return "fifo";
    case "x":
      return "pax-header";
    case "g":
      return "pax-global-header";
    case "L":
      return "gnu-long-name";
    case "K":
      return "gnu-long-link";
    default:
      return "unknown";
  }
}

/** A NUL-terminated string field, decoded as UTF-8. */
function readString(block: Uint8Array, offset: number, length: number): string {
  const field = block.subarray(offset, offset + length);
  const nul = field.indexOf(0);
  return Buffer.from(nul < 0 ? field : field.subarray(0, nul)).toString("utf8");
}

/**
 * A numeric field: octal digits (padded with spaces or NULs), or GNU base-256
 * when the high bit of the first byte is set (sizes of 8 GiB and more).
 * Undefined when the field is malformed or the value is not a safe integer.
 */
export function readNumber(block: Uint8Array, offset: number, length: number): number | undefined {
  const field = block.subarray(offset, offset + length);
  const first = field[0] ?? 0;
  if (first & 0x80) {
    if (first !== 0x80) return undefined; // 0xff: negative, never valid for a size
    let value = 0;
    for (let i = 1; i < field.length; i++) {
      value = value * 256 + (field[i] ?? 0);
      if (!Number.isSafeInteger(value)) return undefined;
    }
    return value;
  }
  const text = Buffer.from(field).toString("latin1").replace(/[\0 ]+$/, "").replace(/^[ ]+/, "");
  if (text === "") return 0;
  if (!/^[0-7]+$/.test(text)) return undefined;
  const value = parseInt(text, 8);
  return Number.isSafeInteger(value) ? value : undefined;
}

function checksumMatches(block: Uint8Array): boolean {
  const stored = readNumber(block, 148, 8);
  if (stored === undefined) return false;
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < TAR_BLOCK; i++) {
    const byte = i >= 148 && i < 156 ? 0x20 : (block[i] ?? 0);
    unsigned += byte;
    signed += byte > 127 ? byte - 256 : byte;
  }
  return stored === unsigned || stored === signed;
}

/** Decodes one header block; an all-zero block is the end-of-archive marker. */
export function parseTarHeader(block: Uint8Array): TarHeaderResult {
  if (block.length !== TAR_BLOCK) return { kind: "invalid", reason: `a header must be ${TAR_BLOCK} bytes, got ${block.length}` };
  if (block.every((b) => b === 0)) return { kind: "end" };
  if (!checksumMatches(block)) return { kind: "invalid", reason: "header checksum does not match (not a tar archive, or damaged)" };
  const size = readNumber(block, 124, 12);
  if (size === undefined) return { kind: "invalid", reason: "header has an unreadable size field" };
  const mode = readNumber(block, 100, 8) ?? 0;
  const typeflag = String.fromCharCode(block[156] ?? 0);
  let name = readString(block, 0, 100);
  const magic = Buffer.from(block.subarray(257, 263)).toString("latin1");
  if (magic === "ustar\0") {
    const prefix = readString(block, 345, 155);
    if (prefix !== "") name = `${prefix}/${name}`;
  }
  let kind = kindOf(typeflag);
  // Pre-POSIX archives mark directories with a trailing slash on a regular entry.
  if (kind === "file" && typeflag === "\0" && name.endsWith("/")) kind = "directory";
  return { kind: "header", header: { name, kind, typeflag, size, linkname: readString(block, 157, 100), mode } };
}

/** The outcome of decoding a pax extended header's records. */
export type PaxResult = { readonly ok: true; readonly records: ReadonlyMap<string, string> } | { readonly ok: false; readonly reason: string };

/** Decodes pax records (`<len> <key>=<value>\n`, POSIX.1-2001). */
export function parsePaxRecords(data: Uint8Array): PaxResult {
  const records = new Map<string, string>();
  let pos = 0;
  while (pos < data.length) {
    if (data[pos] === 0) break; // padding
    const space = data.indexOf(0x20, pos);
    if (space < 0) return { ok: false, reason: "pax record without a length" };
    const lengthText = Buffer.from(data.subarray(pos, space)).toString("latin1");
    if (!/^[0-9]+$/.test(lengthText)) return { ok: false, reason: `pax record length "${lengthText}" is not a number` };
    const length = parseInt(lengthText, 10);
    const end = pos + length;
    if (length <= space - pos + 1 || end > data.length || data[end - 1] !== 0x0a) return { ok: false, reason: "pax record length does not fit the header" };
    const record = Buffer.from(data.subarray(space + 1, end - 1)).toString("utf8");
    const eq = record.indexOf("=");
    if (eq <= 0) return { ok: false, reason: "pax record without a key" };
    records.set(record.slice(0, eq), record.slice(eq + 1));
    pos = end;
  }
  return { ok: true, records };
}
