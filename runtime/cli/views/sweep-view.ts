// The member table of `vpae sweep --dry-run` and `--status`: index, short plan hash, the values that
// differ from the base, status, steps still to train and an estimated time, then the prefix-sharing
// tree and the totals. Also its JSON form.
import { join, relative } from "node:path";
import { diffPlans, formatValue } from "../../../compiler/plan/diff.js";
import { readPlanFile } from "../../engine/io/run-dir.js";
import type { PlannedMember } from "../../sweep/status.js";
import { sweepTotals } from "../../sweep/status.js";
import type { LoadedSweep } from "../sweep-input.js";

export function duration(s: number | null): string {
  if (s === null) return "?";
  if (s < 90) return `${Math.max(0, Math.round(s))} s`;
  if (s < 5400) return `${(s / 60).toFixed(1)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

/** The member's status in words: new / finished / partial at step k / failed / shares a prefix with member j. */
export function statusWords(m: PlannedMember): string {
  const st = m.state;
  const phaseName = (k: number) => m.spec.plan.phases[k - 1]!.name;
  let s: string;
  switch (st.kind) {
    case "finished":
      s = "finished";
      break;
    case "running":
      s = `running (step ${st.step}/${m.steps.total})`;
      break;
    case "partial":
      s = `partial at step ${st.step}/${m.steps.total}`;
      break;
    case "failed":
      s = `failed${st.step !== null ? ` at step ${st.step}` : ""}${st.exit !== null ? ` (exit ${st.exit})` : ""}`;
      break;
    case "new":
      s = "new";
      break;
  }
  if (m.share) s += `, from ${m.share.member !== null ? `member ${m.share.member}` : m.share.label} after ${phaseName(m.share.phases)}`;
  if (m.changed) s += `, changed (was ${m.changed.was.slice(0, 12)})`;
  return s;
}

function table(rows: string[][], align: ("l" | "r")[]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (align[i] === "r" ? c.padStart(widths[i]!) : i === r.length - 1 ? c : c.padEnd(widths[i]!))).join("  ").trimEnd());
}

/** The sharing tree: each member that trains shared phases, with the members that start from its checkpoints. */
function sharingTree(planned: readonly PlannedMember[]): string[] {
  const out: string[] = [];
  const children = new Map<string, PlannedMember[]>();
  for (const m of planned) {
    if (!m.share) continue;
    const key = m.share.member !== null ? `member ${m.share.member}` : m.share.label;
    children.set(key, [...(children.get(key) ?? []), m]);
  }
  for (const [source, kids] of children) {
    out.push(`  ${source}`);
    const byPhase = new Map<number, PlannedMember[]>();
    for (const k of kids) byPhase.set(k.share!.phases, [...(byPhase.get(k.share!.phases) ?? []), k]);
    const groups = [...byPhase.entries()].sort((a, b) => b[0] - a[0]);
    groups.forEach(([phases, ms], i) => {
      const p = ms[0]!.spec.plan;
      const names = p.phases.slice(0, phases).map((x) => x.name).join(", ");
      const who = ms.length > 1 ? `members ${ms.map((m) => m.spec.index).join(", ")} start` : `member ${ms[0]!.spec.index} starts`;
      out.push(`  ${i === groups.length - 1 ? "└─" : "├─"} ${who} after ${p.phases[phases - 1]!.name} (${names}: ${ms[0]!.share!.step} steps${ms.length > 1 ? " each" : ""})`);
    });
  }
  return out;
}

/** What changed in a member's plan since the sweep last ran, from the old plan the sweep folder keeps. */
function changeWords(dir: string, m: PlannedMember): string {
  let old;
  try {
    old = readPlanFile(join(dir, "plans", `${m.changed!.was}.json`), "the member's earlier plan");
  } catch {
    return `was plan ${m.changed!.was.slice(0, 12)} (its plan file is gone)`;
  }
  const d = diffPlans(old, m.spec.plan);
  const shown = d.changes.slice(0, 3).map((c) => (c.op === "~" ? `${c.path} ${formatValue(c.before)} -> ${formatValue(c.after)}` : `${c.op}${c.path}`));
  const more = d.changes.length > 3 ? ` and ${d.changes.length - 3} more` : "";
  return `${shown.join(", ")}${more}; ${d.rerun.length ? `trains ${d.rerun.join(", ")} again` : "trains nothing new"}`;
}

/** A path relative to the working folder when it lies below it, else absolute. */
function shown(path: string, cwd: string): string {
  const r = relative(cwd, path);
  return r && !r.startsWith("..") ? r : path;
}

/** `listed`: the members --only selects; `run`: those of them the sweep would run (failed ones only when asked). */
export function renderDryRun(s: LoadedSweep, listed: ReadonlySet<number>, run: ReadonlySet<number>, jobs: number, cwd = process.cwd()): string {
  const planned = s.planned.filter((m) => listed.has(m.spec.index));
  const lines: string[] = [];
  const target = s.members[0]?.plan.experiment ?? "?";
  lines.push(`sweep ${s.name} over ${target}: ${s.members.length} member${s.members.length === 1 ? "" : "s"}${planned.length !== s.members.length ? ` (${planned.length} selected)` : ""}, ${shown(s.source, cwd)}`);
  lines.push(`record: ${shown(s.dir, cwd)}`);
  lines.push("");
  const rows = [["#", "hash", "member", "status", "steps", "estimate"]];
  for (const m of planned) {
    const left = run.has(m.spec.index) ? "" : ", left alone (--only failed re-runs it)";
    rows.push([String(m.spec.index), m.spec.plan.hash.slice(0, 12), m.spec.name, statusWords(m) + left, m.state.kind === "finished" ? "-" : m.steps.todo === m.steps.total ? String(m.steps.total) : `${m.steps.todo}/${m.steps.total}`, m.state.kind === "finished" ? "-" : duration(m.seconds)]);
  }
  lines.push(...table(rows, ["r", "l", "l", "l", "r", "r"]));
  const tree = sharingTree(planned);
  const t = sweepTotals(planned.filter((m) => run.has(m.spec.index)));
  if (tree.length > 0) {
    lines.push("", "prefix sharing:", ...tree);
    lines.push(`  saves ${t.saved} of ${t.total} steps (${((100 * t.saved) / Math.max(1, t.total)).toFixed(0)}%)`);
  }
  const changed = planned.filter((m) => m.changed);
  if (changed.length > 0) {
    lines.push("", `${changed.length} member${changed.length === 1 ? "'s" : "s'"} plan changed since the sweep last ran: they are new runs (the old runs stay where they are)`);
    for (const m of changed) lines.push(`  ${m.spec.index}: ${changeWords(s.dir, m)}`);
  }
  const left = planned.filter((m) => m.state.kind !== "finished" && run.has(m.spec.index));
  const workers = Math.max(1, Math.min(jobs, left.length));
  lines.push("");
  lines.push(
    left.length === 0
      ? `nothing to train: ${planned.every((m) => m.state.kind === "finished") ? `all ${planned.length} selected member${planned.length === 1 ? " is" : "s are"} finished` : "every member is finished or left alone"}`
      : `to train: ${t.todo} steps in ${left.length} member${left.length === 1 ? "" : "s"}; estimated ${t.seconds === null ? "? (no earlier run of these phases or settings)" : `${duration(t.seconds)} of work, about ${duration(t.seconds / workers)} on ${workers} worker${workers === 1 ? "" : "s"}`}`,
  );
  return lines.join("\n") + "\n";
}

export function dryRunJson(s: LoadedSweep, selected: ReadonlySet<number>): unknown {
  const planned = s.planned.filter((m) => selected.has(m.spec.index));
  return {
    sweep: s.name,
    source: s.source,
    dir: s.dir,
    members: planned.map((m) => ({
      index: m.spec.index,
      name: m.spec.name,
      changes: m.spec.changes,
      hash: m.spec.plan.hash,
      status: m.state.kind,
      step: m.state.kind === "finished" ? m.steps.total : m.state.kind === "new" ? 0 : m.state.step,
      totalSteps: m.steps.total,
      todo: m.steps.todo,
      runDir: m.runDir,
      share: m.share ? { member: m.share.member, run: m.share.run, phases: m.share.phases, step: m.share.step, after: m.spec.plan.phases[m.share.phases - 1]!.name } : null,
      changed: m.changed,
      estimateSeconds: m.state.kind === "finished" ? 0 : m.seconds,
      estimateBasis: m.basis,
      reason: m.state.kind === "failed" ? m.state.reason : null,
    })),
    totals: sweepTotals(planned),
  };
}
