/**
 * The saved plan file (`plan -out FILE`): versioned, checksummed JSON that
 * apply reads back and checks before doing anything, so that what runs is
 * exactly what was reviewed.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { AirgapError } from "../core/errors.js";
import { writeFileAtomic } from "../fs/atomic-file.js";
import { PLAN_FORMAT_VERSION, type Plan } from "./model.js";

/** What a plan was made from; apply compares these with the current inputs. */
export interface PlanInputs {
  readonly configSha256: string;
  readonly lockSha256?: string;
  readonly bundleSha256?: string;
  readonly targets?: readonly string[];
}

/** The file's content. */
export interface PlanFile {
  readonly formatVersion: typeof PLAN_FORMAT_VERSION;
  readonly airgapVersion: string;
  readonly inputs: PlanInputs;
  readonly plan: Plan;
  readonly checksum: string;
}

/** A plan file cannot be used: unreadable, edited, from another config, or too new. */
export class PlanFileError extends AirgapError {
  constructor(code: "PLAN_UNREADABLE" | "PLAN_MODIFIED" | "PLAN_INVALID" | "PLAN_TOO_NEW" | "PLAN_OTHER_INPUTS", message: string) {
    super(code, message);
  }
}

/** SHA-256 hex of bytes or text: the hash of inputs recorded in plans. */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** JSON with object keys sorted at every level: one byte sequence per value, for checksums. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

function checksumOf(file: Omit<PlanFile, "checksum">): string {
  return sha256Hex(canonicalJson(file));
}

/** Builds the file content for a plan. */
export function createPlanFile(plan: Plan, inputs: PlanInputs, airgapVersion: string): PlanFile {
  const body = { formatVersion: PLAN_FORMAT_VERSION, airgapVersion, inputs, plan };
  return { ...body, checksum: checksumOf(body) };
}

/** Writes a plan file atomically (never a half-written plan). */
export async function writePlanFile(path: string, file: PlanFile): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(file, null, 2)}\n`);
}

let validateShape: ((value: unknown) => boolean) & { errors?: { instancePath: string; message?: string }[] | null } | undefined;

/** Reads, parses, schema-checks and checksum-checks a plan file. */
export async function readPlanFile(path: string): Promise<PlanFile> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new PlanFileError("PLAN_UNREADABLE", `cannot read plan file ${path}: ${(error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (error as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new PlanFileError("PLAN_UNREADABLE", `plan file ${path} is not valid JSON (truncated or not a plan file); make a new one with \`airgap plan -out ${path}\``);
  }
  const version = (value as { formatVersion?: unknown } | null)?.formatVersion;
  if (typeof version === "number" && version > PLAN_FORMAT_VERSION) {
    throw new PlanFileError("PLAN_TOO_NEW", `plan file ${path} has format version ${version}; this airgap reads version ${PLAN_FORMAT_VERSION}: use a newer airgap`);
  }
  if (!validateShape) {
    const { Ajv2020 } = await import("ajv/dist/2020.js");
    validateShape = new Ajv2020({ allErrors: false, strict: true, logger: false }).compile(createRequire(import.meta.url)("../../schema/plan.schema.json") as object);
  }
  if (!validateShape(value)) {
    const first = validateShape.errors?.[0];
    throw new PlanFileError("PLAN_INVALID", `plan file ${path} is not a valid plan (${first?.instancePath || "/"} ${first?.message ?? ""}); make a new one with \`airgap plan -out\``);
  }
  const file = value as PlanFile;
  const { checksum, ...body } = file;
  if (checksumOf(body) !== checksum) {
    throw new PlanFileError("PLAN_MODIFIED", `plan file ${path} was changed after airgap wrote it (checksum mismatch); a reviewed plan must be applied as written: make a new one with \`airgap plan -out\``);
  }
  return file;
}

/** Checks that a plan was made from the inputs at hand; throws PlanFileError naming what differs. */
export function assertSameInputs(file: PlanFile, current: PlanInputs, path: string): void {
  const differs: string[] = [];
  if (file.inputs.configSha256 !== current.configSha256) differs.push("airgap.yaml");
  if ((file.inputs.lockSha256 ?? "") !== (current.lockSha256 ?? "")) differs.push("airgap.lock");
  if ((file.inputs.bundleSha256 ?? "") !== (current.bundleSha256 ?? "")) differs.push("the bundle");
  if (differs.length > 0) {
    throw new PlanFileError("PLAN_OTHER_INPUTS", `plan file ${path} was made from a different ${differs.join(" and ")}: the inputs changed since the plan was made. Run \`airgap plan -out ${path}\` again and review it`);
  }
}
