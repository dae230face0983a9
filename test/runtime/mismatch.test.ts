// A phase with the matching-aware discriminator term runs, logs its logits and stays leak-free.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { runCli } from "../helpers.js";
import { microCopy } from "../sweep/helpers.js";

test("gan_mismatch trains the discriminator on real clips under wrong prompts", () => {
  const dir = microCopy({
    "mismatch.vpae": `import "micro-distill.vpae"

experiment mismatch extends micro_distill {
  phase equilibrium {
    loss gan_mismatch {
      weight = 0.5
    }
  }
}
`,
  });
  const runs = join(dir, "runs");
  const r = runCli(["run", join(dir, "mismatch.vpae"), "--runs-dir", runs, "--no-tui", "--debug"]);
  assert.equal(r.status, 0, r.stderr + r.stdout);
  const run = join(runs, readdirSync(runs)[0]!);
  const steps = readFileSync(join(run, "metrics.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { phase: string; losses: Record<string, number>; stats: Record<string, number> });
  const eq = steps.filter((s) => s.phase === "equilibrium");
  assert.equal(eq.length, 5);
  for (const s of eq) {
    assert.ok(Number.isFinite(s.losses["gan_mismatch"]), "the term is logged");
    assert.ok(Number.isFinite(s.stats["d/d/logit_mismatch"]) && s.stats["d/d/mismatch_accuracy"]! >= 0 && s.stats["d/d/mismatch_accuracy"]! <= 1);
  }
  const plan = JSON.parse(readFileSync(join(run, "plan.json"), "utf8")) as { phases: { name: string; losses: { kind: string; discriminator?: string; weight: unknown }[] }[] };
  const term = plan.phases.find((p) => p.name === "equilibrium")!.losses.find((l) => l.kind === "gan_mismatch")!;
  assert.deepEqual([term.discriminator, term.weight], ["d", { kind: "constant", value: 0.5 }]);
});
