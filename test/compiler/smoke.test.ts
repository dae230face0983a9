import { test } from "node:test";
import assert from "node:assert/strict";
import { compileText, errors, fromRoot, MINIMAL, vpaeFiles } from "../helpers.js";
import { compileFile } from "../../compiler/program.js";

test("a minimal experiment compiles to a plan with a hash", () => {
  const r = compileText(MINIMAL);
  assert.deepEqual(errors(r), []);
  assert.equal(r.plans.length, 1);
  assert.match(r.plans[0]!.plan.hash, /^[0-9a-f]{64}$/);
  assert.equal(r.plans[0]!.plan.phases[0]!.losses[0]!.kind, "c_sds");
});

test("comments and formatting do not change the plan hash", () => {
  const a = compileText(MINIMAL).plans[0]!.plan.hash;
  const b = compileText("// a comment\n" + MINIMAL.replace(/\n/g, "\n\n").replace("steps = 10", "steps   =   10 /* ten */")).plans[0]!.plan.hash;
  assert.equal(a, b);
});

test("checkOnly (vpae check) reports the same diagnostics and lowers the same plans, less hashes and source maps, for every experiment file", () => {
  const strip = (plan: Record<string, unknown>) => {
    const { hash: _h, sourceMap: _s, phases, ...rest } = plan as { hash: string; sourceMap: unknown; phases: { hash: string }[] };
    return { ...rest, phases: phases.map(({ hash: _p, ...p }) => p) };
  };
  const shown = (r: ReturnType<typeof compileFile>) => r.diagnostics.map((d) => `${d.code} ${d.message} ${d.span?.file}:${d.span?.line}:${d.span?.col}`);
  const files = vpaeFiles(fromRoot("experiments"));
  assert.ok(files.length >= 10);
  for (const file of files) {
    const full = compileFile(file);
    const quick = compileFile(file, { checkOnly: true });
    assert.deepEqual(shown(quick), shown(full), file);
    const plans = (r: ReturnType<typeof compileFile>) => [...r.plans.map((p) => p.plan), ...r.sweeps.flatMap((s) => s.members.flatMap((m) => (m.plan ? [m.plan] : [])))];
    const [a, b] = [plans(full), plans(quick)];
    assert.equal(b.length, a.length, file);
    b.forEach((p, i) => {
      assert.equal(p.hash, "");
      assert.deepEqual(p.sourceMap, {});
      assert.deepEqual(strip(p as never), strip(a[i] as never), `${file} plan ${i}`);
    });
  }
});
