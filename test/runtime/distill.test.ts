// Distillation runs end to end through the CLI: every loss, role and regulariser of the language runs
// on real tensors; frozen roles stay bit-identical; the self-discriminator's backbone is exactly the
// generator's EMA; a killed run resumes bit for bit; each method experiment runs a few steps.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fromRoot, runAndKillWhen, runCli, tempDir } from "../helpers.js";
import { readSafetensors } from "../../runtime/engine/io/safetensors.js";

const MICRO = "experiments/micro-distill.vpae";
/** Keep every checkpoint, one per step, so that weights can be followed step by step. */
const EVERY_STEP = ["--set", "checkpoint.every=1", "--set", "checkpoint.keep=1000"];

function runDirOf(runs: string): string {
  const [name] = readdirSync(runs);
  assert.ok(name, `no run directory in ${runs}`);
  return join(runs, name);
}

function ckFile(dir: string, step: number): string {
  return join(dir, "checkpoints", `step-${String(step).padStart(6, "0")}.safetensors`);
}

type Tensors = Map<string, Float32Array>;
function load(dir: string, step: number): Tensors {
  return new Map([...readSafetensors(ckFile(dir, step)).tensors].map(([k, t]) => [k, t.data as Float32Array]));
}

/** The tensors of one prefix (`student/`, `backbone:d/`), by name without the prefix. */
function group(t: Tensors, prefix: string): Tensors {
  const out: Tensors = new Map();
  for (const [k, v] of t) if (k.startsWith(prefix)) out.set(k.slice(prefix.length), v);
  return out;
}

function sameBits(a: Tensors, b: Tensors, what: string): void {
  assert.ok(a.size > 0, `${what}: no tensors`);
  assert.deepEqual([...a.keys()].sort(), [...b.keys()].sort(), what);
  for (const [k, v] of a) assert.ok(Buffer.from(v.buffer, v.byteOffset, v.byteLength).equals(Buffer.from(b.get(k)!.buffer, b.get(k)!.byteOffset, b.get(k)!.byteLength)), `${what}: ${k} differs`);
}

function differs(a: Tensors, b: Tensors): boolean {
  for (const [k, v] of a) if (v.some((x, i) => x !== b.get(k)![i])) return true;
  return false;
}

