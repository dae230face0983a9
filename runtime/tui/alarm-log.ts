// Alarms for the plain log: folds events into a view and writes one line each time an alarm fires
// (not again while it stays active). Checked at most once per `every` steps, and at the end of a run.
import type { RunEvent, RunListener } from "../engine/events.js";
import { emptyView, reduce } from "./state.js";
import { AlarmWatch } from "./alarms.js";

export function alarmLog(write: (line: string) => void, every = 5): RunListener {
  const view = emptyView();
  const watch = new AlarmWatch();
  let steps = 0;
  return (e: RunEvent) => {
    reduce(view, e);
    if (e.type === "step" && ++steps % every !== 0 && Object.values(e.losses).every(Number.isFinite)) return;
    if (e.type !== "step" && e.type !== "eval" && e.type !== "run-end") return;
    for (const a of watch.update(view).fired) write(`alarm: ${a.message}`);
  };
}
