// Drives the Ink screen from run events: folds each event into the view at once, and redraws at most
// 10 times a second (and once a second for the clock), so that a fast run does not pay for a frame per
// step. It also measures its own rendering time and drops frames while that exceeds 2% of the wall
// time, which keeps the "the UI costs <= 3% of a step" budget by construction on a slow or
// busy machine. Keys steer the run through its RunControl.
import { render, type Instance } from "ink";
import type { RunEvent, RunListener } from "../engine/events.js";
import { emptyView, reduce, type RunView } from "./state.js";
import { detectAlarms } from "./alarms.js";
import { Screen, type Controls } from "./app.js";

export interface LiveControl {
  stopRequested: boolean;
  paused?: boolean;
  sampleRequested?: boolean;
}

export interface LiveOptions {
  /** Absent for `vpae watch` (read-only). */
  control?: LiveControl;
  watching?: boolean;
  color?: boolean;
  stdout?: NodeJS.WriteStream;
  stdin?: NodeJS.ReadStream;
  /** Frames per second at most (default 10). */
  fps?: number;
  /** Share of the wall time the screen may spend rendering before it drops frames (default 0.02). */
  budget?: number;
  /** Called on a second Ctrl-C (the run command exits at once). */
  onForceQuit?: () => void;
}

export interface LiveScreen {
  listener: RunListener;
  view: RunView;
  /** Milliseconds spent rendering so far, and frames drawn. */
  cost(): { ms: number; frames: number };
  /** Draws the last frame and releases the terminal. */
  close(): Promise<void>;
}

/** Erase the visible screen (the scroll-back stays), cursor home. */
const CLEAR_SCREEN = "\u001b[2J\u001b[H";

export function startLive(opts: LiveOptions): LiveScreen {
  const view = emptyView();
  const control = opts.control;
  let help = false;
  let dirty = true;
  let ctrlC = 0;
  let ms = 0;
  let frames = 0;
  let lastClock = 0;
  const budget = opts.budget ?? 0.02;
  const controls = (): Controls => ({
    ...(control
      ? {
          stop: () => (control.stopRequested = true),
          togglePause: () => (control.paused = !control.paused),
          sampleNow: () => (control.sampleRequested = true),
          paused: control.paused === true,
          stopping: control.stopRequested,
        }
      : {}),
  });
  const onKey = (key: string) => {
    if (key === "?") help = !help;
    else if (key === "ctrl-c") {
      ctrlC++;
      if (!control || ctrlC > 1) opts.onForceQuit?.();
      else control.stopRequested = true;
    } else if (!control && key === "q") opts.onForceQuit?.();
    else if (control && key === "q") control.stopRequested = true;
    else if (control && key === "p") control.paused = !control.paused;
    else if (control && key === "s") control.sampleRequested = true;
    dirty = true;
    draw();
  };
  const element = () => <Screen view={view} alarms={detectAlarms(view)} now={Date.now()} controls={controls()} watching={opts.watching === true} color={opts.color !== false} help={help} onKey={onKey} />;
  const mount = (): Instance =>
    render(element(), {
      exitOnCtrlC: false,
      patchConsole: false,
      ...(opts.stdout ? { stdout: opts.stdout } : {}),
      ...(opts.stdin ? { stdin: opts.stdin } : {}),
    });
  // A terminal reflows what is on it when it is resized, so Ink's "erase the last frame's lines" no
  // longer matches the screen (stale fragments above a narrower frame, a second header under a wider
  // one). On a resize the screen is therefore cleared and drawn afresh by a new Ink instance. This
  // listener is registered before Ink's own, so Ink's redraw of the old instance never runs.
  const out = opts.stdout ?? process.stdout;
  const onResize = () => {
    const t = performance.now();
    instance.unmount();
    out.write(CLEAR_SCREEN);
    instance = mount();
    ms += performance.now() - t;
    frames++;
  };
  out.on("resize", onResize);
  const started = performance.now();
  let instance = mount();
  ms += performance.now() - started;
  frames++;
  function draw(): void {
    const t = performance.now();
    instance.rerender(element());
    ms += performance.now() - t;
    frames++;
    dirty = false;
  }
  const timer = setInterval(
    () => {
      const now = Date.now();
      // over its share of the wall time, the screen skips frames until it is back under (keys still
      // redraw at once)
      if (ms > budget * (performance.now() - started)) return;
      if (dirty || now - lastClock >= 1000) {
        lastClock = now;
        draw();
      }
    },
    Math.round(1000 / (opts.fps ?? 10)),
  );
  return {
    view,
    listener: (e: RunEvent) => {
      const t = performance.now();
      reduce(view, e);
      ms += performance.now() - t;
      dirty = true;
    },
    cost: () => ({ ms, frames }),
    async close() {
      clearInterval(timer);
      out.off("resize", onResize);
      draw();
      instance.unmount();
      // not waitUntilExit(): its promise can stay pending after unmount, and a pending promise with an
      // empty event loop ends the process (exit code 0) before the caller's summary
      instance.cleanup();
    },
  };
}
