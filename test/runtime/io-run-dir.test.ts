// Run directories: creation and its layout, refusals (existing run, different plan, edited plan,
// locked run), resuming (latest valid checkpoint, metrics/samples/evals cut back so that the resumed
// run's records equal an uninterrupted run's, also after a real SIGKILL), listRuns and resolveRun.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { appendFileSync, existsSync, readFileSync, readdirSync, renameSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { compileText, MINIMAL, tempDir } from "../helpers.js";
import type { Plan } from "../../compiler/plan/schema.js";
import { planHash } from "../../compiler/plan/hash.js";
import { IoError, type IoErrorKind } from "../../runtime/engine/io/errors.js";
import { readManifest, type Manifest } from "../../runtime/engine/io/manifest.js";
import { readMetrics, type MetricsRecord } from "../../runtime/engine/io/metrics.js";
import { listRuns, openRunDir, readRunPlan, resolveRun, runDirName, type RunDir } from "../../runtime/engine/io/run-dir.js";
import type { CheckpointState } from "../../runtime/engine/io/checkpoint.js";

const BASE = compileText(MINIMAL).plans[0]!.plan;
const OPTS = { vpaeVersion: "0.1.0-test", backend: { name: "cpu", detail: "plain JavaScript" } };

function variant(change: (p: Plan) => void): Plan {
  const p = structuredClone(BASE);
  change(p);
  p.hash = planHash(p);
  return p;
}

function fails(kind: IoErrorKind, fragment: RegExp) {
  return (e: unknown) => {
    assert.ok(e instanceof IoError, `expected an IoError, got ${String(e)}`);
    assert.equal(e.kind, kind, e.message);
    assert.match(e.message, fragment);
    return true;
  };
}

// A deterministic stand-in for the trainer, as a module file so that a child process can run it too.
const RNG_URL = new URL("../../runtime/engine/rng.js", import.meta.url).href;
const RUN_DIR_URL = new URL("../../runtime/engine/io/run-dir.js", import.meta.url).href;
const TRAINER = `
import { Rng } from ${JSON.stringify(RNG_URL)};
export function initial(seed) { return { w: new Float32Array(4), rng: new Rng(seed, "noise"), step: 0 }; }
export function advance(s) {
  const n = s.rng.normals(4);
  let loss = 0;
  for (let i = 0; i < 4; i++) { s.w[i] = s.w[i] * 0.9 + n[i]; loss += s.w[i] * s.w[i]; }
  s.step++;
  return { step: s.step, phase: "distill", phaseStep: s.step, time: s.step, losses: { loss }, stats: { w0: s.w[0] } };
}
export function toCheckpoint(s, plan) {
  s.rng.flush();
  return {
    meta: { planHash: plan.hash, phaseIndex: 0, phaseName: "distill", phaseStep: s.step, globalStep: s.step, counters: { student: s.step },
            wallTime: s.step, vpaeVersion: "0.1.0-test", backend: "cpu", extra: {} },
    tensors: new Map([["student/w", { shape: [4], data: Float32Array.from(s.w) }], ["opt/student/step", { shape: [], data: Int32Array.from([s.step]) }]]),
    rng: { noise: s.rng.state() },
  };
}
export function fromCheckpoint(c) {
  return { w: Float32Array.from(c.tensors.get("student/w").data), rng: Rng.fromState(c.rng.noise), step: c.meta.globalStep };
}
`;

interface Trainer {
  initial(seed: number): unknown;
  advance(s: unknown): MetricsRecord;
  toCheckpoint(s: unknown, plan: Plan): CheckpointState;
  fromCheckpoint(c: CheckpointState): unknown;
}

async function trainer(): Promise<Trainer> {
  const dir = tempDir({ "trainer.mjs": TRAINER });
  return (await import(pathToFileURL(join(dir, "trainer.mjs")).href)) as Trainer;
}

