// Drives the sweep screen from sweep events: folds each event at once, redraws at most 4 times a
// second (and once a second for the clocks). q or Ctrl-C call `onStop` (the first stops the members at
// a checkpoint, a second stops them at once); in `vpae watch` they leave.
import { render, type Instance } from "ink";
import type { SweepEvent, SweepListener } from "../sweep/events.js";
import { emptySweepView, reduceSweep, type SweepView } from "./sweep-state.js";
import { SweepScreen } from "./sweep-app.js";

export interface SweepScreenOptions {
  color?: boolean;
  watching?: boolean;
  /** Called on q / Ctrl-C with the number of presses so far. */
  onStop?: (presses: number) => void;
  fps?: number;
}

export interface SweepLive {
  listener: SweepListener;
  view: SweepView;
  close(): Promise<void>;
}

export function startSweepScreen(opts: SweepScreenOptions): SweepLive {
  const view = emptySweepView();
  let presses = 0;
  let dirty = true;
  let lastClock = 0;
  const onKey = opts.onStop
    ? (key: string) => {
        if (key !== "q" && key !== "ctrl-c") return;
        presses++;
        opts.onStop!(presses);
        dirty = true;
        draw();
      }
    : undefined;
  const element = () => <SweepScreen view={view} now={Date.now()} color={opts.color !== false} watching={opts.watching === true} stopping={presses > 0} {...(onKey ? { onKey } : {})} />;
  const instance: Instance = render(element(), { exitOnCtrlC: false, patchConsole: false });
  function draw(): void {
    instance.rerender(element());
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
    Math.round(1000 / (opts.fps ?? 4)),
  );
  return {
    view,
    listener: (e: SweepEvent) => {
      reduceSweep(view, e);
      dirty = true;
    },
    async close() {
      clearInterval(timer);
      draw();
      instance.unmount();
      instance.cleanup();
    },
  };
}
