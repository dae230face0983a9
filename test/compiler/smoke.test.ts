import { test } from "node:test";
import assert from "node:assert/strict";
import { compileText, errors, MINIMAL } from "../helpers.js";

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