test("a new run folder holds the exact plan, a full manifest, an empty metrics log and the lock", () => {
  const runs = join(tempDir({}), "runs");
  const run = openRunDir(runs, BASE, OPTS);
  assert.equal(run.name, `tiny-${BASE.hash.slice(0, 12)}`);
  assert.equal(run.dir, join(runs, runDirName(BASE)));
  assert.equal(run.resumedFrom, null);
  assert.deepEqual(readdirSync(run.dir).sort(), ["checkpoints", "manifest.json", "metrics.jsonl", "plan.json", "run.lock", "samples"]);
  assert.equal(readFileSync(run.planFile, "utf8"), JSON.stringify(BASE, null, 2) + "\n");
  assert.deepEqual(readRunPlan(run.dir), BASE);
  assert.equal(readFileSync(run.metricsFile, "utf8"), "");
  const lock = JSON.parse(readFileSync(join(run.dir, "run.lock"), "utf8")) as { pid: number; host: string };
  assert.deepEqual([lock.pid, lock.host], [process.pid, hostname()]);
  const m = readManifest(run.dir);
  assert.equal(m.formatVersion, 1);
  assert.equal(m.vpaeVersion, "0.1.0-test");
  assert.equal(m.node, process.version);
  assert.deepEqual(m.backend, OPTS.backend);
  assert.equal(m.planHash, BASE.hash);
  assert.equal(m.experiment, "tiny");
  assert.equal(m.status, "running");
  assert.equal(m.reason, null);
  assert.ok(!Number.isNaN(Date.parse(m.createdAt)) && m.createdAt === m.updatedAt);
  assert.deepEqual([m.phases, m.checkpoints, m.samples, m.evals, m.resumes], [[], [], [], [], []]);
  // nothing but the run itself in the runs folder (the dot-named staging folder was renamed)
  assert.deepEqual(readdirSync(runs), [run.name]);
  run.finish("finished");
  assert.equal(readManifest(run.dir).status, "finished");
  assert.ok(!existsSync(join(run.dir, "run.lock")), "finish releases the lock");
});

test("the manifest records backend, phase timings, samples, evals and how the run ended", () => {
  const run = openRunDir(join(tempDir({}), "runs"), BASE, { vpaeVersion: "0.1.0-test" });
  assert.equal(readManifest(run.dir).backend, null);
  run.setBackend("wasm", "SIMD, 4 threads");
  run.phaseStarted(0, "distill");
  run.recordSample({ file: "samples/step-000004.json", step: 4, phase: "distill", nfe: 1 });
  run.recordEval({ step: 4, phase: "distill", results: { temporal_coherence: 0.75 } });
  run.phaseFinished(0);
  run.finish("failed", "loss became NaN at step 7");
  const m = readManifest(run.dir);
  assert.deepEqual(m.backend, { name: "wasm", detail: "SIMD, 4 threads" });
  assert.equal(m.phases.length, 1);
  assert.equal(m.phases[0]!.name, "distill");
  assert.ok(m.phases[0]!.finishedAt !== null && m.phases[0]!.seconds >= 0);
  assert.deepEqual(m.samples, [{ file: "samples/step-000004.json", step: 4, phase: "distill", nfe: 1 }]);
  assert.deepEqual(m.evals, [{ step: 4, phase: "distill", results: { temporal_coherence: 0.75 } }]);
  assert.deepEqual([m.status, m.reason], ["failed", "loss became NaN at step 7"]);
  assert.throws(() => run.appendMetrics({ step: 1, phase: "distill", phaseStep: 1, time: 0, losses: {}, stats: {} }), /already closed/);
});

test("a second new run of the same plan is refused with a pointer to --resume", () => {
  const runs = join(tempDir({}), "runs");
  const run = openRunDir(runs, BASE, OPTS);
  run.close();
  assert.throws(() => openRunDir(runs, BASE, OPTS), fails("exists", /a run of this plan already exists \(status running, no checkpoint yet\); use --resume/));
});

