/**
 * Colour is the CLI's decision, passed to the Ink renderer, not something
 * the CLI writes into process.env for the terminal library to read (issue 10
 * item 3). The renderer runs in a child whose environment forces colour, so
 * only the `colour` argument can turn it off.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";

const root = new URL("../../", import.meta.url).pathname;

const script = `
import { render } from "ink-testing-library";
import { createElement } from "react";
const { App } = await import("./dist/src/ui/ink/App.js");
const { INITIAL_STATE } = await import("./dist/src/ui/ink/store.js");
const state = { ...INITIAL_STATE, finished: [{ key: "0", text: "+ create x", tone: "plan", planStyle: "create" }, { key: "1", text: "failed y", tone: "error" }] };
const frames = {};
for (const colour of [true, false]) {
  const view = render(createElement(App, { source: { get: () => state, subscribe: () => () => undefined }, colour }));
  frames[String(colour)] = view.lastFrame();
  view.unmount();
}
console.log(JSON.stringify(frames));
`;

describe("the Ink view's colour", () => {
  it("comes from the colour the CLI passes, whatever FORCE_COLOR says", () => {
    expect(existsSync(`${root}dist/src/ui/ink/App.js`), "run `npm run build` first").toBe(true);
    const run = spawnSync(process.execPath, ["--input-type=module", "-e", script], { cwd: root, env: { PATH: process.env["PATH"] ?? "", FORCE_COLOR: "1" }, encoding: "utf8" });
    expect(run.stderr).toBe("");
    const frames = JSON.parse(run.stdout) as Record<string, string>;
    // Coloured when asked: the environment does allow colour, so the next check can fail.
    expect(frames["true"]).toContain("\u001b[32m+ create x");
    expect(frames["true"]).toContain("\u001b[31mfailed y");
    // Not coloured when the CLI says no, and every word still there.
    expect(frames["false"]).toBe("+ create x\nfailed y\n");
  });
});
