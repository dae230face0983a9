// The sweep screen drawn from a fixed stream of sweep events (ink-testing-library): one row per member
// with status, phase, progress, score and D gap, the totals and ETA, failures with their log paths.
import { test } from "node:test";
import assert from "node:assert/strict";
import { render } from "ink-testing-library";
import type { MemberRow, SweepEvent } from "../../runtime/sweep/events.js";
import { groupMean } from "../../runtime/engine/eval/groups.js";
import { emptySweepView, reduceSweep, sweepCounts, sweepEta, type SweepView } from "../../runtime/tui/sweep-state.js";
import { SweepApp } from "../../runtime/tui/sweep-app.js";
import { sweepPlainSink } from "../../runtime/sinks/sweep-plain.js";

const row = (index: number, name: string, extra: Partial<MemberRow> = {}): MemberRow => ({ index, name, hash: `${index}`.repeat(12), runDir: `runs/m-${index}`, status: "new", step: 0, totalSteps: 12, phase: null, share: null, estimate: 8, scores: null, dGap: null, seconds: 0, reason: null, log: null, ...extra });

function events(): SweepEvent[] {
  return [
    { type: "sweep-start", sweep: "micro_sweep", dir: "runs/sweeps/micro_sweep", launcher: "local", jobs: 2, time: 0, members: [row(0, "variant=base"), row(1, "variant=csds_1", { share: "member 0 after priming" }), row(2, "variant=conv_head", { share: "member 0 after priming" }), row(3, "variant=done", { status: "finished", step: 12 })] },
    { type: "member-start", index: 0, resumedFrom: null, share: null, log: "runs/sweeps/micro_sweep/logs/0.log", time: 1000 },
    { type: "member-progress", index: 0, phase: "equilibrium", step: 9, totalSteps: 12, stepsPerSecond: 2, dGap: 0.125, time: 5500 },
    { type: "member-eval", index: 0, step: 8, nfe: 4, scores: { semantic_alignment: 90, temporal_coherence: 60, frame_quality: 60 }, time: 5000 },
    { type: "member-eval", index: 0, step: 8, nfe: 1, scores: { semantic_alignment: 80, temporal_coherence: 40, frame_quality: 30 }, time: 5000 },
    { type: "member-start", index: 2, resumedFrom: null, share: "member 0 after priming", log: "runs/sweeps/micro_sweep/logs/2.log", time: 5000 },
    { type: "member-end", index: 2, status: "failed", exit: 1, reason: "cannot load the teacher", log: "runs/sweeps/micro_sweep/logs/2.log", time: 6000 },
    { type: "note", index: null, message: "1 member failed before and is left alone", time: 6000 },
  ];
}

function view(): SweepView {
  const v = emptySweepView();
  for (const e of events()) reduceSweep(v, e);
  return v;
}

test("the reducer keeps each member's state, the one-step score and the counts", () => {
  const v = view();
  assert.equal(v.rows[0]!.status, "running");
  assert.equal(v.rows[0]!.step, 9);
  assert.equal(v.rows[0]!.dGap, 0.125);
  assert.equal(v.rows[0]!.scores!["nfe"], 1, "the lowest NFE wins");
  assert.equal(groupMean(v.rows[0]!.scores), 50);
  assert.equal(v.rows[1]!.status, "pending");
  assert.equal(v.rows[2]!.status, "failed");
  assert.deepEqual(sweepCounts(v), { running: 1, pending: 1, failed: 1, finished: 1 });
  // member 0: 9 steps in 4.5 s = 2 steps/s; 3 steps left, and member 1's 12 at the same rate, over 2 workers
  assert.equal(sweepEta(v, 5500), (3 / 2 + 12 / 2) / 2);
});

test("the screen shows one row per member, the totals, failures with their log and the keys", () => {
  const v = view();
  const { lastFrame, unmount } = render(<SweepApp view={v} now={6000} color={false} watching={false} stopping={false} columns={110} />);
  const frame = lastFrame() ?? "";
  unmount();
  const lines = frame.split("\n");
  assert.match(lines[0]!, /^vpae sweep · micro_sweep · 4 members · 2 at a time · 0:06 · ETA 0:04$/);
  const r0 = lines.find((l) => /^\s+0 variant=base/.test(l))!;
  assert.match(r0, /running\s+equilibrium\s+\S+\s+9\/12\s+50\.0\s+0\.13\s+0:05/);
  assert.match(lines.find((l) => /^\s+1 variant=csds_1/.test(l))!, /pending\s+from #0 after priming/);
  assert.match(lines.find((l) => /^\s+3 variant=done/.test(l))!, /finished .* 12\/12/);
  assert.match(frame, /1 running · 1 pending · 1 failed · 1 finished/);
  assert.match(frame, /member 2 failed: cannot load the teacher \(log runs\/sweeps\/micro_sweep\/logs\/2\.log\)/);
  assert.match(frame, /1 member failed before and is left alone/);
  assert.match(frame, /q or Ctrl-C: stop every member at a checkpoint/);
  for (const l of lines) assert.ok(l.length <= 110, `fits 110 columns: ${l}`);
});

test("outside a terminal the same events are plain lines, the failure with its log at once", () => {
  const out: string[] = [];
  const sink = sweepPlainSink((l) => out.push(l));
  for (const e of events()) sink(e);
  assert.equal(out[0], "sweep micro_sweep: 4 members, 2 at a time; record runs/sweeps/micro_sweep");
  assert.ok(out.includes("[0] started variant=base; log runs/sweeps/micro_sweep/logs/0.log"));
  assert.ok(out.includes("[0] equilibrium, step 9/12, D gap 0.13"));
  assert.ok(out.includes("[2] started variant=conv_head, from member 0 after priming; log runs/sweeps/micro_sweep/logs/2.log"));
  assert.ok(out.includes("[2] FAILED variant=conv_head (exit 1): cannot load the teacher\n    log: runs/sweeps/micro_sweep/logs/2.log"), out.join("\n"));
});
