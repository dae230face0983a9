// vpae plan's estimates, the plan diff and plan-file loading.
import { test } from "node:test";
import assert from "node:assert/strict";
import { compileText, errors } from "../helpers.js";
import { estimatePhase, separateDiscriminatorVariant, callsPerUpdate, tokensPerClip } from "../../compiler/estimate.js";
import { diffPlans } from "../../compiler/plan/diff.js";
import { phaseEndSteps, phaseStartStep, totalSteps } from "../../compiler/plan/steps.js";
import { parsePlan } from "../../compiler/plan-file.js";
import { DiagnosticBag } from "../../compiler/diagnostics/diagnostic.js";
import type { Plan } from "../../compiler/plan/schema.js";

const PAPER = `experiment wan {
  world { kind = video_latent  frames = 21  height = 90  width = 160  channels = 16  dataset = "latents" }
  teacher {
    init = checkpoint("wan.safetensors")
    arch { width = 5120  depth = 40  heads = 40  mlp_ratio = 2.7  patch = [1, 2, 2]  text_dim = 4096  cross_attention = true  modulation = shared }
    sampler { steps = 50  guidance = 5 }
  }
  student { init = teacher }
  fake_score fake { rank = 64 }
  discriminator d { backbone = ema(student, 0.995)  taps = [10, 20, 30, 39]  regularizer = str1(0.01, 0.1) }
  hardware { gpus = 8  memory_gb = 80  sharding = fsdp  checkpointing = true  sequence_parallel = true }
  phase priming {
    steps = 500
    input = noised_real(uniform(0.9, 1.0))
    optimizer student { lr = 1e-6 }
    optimizer fake { lr = 1e-6 }
    loss vsd {}
    loss diffusion {}
  }
  phase equilibrium {
    steps = 1000
    optimizer student { lr = 2e-6 }
    optimizer d { lr = 2e-6 }
    loss gan_generator {}
    loss gan_discriminator {}
    loss c_sds { weight = 10 }
  }
}
`;

function plan(text: string): Plan {
  const r = compileText(text);
  assert.deepEqual(errors(r).map((d) => d.message), []);
  return r.plans[0]!.plan;
}

test("the Wan2.1-14B-sized DiT counts about 14 billion parameters", () => {
  const p = plan(PAPER);
  const params = p.teacher!.arch.parameters;
  assert.ok(params > 13.5e9 && params < 15e9, `got ${params}`);
  assert.equal(tokensPerClip(p), 21 * 45 * 80);
});

test("at paper scale the EMA self-discriminator fits in 80 GB per GPU and a separately trained one does not", () => {
  const p = plan(PAPER);
  const eq = estimatePhase(p, p.phases[1]!)!;
  assert.equal(eq.fits, true);
  assert.ok(eq.roles.some((r) => r.role.startsWith("ema(student")), "the EMA copy is counted");
  const d = eq.roles.find((r) => r.role === "d")!;
  assert.ok(d.bytes < 1e8, "only the head is trained on the discriminator side");
  const alt = separateDiscriminatorVariant(p)!;
  const altEq = estimatePhase(alt, alt.phases[1]!)!;
  assert.equal(altEq.fits, false);
  assert.ok(altEq.totalBytes > eq.totalBytes + 20e9, "a trainable 14B copy adds tens of GB per GPU");
});

test("network calls per generator update follow the losses, guidance and update ratios", () => {
  const p = plan(PAPER.replace("loss diffusion {}", "loss diffusion {}\n    updates { fake = 5  student = 1 }"));
  assert.deepEqual(callsPerUpdate(p, p.phases[0]!), { teacher: 2, fakeScore: 6, discriminator: 0 });
  assert.deepEqual(callsPerUpdate(p, p.phases[1]!), { teacher: 1, fakeScore: 0, discriminator: 5 });
});

test("global steps: phases start where the previous ones end and the total is their sum", () => {
  const p = plan(PAPER);
  assert.deepEqual(p.phases.map((x) => x.steps), [500, 1000]);
  assert.equal(totalSteps(p.phases), 1500);
  assert.deepEqual(phaseEndSteps(p.phases), [500, 1500]);
  assert.deepEqual([0, 1, 2].map((i) => phaseStartStep(p.phases, i)), [0, 500, 1500]);
  assert.equal(totalSteps([]), 0);
  assert.deepEqual(phaseEndSteps([]), []);
});

test("a loss weight change in the last phase re-runs only that phase", () => {
  const a = plan(PAPER);
  const b = plan(PAPER.replace("weight = 10", "weight = 1"));
  const d = diffPlans(a, b);
  assert.deepEqual(d.changes.map((c) => [c.op, c.path, c.before, c.after]), [["~", "phases.equilibrium.losses.c_sds.weight.value", 10, 1]]);
  assert.deepEqual(d.reusable, ["priming"]);
  assert.deepEqual(d.rerun, ["equilibrium"]);
  assert.equal(d.trainingUnchanged, false);
});

test("a change in the first phase re-runs everything; eval-only changes re-run nothing", () => {
  const a = plan(PAPER);
  const b = plan(PAPER.replace("steps = 500", "steps = 400"));
  assert.deepEqual(diffPlans(a, b).rerun, ["priming", "equilibrium"]);
  const c = plan(PAPER.replace("hardware {", "eval { samples = 4 }\n  hardware {"));
  const d = diffPlans(a, c);
  assert.deepEqual(d.rerun, []);
  assert.equal(d.trainingUnchanged, true);
  assert.notEqual(a.hash, c.hash);
});

test("removing a phase and adding a loss show as typed additions and removals", () => {
  const a = plan(PAPER);
  const b = plan(PAPER.replace("loss c_sds { weight = 10 }", "loss c_sds { weight = 10 }\n    loss sds { weight = 2 }"));
  const d = diffPlans(a, b);
  assert.equal(d.changes.length, 1);
  assert.equal(d.changes[0]!.op, "+");
  assert.equal(d.changes[0]!.path, "phases.equilibrium.losses.sds");
});

test("a plan file round-trips; hand edits, other versions and non-JSON are refused with their codes", () => {
  const p = plan(PAPER);
  const text = JSON.stringify(p, null, 2);
  const ok = new DiagnosticBag();
  assert.equal(parsePlan("p.json", text, ok)?.hash, p.hash);
  assert.equal(ok.items.length, 0);
  const cases: [string, string][] = [
    [text.replace('"steps": 500', '"steps": 501'), "VPAE3004"],
    [text.replace('"formatVersion": 1', '"formatVersion": 99'), "VPAE3003"],
    ["{ not json", "VPAE3002"],
    ["[1, 2]", "VPAE3002"],
  ];
  for (const [t, code] of cases) {
    const bag = new DiagnosticBag();
    assert.equal(parsePlan("p.json", t, bag), undefined);
    assert.deepEqual(bag.items.map((d) => d.code), [code]);
  }
});

test("a schema error in a plan file points at the .vpae line that set the value", () => {
  const p = plan(PAPER);
  const broken = JSON.parse(JSON.stringify(p)) as Plan;
  (broken.phases[1]!.losses[2] as { weight: unknown }).weight = { kind: "constant", value: -1 };
  const bag = new DiagnosticBag();
  assert.equal(parsePlan("p.json", JSON.stringify(broken), bag), undefined);
  const d = bag.items[0]!;
  assert.equal(d.code, "VPAE3001");
  assert.equal(d.span?.file, "main.vpae");
  assert.equal(d.span?.line, PAPER.split("\n").findIndex((l) => l.includes("weight = 10")) + 1);
});