test("a folder holding a different plan is refused, new or resumed, with both hashes", () => {
  const runs = join(tempDir({}), "runs");
  const other = variant((p) => (p.seed = 99));
  const run = openRunDir(runs, other, OPTS);
  run.close();
  // make the other plan's folder sit where BASE's run would go (what a hash-prefix collision looks like)
  renameSync(run.dir, join(runs, runDirName(BASE)));
  const msg = new RegExp(`different plan \\(its plan hash is ${other.hash.slice(0, 12)}\\.\\.\\., this plan's is ${BASE.hash.slice(0, 12)}`);
  assert.throws(() => openRunDir(runs, BASE, OPTS), fails("plan-mismatch", msg));
  assert.throws(() => openRunDir(runs, BASE, { ...OPTS, resume: true }), fails("plan-mismatch", msg));
});

test("resuming refuses a plan.json edited after the run started, and a run that does not exist", () => {
  const runs = join(tempDir({}), "runs");
  const run = openRunDir(runs, BASE, OPTS);
  run.close();
  const edited = JSON.parse(readFileSync(run.planFile, "utf8")) as Plan;
  edited.seed = 12345;
  writeFileSync(run.planFile, JSON.stringify(edited));
  assert.throws(() => openRunDir(runs, BASE, { ...OPTS, resume: true }), fails("plan-mismatch", /plan\.json: its content no longer matches its hash/));
  assert.throws(() => openRunDir(join(tempDir({}), "runs"), BASE, { ...OPTS, resume: true }), fails("not-found", /no run to resume/));
  // a folder that is not a run at all
  const junk = join(tempDir({}), "runs");
  openRunDir(junk, BASE, OPTS).close();
  truncateSync(join(junk, runDirName(BASE), "plan.json"), 0);
  assert.throws(() => openRunDir(junk, BASE, OPTS), fails("exists", /not a vpae run/));
});

test("a live lock refuses a second opener; a stale one (its process is gone) is taken over", () => {
  const runs = join(tempDir({}), "runs");
  const run = openRunDir(runs, BASE, OPTS);
  assert.throws(() => openRunDir(runs, BASE, { ...OPTS, resume: true }), fails("locked", new RegExp(`in use by process ${process.pid}`)));
  run.close();
  const dead = spawnSync(process.execPath, ["-e", ""]).pid!;
  writeFileSync(join(run.dir, "run.lock"), JSON.stringify({ pid: dead, host: hostname(), since: "2020-01-01T00:00:00.000Z" }));
  const again = openRunDir(runs, BASE, { ...OPTS, resume: true });
  assert.equal(JSON.parse(readFileSync(join(run.dir, "run.lock"), "utf8")).pid, process.pid);
  again.close();
  writeFileSync(join(run.dir, "run.lock"), JSON.stringify({ pid: 1, host: "another-machine", since: "2020-01-01T00:00:00.000Z" }));
  assert.throws(() => openRunDir(runs, BASE, { ...OPTS, resume: true }), fails("locked", /on another-machine/));
});

function comparable(m: Manifest) {
  return {
    checkpoints: m.checkpoints.map((c) => [c.file, c.step, c.sha256]),
    samples: m.samples,
    evals: m.evals,
    phases: m.phases.map((p) => [p.index, p.name, p.finishedAt !== null]),
    status: m.status,
  };
}

