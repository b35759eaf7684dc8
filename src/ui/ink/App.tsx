/**
 * The Ink app for plan and apply: finished lines in <Static> (drawn once,
 * scroll away like normal output), and below them the live part: an overall
 * bar with bytes, rate and ETA, and a row per artifact in flight.
 */
import { Box, Static, Text } from "ink";
import { useEffect, useState } from "react";
import { formatBytes } from "../format/bytes.js";
import { progressOf, type FinishedLine, type UiState } from "./store.js";

/** Subscribes the app to state changes. */
export interface StateSource {
  get(): UiState;
  subscribe(listener: () => void): () => void;
}

const BAR_WIDTH = 30;

function bar(fraction: number): string {
  const filled = Math.max(0, Math.min(BAR_WIDTH, Math.round(fraction * BAR_WIDTH)));
  return `${"█".repeat(filled)}${"░".repeat(BAR_WIDTH - filled)}`;
}

function eta(seconds: number | undefined): string {
  if (seconds === undefined) return "";
  if (seconds < 60) return ` ETA ${Math.ceil(seconds)}s`;
  return ` ETA ${Math.floor(seconds / 60)}m${String(Math.ceil(seconds % 60)).padStart(2, "0")}s`;
}

const PLAN_COLOURS: Partial<Record<NonNullable<FinishedLine["planStyle"]>, string>> = { create: "green", update: "yellow", delete: "red" };

function Finished({ line, styled }: { readonly line: FinishedLine; readonly styled: boolean }) {
  if (line.tone === "plan") {
    const style = line.planStyle ?? "plain";
    const colour = styled ? PLAN_COLOURS[style] : undefined;
    return (
      <Text {...(colour ? { color: colour } : {})} bold={styled && (style === "heading" || style === "summary")} dimColor={styled && style === "dim"}>
        {line.text || " "}
      </Text>
    );
  }
  const colour = !styled ? undefined : line.tone === "ok" ? "green" : line.tone === "error" ? "red" : undefined;
  return <Text {...(colour ? { color: colour } : {})}>{line.text}</Text>;
}

/**
 * The app: redraws at most ten times a second, whatever the event rate. Each
 * render reads the latest state from the source, so a final `rerender` (the
 * view's close) draws everything, including what arrived within the last
 * 100 ms: a state update during unmount would be dropped. `colour` false
 * (NO_COLOR, --no-color) draws no colour, bold or dim at all: the choice is
 * passed in, never left to what the terminal library reads from the environment.
 */
export function App({ source, now = Date.now, colour = true }: { readonly source: StateSource; readonly now?: () => number; readonly colour?: boolean }) {
  const [, setVersion] = useState(0);
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const unsubscribe = source.subscribe(() => {
      timer ??= setTimeout(() => {
        timer = undefined;
        setVersion((v) => v + 1);
      }, 100);
    });
    return () => {
      unsubscribe();
      if (timer) clearTimeout(timer);
    };
  }, [source]);
  const state = source.get();
  const progress = progressOf(state, now());
  const running = state.startedAt !== undefined && state.summary === undefined;
  return (
    <>
      <Static items={[...state.finished]}>{(line) => <Finished key={line.key} line={line} styled={colour} />}</Static>
      {running ? (
        <Box flexDirection="column">
          <Text>
            {bar(state.totalBytes > 0 ? progress.bytes / state.totalBytes : 0)} {formatBytes(progress.bytes)} / {formatBytes(state.totalBytes)}
            {progress.rate > 0 ? ` ${formatBytes(progress.rate)}/s` : ""}
            {eta(progress.eta)}
          </Text>
          {state.inFlight.map((f) => (
            <Text key={f.address} dimColor={colour}>
              {"  "}
              {f.address} {f.total > 0 && f.bytes <= f.total ? `${formatBytes(f.bytes)} / ${formatBytes(f.total)}` : formatBytes(f.bytes)}
            </Text>
          ))}
        </Box>
      ) : null}
    </>
  );
}
