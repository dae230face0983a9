// Drives the Ink screen from run events: folds each event into the view at once, and redraws at most
// 10 times a second (and once a second for the clock), so that a fast run does not pay for a frame per
// step. Keys steer the run through its RunControl. Also measures its own rendering time, the figure
// behind the "the UI costs <= 3% of a step" budget.
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

export function startLive(opts: LiveOptions): LiveScreen {
  const view = emptyView();
  const control = opts.control;
  let help = false;
  let dirty = true;
  let ctrlC = 0;
  let ms = 0;
  let frames = 0;
  let lastClock = 0;
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
  const started = performance.now();
  const instance: Instance = render(element(), {
    exitOnCtrlC: false,
    patchConsole: false,
    ...(opts.stdout ? { stdout: opts.stdout } : {}),
    ...(opts.stdin ? { stdin: opts.stdin } : {}),
  });
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
      draw();
      instance.unmount();
      // not waitUntilExit(): its promise can stay pending after unmount, and a pending promise with an
      // empty event loop ends the process (exit code 0) before the caller's summary
      instance.cleanup();
    },
  };
}