test("an interrupted and resumed run leaves the same metrics, checkpoints and records as an uninterrupted one", async () => {
  const t = await trainer();
  const plan = variant((p) => (p.checkpoint.keep = 2));
  const drive = (run: RunDir, s: unknown, from: number, to: number) => {
    for (let step = from; step <= to; step++) {
      run.appendMetrics(t.advance(s));
      if (step % 4 === 0) run.saveCheckpoint(t.toCheckpoint(s, plan));
      if (step === 6) run.recordSample({ file: "samples/step-000006.json", step, phase: "distill" });
      if (step === 10) run.recordEval({ step, phase: "distill", results: { frame_quality: 0.5 } });
    }
  };
  // uninterrupted
  const a = openRunDir(join(tempDir({}), "runs"), plan, OPTS);
  a.phaseStarted(0, "distill");
  drive(a, t.initial(plan.seed), 1, 12);
  a.phaseFinished(0);
  a.finish("finished");
  // killed after step 10 (checkpoints at 4 and 8), in the middle of writing step 11's line
  const runs = join(tempDir({}), "runs");
  const b = openRunDir(runs, plan, OPTS);
  b.phaseStarted(0, "distill");
  drive(b, t.initial(plan.seed), 1, 10);
  appendFileSync(b.metricsFile, '{"step":11,"phase":"dis');
  b.close();
  const warned: string[] = [];
  const c = openRunDir(runs, plan, { ...OPTS, resume: true, warn: (m) => warned.push(m) });
  assert.equal(c.resumedFrom?.step, 8);
  assert.deepEqual(readMetrics(c.metricsFile).map((r) => r.step), [1, 2, 3, 4, 5, 6, 7, 8]);
  assert.deepEqual(readManifest(c.dir).evals, [], "the eval at step 10 is after the checkpoint");
  assert.match(warned.join("\n"), /dropped 2 record\(s\) after step 8/);
  c.phaseStarted(0, "distill");
  drive(c, t.fromCheckpoint(c.resumedFrom!.state), 9, 12);
  c.phaseFinished(0);
  c.finish("finished");
  assert.equal(readFileSync(c.metricsFile, "utf8"), readFileSync(a.metricsFile, "utf8"));
  assert.deepEqual(comparable(readManifest(c.dir)), comparable(readManifest(a.dir)));
  assert.deepEqual(readdirSync(c.checkpointsDir), readdirSync(a.checkpointsDir));
  const resumes = readManifest(c.dir).resumes;
  assert.deepEqual(resumes.map((r) => [r.fromStep, r.file, r.vpaeVersion]), [[8, "checkpoints/step-000008.safetensors", "0.1.0-test"]]);
});

test("resuming past a truncated newest checkpoint sets it aside and goes on from the one before", async () => {
  const t = await trainer();
  const runs = join(tempDir({}), "runs");
  const run = openRunDir(runs, BASE, OPTS);
  const s = t.initial(BASE.seed);
  for (let step = 1; step <= 9; step++) {
    run.appendMetrics(t.advance(s));
    if (step % 3 === 0) run.saveCheckpoint(t.toCheckpoint(s, BASE));
  }
  run.close();
  const newest = join(run.checkpointsDir, "step-000009.safetensors");
  truncateSync(newest, statSync(newest).size - 10);
  const warned: string[] = [];
  const again = openRunDir(runs, BASE, { ...OPTS, resume: true, warn: (m) => warned.push(m) });
  assert.equal(again.resumedFrom?.step, 6);
  assert.deepEqual(readMetrics(again.metricsFile).map((r) => r.step), [1, 2, 3, 4, 5, 6]);
  const names = readdirSync(again.checkpointsDir).sort();
  assert.deepEqual(names.slice(0, 2), ["step-000003.safetensors", "step-000006.safetensors"]);
  assert.match(names[2]!, /^step-000009\.safetensors\.invalid-\d+$/, "kept for inspection, out of the way");
  assert.deepEqual(readManifest(again.dir).checkpoints.map((c) => c.step), [3, 6]);
  assert.match(warned.join("\n"), /skipping checkpoint .*step-000009.*\n.*set aside invalid checkpoint/);
  again.close();
});

test("resuming a run that never reached a checkpoint starts it over with empty records", () => {
  const runs = join(tempDir({}), "runs");
  const run = openRunDir(runs, BASE, OPTS);
  run.phaseStarted(0, "distill");
  run.appendMetrics({ step: 1, phase: "distill", phaseStep: 1, time: 1, losses: { c_sds: 1 }, stats: {} });
  run.recordSample({ file: "samples/a.json", step: 0, phase: "distill" });
  run.close();
  const again = openRunDir(runs, BASE, { ...OPTS, resume: true });
  assert.equal(again.resumedFrom, null);
  assert.equal(readFileSync(again.metricsFile, "utf8"), "");
  const m = readManifest(again.dir);
  assert.deepEqual([m.phases, m.samples, m.status], [[], [], "running"]);
  assert.deepEqual(m.resumes.map((r) => r.fromStep), [null]);
  again.close();
});

