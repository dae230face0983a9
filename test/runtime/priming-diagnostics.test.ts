// Priming's fake-score diagnostics (issue 11: does the LoRA move at all?). Every vsd/dmd/sid term logs
// `fake_vs_teacher`, the distance between the fake score's x0 estimate and the guided teacher's (the
// size of the gradient it applies), and `fake_shift`, the distance to the unguided teacher's estimate
// (0 while a zero-initialised LoRA has not moved).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { runCli, tempDir } from "../helpers.js";

type Row = { phase: string; stats: Record<string, number> };

function primingRows(...set: string[]): Row[] {
  const runs = tempDir({});
  const r = runCli(["run", "experiments/micro-distill.vpae", "--runs-dir", runs, "--no-tui", "--set", "phase.equilibrium.steps=1", ...set.flatMap((s) => ["--set", s])]);
  assert.equal(r.status, 0, r.stderr + r.stdout);
  const [name] = readdirSync(runs);
  const rows = readFileSync(join(runs, name!, "metrics.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as Row);
  return rows.filter((x) => x.phase === "priming");
}

test("vsd logs the fake score's distance to the guided teacher and its shift from the unguided one; the shift grows from zero as the LoRA trains", () => {
  const rows = primingRows();
  assert.equal(rows.length, 4);
  for (const row of rows) {
    const [gap, shift] = [row.stats["vsd/fake_vs_teacher"]!, row.stats["vsd/fake_shift"]!];
    assert.ok(Number.isFinite(gap) && Number.isFinite(shift), JSON.stringify(row.stats));
    // the teacher is guided (guidance 2), so the guided gap is not the shift
    assert.notEqual(gap, shift);
  }
  assert.ok(rows.at(-1)!.stats["vsd/fake_shift"]! > 0, "the LoRA has moved after 8 fake-score updates");
});

test("with an unguided teacher the two distances are the same number, so the shift is measured against the unguided estimate", () => {
  for (const row of primingRows("phase.priming.loss.vsd.guidance=1")) assert.equal(row.stats["vsd/fake_shift"], row.stats["vsd/fake_vs_teacher"]);
});