function metrics(dir: string): { step: number; phase: string; losses: Record<string, number>; stats: Record<string, number> }[] {
  return readFileSync(join(dir, "metrics.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
}

// micro-distill: consistency steps 1-3, priming 4-7 (fake trains), equilibrium 8-12 (d trains, fake frozen).
let microRun: string | undefined;
function micro(): string {
  if (microRun) return microRun;
  const runs = tempDir({});
  const r = runCli(["run", MICRO, "--runs-dir", runs, "--no-tui", "--debug", ...EVERY_STEP]);
  assert.equal(r.status, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /run finished at step 12/);
  microRun = runDirOf(runs);
  return microRun;
}

test("micro-distill runs every phase with no tensor leak; every loss and diagnostic is logged and finite", () => {
  const dir = micro();
  const rows = metrics(dir);
  assert.equal(rows.length, 12);
  const byPhase = (p: string) => rows.filter((r) => r.phase === p);
  assert.deepEqual(Object.keys(byPhase("consistency")[0]!.losses).sort(), ["consistency", "regression"]);
  assert.deepEqual(Object.keys(byPhase("priming")[0]!.losses).sort(), ["diffusion", "vsd"]);
  assert.deepEqual(Object.keys(byPhase("equilibrium")[0]!.losses).sort(), ["c_sds", "gan_discriminator", "gan_generator", "str1"]);
  for (const r of rows) for (const [k, v] of Object.entries(r.losses)) assert.ok(Number.isFinite(v), `${k} at step ${r.step}`);
  const eq = byPhase("equilibrium")[0]!.stats;
  for (const k of ["d/d/logit_real", "d/d/logit_fake", "d/d/accuracy", "gen/mean", "gen/std", "gen/frame_diff", "grad_norm/d", "grad_norm/student"]) assert.ok(Number.isFinite(eq[k]), `stat ${k}`);
  assert.ok(Number.isFinite(byPhase("priming")[0]!.stats["grad_norm/fake"]));
  const m = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as { status: string; evals: unknown[] };
  assert.equal(m.status, "finished");
  assert.ok(m.evals.length >= 3);
});

/**
 * The micro run's losses, step by step, against the committed reference: a change to the order in which
 * a training step draws its random numbers, or to what a term computes, shows here (UPDATE_BASELINES=1
 * rewrites the reference after a change meant to alter training). The tolerance allows for another
 * CPU's float rounding; a different draw moves a loss by far more.
 */
test("micro-distill's losses match the committed reference step by step", () => {
  const reference = fromRoot("test", "baselines", "losses", "micro-distill.json");
  const now = metrics(micro()).map((r) => ({ step: r.step, phase: r.phase, losses: r.losses }));
  if (process.env["UPDATE_BASELINES"] === "1" || !existsSync(reference)) {
    mkdirSync(dirname(reference), { recursive: true });
    writeFileSync(reference, JSON.stringify(now, null, 1) + "\n");
    if (process.env["UPDATE_BASELINES"] !== "1") assert.fail(`wrote ${reference}: commit it`);
    return;
  }
  const expected = JSON.parse(readFileSync(reference, "utf8")) as typeof now;
  assert.equal(now.length, expected.length);
  expected.forEach((e, i) => {
    const n = now[i]!;
    assert.deepEqual([n.step, n.phase, Object.keys(n.losses).sort()], [e.step, e.phase, Object.keys(e.losses).sort()]);
    for (const [k, v] of Object.entries(e.losses)) {
      const got = n.losses[k]!;
      assert.ok(Math.abs(got - v) <= 1e-4 * Math.max(1, Math.abs(v)), `step ${e.step} ${k}: ${got} against the reference ${v}`);
    }
  });
});

test("roles keep their weights bit for bit in phases that do not train them, and change where they train", () => {
  const dir = micro();
  const at = (s: number) => load(dir, s);
  const [s0, s3, s7, s12] = [at(1), at(3), at(7), at(12)];
  // the teacher is frozen throughout
  sameBits(group(s0, "teacher/"), group(s12, "teacher/"), "teacher");
  // the discriminator head is not trained in consistency or priming, then trains
  sameBits(group(s0, "d/"), group(s7, "d/"), "discriminator during consistency and priming");
  assert.ok(differs(group(s7, "d/"), group(s12, "d/")), "the discriminator trains in the equilibrium");
  // the fake score trains in priming only; on_enter freeze(fake) and no optimizer keep it fixed after
  sameBits(group(s0, "fake/"), group(s3, "fake/"), "fake score during consistency");
  assert.ok(differs(group(s3, "fake/"), group(s7, "fake/")), "the fake score trains in priming");
  sameBits(group(s7, "fake/"), group(s12, "fake/"), "fake score after freeze(fake)");
  // the student trains in every phase
  assert.ok(differs(group(s0, "student/"), group(s3, "student/")) && differs(group(s7, "student/"), group(s12, "student/")));
});

test("the self-discriminator's backbone is exactly the EMA (decay 0.995) of the generator, from the phase start", () => {
  const dir = micro();
  const decay = Math.fround(0.995);
  const rest = Math.fround(1 - 0.995);
  // created at the start of equilibrium as a copy of the student after priming (step 7)
  let ema = group(load(dir, 7), "student/");
  assert.equal(group(load(dir, 7), "backbone:d/").size, 0, "no backbone before the phase that uses it");
  for (let step = 8; step <= 12; step++) {
    const ck = load(dir, step);
    const student = group(ck, "student/");
    const next: Tensors = new Map();
    for (const [k, e] of ema) {
      const p = student.get(k)!;
      // float32 arithmetic, as the backend does it: e * decay + p * (1 - decay)
      next.set(k, e.map((x, i) => Math.fround(Math.fround(x * decay) + Math.fround(p[i]! * rest))));
    }
    ema = next;
    sameBits(group(ck, "backbone:d/"), ema, `backbone at step ${step}`);
  }
  // and it is a shadow, not the student or the sampled EMA (decay 0.9)
  const last = load(dir, 12);
  assert.ok(differs(group(last, "backbone:d/"), group(last, "student/")));
  assert.ok(group(last, "ema:student@0.9/").size > 0);
});

test("a distillation run killed mid-phase and resumed ends bit-identical to the uninterrupted run", async () => {
  const reference = micro();
  const killed = tempDir({});
  // kill once step 9 (the middle of the equilibrium, after its entry actions) is saved
  await runAndKillWhen(["run", MICRO, "--runs-dir", killed, ...EVERY_STEP], () => {
    const dirs = existsSync(killed) ? readdirSync(killed) : [];
    return dirs.length > 0 && existsSync(ckFile(join(killed, dirs[0]!), 9));
  }, "step 9", 90_000);
  const dir = runDirOf(killed);
  const resumed = runCli(["run", "--resume", dir]);
  assert.equal(resumed.status, 0, resumed.stderr + resumed.stdout);
  assert.match(resumed.stdout, /resumed at step (9|10|11)/);
  sameBits(load(dir, 12), load(reference, 12), "final checkpoint (weights, shadows, optimizer state)");
  const losses = (d: string) => metrics(d).map((r) => JSON.stringify([r.step, r.losses]));
  assert.deepEqual(losses(dir), losses(reference));
});

// Each method experiment, shrunk to a few steps on tiny batches, from the committed teacher.
const SMALL = ["--set", "batch=2", "--set", "world.eval_clips=2", "--set", "eval.samples=2", "--set", "eval.every=0", "--set", "checkpoint.every=0", "--no-tui", "--debug"];
const METHODS: [string, string[], string[]][] = [
  ["vpae", ["--set", "generator_updates=4", "--set", "priming_steps=2"], ["vsd", "diffusion", "gan_generator", "gan_discriminator", "c_sds", "str1"]],
  ["dmd2", ["--set", "generator_updates=2"], ["dmd", "diffusion", "gan_generator", "gan_discriminator"]],
  ["apt", ["--set", "generator_updates=4", "--set", "init_steps=2"], ["consistency", "gan_generator", "gan_discriminator", "approx_r1"]],
  ["pcm", ["--set", "generator_updates=2"], ["consistency", "gan_generator", "gan_discriminator"]],
  ["add", ["--set", "generator_updates=2"], ["gan_generator", "gan_discriminator", "r1", "sds"]],
  // the relativistic pairing, which no method experiment uses
  ["vpae", ["--set", "generator_updates=2", "--set", "priming_steps=1", "--set", "discriminator.d.loss=relativistic"], ["gan_generator", "gan_discriminator"]],
];
for (const [name, args, losses] of METHODS) {
  test(`experiments/${name}.vpae runs a few steps end to end (${args.filter((a) => a !== "--set").join(" ")})`, () => {
    const runs = tempDir({});
    const r = runCli(["run", `experiments/${name}.vpae`, "--runs-dir", runs, ...SMALL, ...args]);
    assert.equal(r.status, 0, r.stderr + r.stdout);
    const dir = runDirOf(runs);
    const seen = new Set<string>();
    for (const row of metrics(dir)) {
      for (const [k, v] of Object.entries(row.losses)) {
        assert.ok(Number.isFinite(v), `${k} at step ${row.step}`);
        seen.add(k);
      }
    }
    for (const l of losses) assert.ok(seen.has(l), `loss ${l} ran`);
    const m = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as { status: string; evals: { results: Record<string, { semantic_alignment: number }> }[] };
    assert.equal(m.status, "finished");
    const last = m.evals.at(-1)!;
    assert.ok(Number.isFinite(last.results["nfe1"]!.semantic_alignment));
    samePlannedCounts(`experiments/${name}.vpae`, args, dir);
  });
}

/**
 * `vpae plan`'s parameter count of every role equals what the run wrote for it: the teacher, the
 * student, each fake score (LoRA or copy) and each discriminator (its head, plus a trained backbone copy).
 */
function samePlannedCounts(file: string, args: string[], dir: string): void {
  const r = runCli(["plan", file, "--json", ...args.filter((a, i) => a === "--set" || args[i - 1] === "--set")]);
  assert.equal(r.status, 0, r.stderr);
  const planned = new Map<string, number>();
  for (const phase of (JSON.parse(r.stdout) as { phases: { memory: { roles: { role: string; parameters: number }[] } }[] }).phases) {
    for (const role of phase.memory.roles) planned.set(role.role, role.parameters);
  }
  const ckDir = join(dir, "checkpoints");
  const last = readdirSync(ckDir).filter((f) => f.endsWith(".safetensors")).sort().at(-1)!;
  const written = new Map<string, number>();
  for (const [key, t] of readSafetensors(join(ckDir, last)).tensors) {
    const role = key.split("/")[0]!;
    written.set(role, (written.get(role) ?? 0) + t.data.length);
  }
  const compared = [...planned.keys()].filter((role) => written.has(role));
  assert.ok(compared.length >= 3, `roles compared: ${compared.join(", ")}`);
  for (const role of compared) assert.equal(planned.get(role), written.get(role), `${file}: parameters of ${role}`);
}