test("after a SIGKILL mid-run, resume finds a valid checkpoint and a metrics log that ends at its step", async () => {
  const dir = tempDir({ "trainer.mjs": TRAINER });
  writeFileSync(join(dir, "plan.json"), JSON.stringify(BASE));
  writeFileSync(
    join(dir, "child.mjs"),
    `import { readFileSync } from "node:fs";
import { openRunDir } from ${JSON.stringify(RUN_DIR_URL)};
import * as t from "./trainer.mjs";
const plan = JSON.parse(readFileSync(process.argv[2], "utf8"));
const run = openRunDir(process.argv[3], plan, { vpaeVersion: "0.1.0-test" });
const s = t.initial(plan.seed);
for (let step = 1; step < 100000; step++) {
  run.appendMetrics(t.advance(s));
  if (step % 5 === 0) run.saveCheckpoint(t.toCheckpoint(s, plan));
  process.stdout.write(step + "\\n");
}
`,
  );
  const runs = join(dir, "runs");
  const child = spawn(process.execPath, [join(dir, "child.mjs"), join(dir, "plan.json"), runs], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  await new Promise<void>((resolveKill, reject) => {
    let seen = "";
    child.stdout.on("data", (d: Buffer) => {
      seen += d.toString();
      if (/\n(2[3-9]|[3-9]\d|\d{3,})\n/.test(seen) && child.exitCode === null) child.kill("SIGKILL");
    });
    child.on("exit", (code, signal) => (signal === "SIGKILL" ? resolveKill() : reject(new Error(`child exited with ${code}: ${stderr}`))));
  });
  const t = (await import(pathToFileURL(join(dir, "trainer.mjs")).href)) as Trainer;
  const run = openRunDir(runs, BASE, { ...OPTS, resume: true });
  const from = run.resumedFrom!;
  assert.ok(from.step >= 20 && from.step % 5 === 0, `resumed from ${from.step}`);
  assert.deepEqual(readMetrics(run.metricsFile).map((r) => r.step), Array.from({ length: from.step }, (_, i) => i + 1));
  // the checkpoint holds exactly the state an uninterrupted trainer has at that step
  const fresh = t.initial(BASE.seed);
  for (let i = 0; i < from.step; i++) t.advance(fresh);
  assert.deepEqual(from.state, t.toCheckpoint(fresh, BASE));
  run.close();
});

test("listRuns and resolveRun find runs by folder, name, experiment or hash prefix", () => {
  const runs = join(tempDir({}), "runs");
  const a = openRunDir(runs, BASE, OPTS);
  a.finish("finished");
  const b = openRunDir(runs, variant((p) => (p.seed = 2)), OPTS);
  b.close();
  const renamed = variant((p) => (p.experiment = "solo"));
  const c = openRunDir(runs, renamed, OPTS);
  const list = listRuns(runs);
  assert.deepEqual(list.map((r) => r.name).sort(), [a.name, b.name, c.name].sort());
  const byName = new Map(list.map((r) => [r.name, r]));
  assert.deepEqual([byName.get(a.name)!.status, byName.get(a.name)!.live], ["finished", false]);
  assert.deepEqual([byName.get(b.name)!.status, byName.get(b.name)!.live], ["running", false], "running but nobody holds it: interrupted");
  assert.equal(byName.get(c.name)!.live, true);
  assert.equal(resolveRun(a.dir, runs), a.dir);
  assert.equal(resolveRun(a.name, runs), a.dir);
  assert.equal(resolveRun("solo", runs), c.dir);
  assert.equal(resolveRun(b.plan.hash.slice(0, 8), runs), b.dir);
  assert.throws(() => resolveRun("tiny", runs), fails("not-found", /names several runs: .*tiny-.*tiny-/));
  assert.throws(() => resolveRun("nothing", runs), fails("not-found", /no such run.*runs: /));
  assert.deepEqual(listRuns(join(runs, "missing")), []);
  c.close();
});
