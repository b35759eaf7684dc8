/**
 * The built CLI under a real pseudo-terminal (util-linux `script`), where it
 * draws with Ink: `plan` shows the plan; `apply` without --auto-approve
 * shows the plan, asks, and on "yes" applies and says "Apply complete"
 * (on anything else it cancels and writes nothing).
 */
import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { generateImages } from "../../harness/images.js";
import { CLI, copyAllToLayout, inspect, listTags, planJson, stripAnsi, targetRef, useRegistryPair, workflowConfig } from "./workflow.js";
import type { Workspace } from "./workflow.js";

const images = generateImages("wf-pty");
const PROMPT = "Do you want to apply these changes? Only 'yes' will be accepted:";

const pair = useRegistryPair(images);

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** What a PTY run produced: the raw terminal bytes and a readable version. */
interface PtyRun {
  readonly code: number | null;
  readonly raw: string;
  readonly text: string;
}

/**
 * Runs `airgap ARGS` under `script -qfec`, so stdin, stdout and stderr are a
 * terminal; types `answer` when the confirmation prompt appears. TERM is set
 * and CI is not (the environment is built from scratch).
 */
function runInPty(workspace: Workspace, args: readonly string[], answer?: string): Promise<PtyRun> {
  const { NO_COLOR: _ignored, ...env } = workspace.env({ TERM: "xterm-256color", COLUMNS: "250", LINES: "50" });
  const command = `stty cols 250 rows 50; exec ${[process.execPath, CLI, ...args].map(quote).join(" ")}`;
  const child = spawn("script", ["-qfec", command, "/dev/null"], { cwd: workspace.dir, env, stdio: ["pipe", "pipe", "pipe"] });
  let raw = "";
  let answered = false;
  const onData = (chunk: string) => {
    raw += chunk;
    if (answer !== undefined && !answered && stripAnsi(raw).includes(PROMPT)) {
      answered = true;
      child.stdin.write(`${answer}\r`);
    }
  };
  child.stdout.setEncoding("utf8").on("data", onData);
  child.stderr.setEncoding("utf8").on("data", onData);
  const timer = setTimeout(() => child.kill("SIGKILL"), 40_000);
  return new Promise<PtyRun>((resolve) => {
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, raw, text: stripAnsi(raw) });
    });
  });
}

describe("under a pseudo-terminal", () => {
  it("plan draws the plan with Ink; apply asks, applies on 'yes' and says Apply complete", async () => {
    const ws = pair.workspace("pty");
    ws.writeConfig(
      workflowConfig({
        upstreamHost: pair.upstream.host,
        upstreamUrl: pair.upstream.url,
        mirrorUrl: pair.mirror.url,
        images: [`${pair.upstream.host}/team/sub/app:v1`, `${pair.upstream.host}/team/sub/legacy:v1`],
      }),
    );
    const planned = await planJson(ws);

    const plan = await runInPty(ws, ["plan"]);
    expect(plan.code).toBe(0);
    expect(plan.raw).toContain("\x1b[?25l"); // Ink hides the cursor while it draws; the plain view never does
    expect(plan.text).toContain("mirror: mke/team/sub/app\n");
    expect(plan.text).toContain(`+ :v1 ← ${pair.upstream.host}/team/sub/app:v1`);
    expect(plan.text).toContain(`+ :v1 ← ${pair.upstream.host}/team/sub/legacy:v1`);
    expect(plan.text).toMatch(/Plan: 2 to add, 0 to change, 0 to destroy\./);

    // Anything but "yes" cancels.
    const cancelled = await runInPty(ws, ["apply"], "no");
    expect(cancelled.text).toContain(PROMPT);
    expect(cancelled.text).toContain("Apply cancelled.");
    expect(cancelled.code).toBe(1);
    expect(await listTags(pair.mirror, "mke/team/sub/app")).toEqual([]);

    const apply = await runInPty(ws, ["apply"], "yes");
    expect(apply.raw).toContain("\x1b[?25l");
    const promptAt = apply.text.indexOf(PROMPT);
    expect(promptAt).toBeGreaterThan(0);
    // The plan before the question, the outcome after it.
    expect(apply.text.slice(0, promptAt)).toMatch(/Plan: 2 to add, 0 to change, 0 to destroy\./);
    const after = apply.text.slice(promptAt);
    expect(after).toMatch(/created bundle\.platform\.image\["[^"]+\/team\/sub\/app:v1"\]/);
    expect(after).toMatch(/created bundle\.platform\.image\["[^"]+\/team\/sub\/legacy:v1"\]/);
    expect(after).toContain("Apply complete: 2 done, 0 failed, 0 not started.");
    expect(apply.code).toBe(0);

    for (const change of planned.changes) {
      expect((await inspect(pair.mirror.host, targetRef(change))).digest).toBe(change.after);
      await copyAllToLayout(pair.mirror.host, targetRef(change));
    }
    const again = await runInPty(ws, ["plan"]);
    expect(again.text).toContain("No changes. 2 objects up to date.");
    expect(again.code).toBe(0);
  });
});
