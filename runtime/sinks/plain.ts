// Plain progress lines for logs, CI and pipes: a few lines per phase, one per evaluation, every warning.
import type { RunEvent, RunListener } from "../engine/events.js";

function fmtNum(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a !== 0 && (a < 1e-3 || a >= 1e4)) return x.toExponential(2);
  return x.toFixed(4);
}

function duration(s: number): string {
  if (s < 90) return `${s.toFixed(1)} s`;
  if (s < 5400) return `${(s / 60).toFixed(1)} min`;
  return `${(s / 3600).toFixed(2)} h`;
}

/** `linesPerPhase` step lines are printed per phase (evenly spaced), plus the first and the last. */
export function plainSink(write: (line: string) => void, linesPerPhase = 10): RunListener {
  let every = 1;
  return (e: RunEvent) => {
    switch (e.type) {
      case "run-start":
        write(`run ${e.experiment} (plan ${e.planHash.slice(0, 12)}) on ${e.backend}: ${e.runDir}${e.resumedFrom !== null ? `, resumed at step ${e.resumedFrom}` : ""}`);
        break;
      case "phase-start":
        every = Math.max(1, Math.floor(e.steps / linesPerPhase));
        write(`phase ${e.index + 1} ${e.phase}: ${e.steps} steps`);
        break;
      case "step":
        if (e.phaseStep === 0 || (e.phaseStep + 1) % every === 0 || e.phaseStep + 1 === e.phaseSteps) {
          const losses = Object.entries(e.losses).map(([k, v]) => `${k} ${fmtNum(v)}`).join("  ");
          write(`  ${e.phase} ${e.phaseStep + 1}/${e.phaseSteps}  ${losses}  ${e.stepsPerSecond.toFixed(2)} steps/s`);
        }
        break;
      case "eval": {
        const s = Object.entries(e.scores).map(([k, v]) => `${k} ${v.toFixed(1)}`).join("  ");
        write(`  eval @${e.step} NFE ${e.nfe}: ${s}  (${(e.latencyMs / 1000).toFixed(2)} s)${e.samplePath ? `  -> ${e.samplePath}` : ""}`);
        break;
      }
      case "checkpoint":
        write(`  checkpoint @${e.step}: ${e.file}`);
        break;
      case "warning":
        write(`warning: ${e.message}`);
        break;
      case "phase-end":
        write(`phase ${e.index + 1} ${e.phase} done in ${duration(e.seconds)}`);
        break;
      case "run-end":
        write(`run ${e.status} at step ${e.step} after ${duration(e.seconds)}${e.reason ? `: ${e.reason}` : ""}`);
        break;
    }
  };
}

/** One JSON event per line (`vpae run --json`). */
export function jsonSink(write: (line: string) => void): RunListener {
  return (e) => write(JSON.stringify(e));
}
