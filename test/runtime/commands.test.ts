// eval, sample, export and doctor through the CLI, on one micro run.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync } from "node:fs";
import { basename, join } from "node:path";
import { fromRoot, runCli, tempDir } from "../helpers.js";
import { readSafetensors } from "../../runtime/engine/io/safetensors.js";

let runs = "";
before(() => {
  runs = tempDir({});
  const r = runCli(["run", "experiments/micro.vpae", "--runs-dir", runs]);
  assert.equal(r.status, 0, r.stderr);
});

test("vpae eval scores a run at several NFE with the three groups, direction accuracy and latency", () => {
  const r = runCli(["eval", "micro", "--runs-dir", runs, "--nfe", "1,4", "--json"]);
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout) as { weights: string; results: { nfe: number; semantic_alignment: number; temporal_coherence: number; frame_quality: number; direction_accuracy: number; latencyPerVideoMs: number }[] };
  assert.equal(j.weights, "student");
  assert.deepEqual(j.results.map((x) => x.nfe), [1, 4]);
  for (const x of j.results) {
    for (const v of [x.semantic_alignment, x.temporal_coherence, x.frame_quality, x.direction_accuracy]) assert.ok(v >= 0 && v <= 100);
    assert.ok(x.latencyPerVideoMs > 0);
  }
  // 4 NFE takes longer than 1 NFE
  assert.ok(j.results[1]!.latencyPerVideoMs > j.results[0]!.latencyPerVideoMs);
  const text = runCli(["eval", "micro", "--runs-dir", runs, "--role", "teacher", "--nfe", "4"]);
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout, /ema:teacher@0\.9 weights/);
  assert.match(text.stdout, /^\s+4\s+\d+\.\d\s+\d+\.\d\s+\d+\.\d/m);
  // which of the world's speeds the clips use: a percentage, or a dash when no clip follows one
  assert.match(text.stdout, /^\s+4(\s+\S+){5}\s+(\d+%|—)\s+\d+\.\d ms$/m);
  for (const x of j.results as { speed_coverage?: number | null }[]) assert.ok(x.speed_coverage === null || (x.speed_coverage! >= 0 && x.speed_coverage! <= 100), JSON.stringify(x));
});

test("vpae sample writes a GIF grid; export writes a role's weights that load as a teacher", () => {
  const out = join(tempDir({}), "grid.gif");
  const s = runCli(["sample", "micro", "--runs-dir", runs, "--nfe", "1", "--samples", "3", "-o", out]);
  assert.equal(s.status, 0, s.stderr);
  assert.equal(readFileSync(out).subarray(0, 6).toString("latin1"), "GIF89a");
  const model = join(tempDir({}), "teacher.safetensors");
  const e = runCli(["export", "micro", "--runs-dir", runs, "--role", "teacher", "-o", model]);
  assert.equal(e.status, 0, e.stderr);
  const c = readSafetensors(model);
  assert.equal(c.metadata["weights"], "ema:teacher@0.9");
  assert.ok([...c.tensors.keys()].every((k) => k.startsWith("teacher/")));
});

test("vpae eval scores the validation, test or any seeded clip set, and --save keeps the scores per set", () => {
  const score = (clips: string[]) => {
    const r = runCli(["eval", "micro", "--runs-dir", runs, "--nfe", "1", "--samples", "8", "--json", ...clips]);
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout) as { clips: string; results: { semantic_alignment: number; temporal_coherence: number; frame_quality: number }[] };
  };
  const groups = (x: { results: { semantic_alignment: number; temporal_coherence: number; frame_quality: number }[] }) => x.results.map((r) => [r.semantic_alignment, r.temporal_coherence, r.frame_quality]);
  const validation = score([]);
  assert.equal(validation.clips, "validation");
  assert.deepEqual(groups(score(["--clips", "validation"])), groups(validation), "validation is the default");
  const test8 = score(["--clips", "test"]);
  assert.equal(test8.clips, "test");
  assert.notDeepEqual(groups(test8), groups(validation), "other clips, other scores");
  assert.deepEqual(groups(score(["--clips", "seed=1"])), groups(test8), "test is the set of seed 1");
  const saved = runCli(["eval", "micro", "--runs-dir", runs, "--nfe", "1", "--samples", "8", "--clips", "test", "--save"]);
  assert.equal(saved.status, 0, saved.stderr);
  assert.match(saved.stderr, /wrote .*scores-student-test\.json/);
  assert.match(saved.stdout, /8 test clips/);
  const dir = join(runs, readdirSync(runs).find((n) => n.startsWith("micro-"))!);
  const file = JSON.parse(readFileSync(join(dir, "scores-student-test.json"), "utf8")) as { clips: string; role: string; run: string; checkpoint: string; results: { semantic_alignment: number }[] };
  assert.deepEqual([file.clips, file.role, file.results[0]!.semantic_alignment], ["test", "student", test8.results[0]!.semantic_alignment]);
  // the record travels with its folder: no path of this machine in it
  assert.equal(file.run, basename(dir));
  assert.match(file.checkpoint, /^checkpoints\/step-\d{6}\.safetensors$/);
  const bad = runCli(["eval", "micro", "--runs-dir", runs, "--clips", "train"]);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--clips is validation, test or seed=N, not 'train'/);
});

test("a run summary without checkpoints is scored from the weights exported next to its plan", () => {
  const dir = join(runs, readdirSync(runs).find((n) => n.startsWith("micro-"))!);
  const summary = join(tempDir({}), "micro-summary");
  mkdirSync(summary);
  for (const f of ["plan.json", "manifest.json", "metrics.jsonl"]) copyFileSync(join(dir, f), join(summary, f));
  const missing = runCli(["eval", summary, "--nfe", "1", "--samples", "4"]);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /no valid checkpoint \(nor exported weights student\.safetensors\) to score/);
  assert.equal(runCli(["export", dir, "-o", join(summary, "student.safetensors")]).status, 0);
  const a = JSON.parse(runCli(["eval", summary, "--nfe", "1", "--samples", "4", "--json"]).stdout) as { results: { semantic_alignment: number; frame_quality: number }[] };
  const b = JSON.parse(runCli(["eval", dir, "--nfe", "1", "--samples", "4", "--json"]).stdout) as { results: { semantic_alignment: number; frame_quality: number }[] };
  assert.deepEqual([a.results[0]!.semantic_alignment, a.results[0]!.frame_quality], [b.results[0]!.semantic_alignment, b.results[0]!.frame_quality], "the exported weights score like the run's checkpoint");
});

test("a distillation summary's teacher is the frozen checkpoint its plan loads; a summary whose plan trains the teacher has none", () => {
  // a committed main-table summary: student.safetensors only, the teacher is experiments/checkpoints/teacher.safetensors
  const summary = fromRoot("experiments", "results", "vpae-7bd83b9659a8");
  const r = runCli(["eval", summary, "--role", "teacher", "--nfe", "1", "--samples", "4", "--json"]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal((JSON.parse(r.stdout) as { checkpoint: string }).checkpoint, fromRoot("experiments", "checkpoints", "teacher.safetensors"));
  // micro trains its teacher, so its summary cannot stand in the committed one
  const dir = join(runs, readdirSync(runs).find((n) => n.startsWith("micro-"))!);
  const copy = join(tempDir({}), "micro-summary");
  mkdirSync(copy);
  for (const f of ["plan.json", "manifest.json"]) copyFileSync(join(dir, f), join(copy, f));
  const trained = runCli(["eval", copy, "--role", "teacher", "--nfe", "1", "--samples", "4"]);
  assert.equal(trained.status, 1);
  assert.match(trained.stderr, /nor exported weights teacher\.safetensors/);
});

test("a committed run summary re-scores to its committed test scores, and --clips seed=N scores it on fresh clips", () => {
  // one summary per method (the first by name among those scored on the test clips): the same weights,
  // clips and sampling noise give the same numbers on the same backend
  const dir = fromRoot("experiments", "results");
  const scored = readdirSync(dir).filter((n) => existsSync(join(dir, n, "scores-student-test.json"))).sort();
  const perMethod = [...new Map(scored.map((n) => [n.replace(/-[0-9a-f]{12}$/, ""), n])).values()];
  assert.ok(perMethod.length >= 4, `test-scored summaries of several methods (${perMethod.join(", ")})`);
  const keys = ["semantic_alignment", "temporal_coherence", "frame_quality", "direction_accuracy", "speed_coverage"] as const;
  type Row = Record<(typeof keys)[number] | "nfe", number>;
  for (const name of perMethod) {
    const committed = (JSON.parse(readFileSync(join(dir, name, "scores-student-test.json"), "utf8")) as { samples: number; results: Row[] }).results.find((x) => x.nfe === 1)!;
    const r = runCli(["eval", join(dir, name), "--clips", "test", "--nfe", "1", "--samples", "64", "--json"]);
    assert.equal(r.status, 0, r.stderr);
    const again = (JSON.parse(r.stdout) as { results: Row[] }).results[0]!;
    for (const k of keys) assert.equal(again[k], committed[k], `${name}: ${k}`);
  }
  const fresh = runCli(["eval", join(dir, perMethod[0]!), "--clips", "seed=7", "--nfe", "1", "--samples", "16", "--json"]);
  assert.equal(fresh.status, 0, fresh.stderr);
  const j = JSON.parse(fresh.stdout) as { clips: string; results: Row[] };
  assert.equal(j.clips, "seed-7");
  assert.ok(j.results[0]!.frame_quality >= 0 && j.results[0]!.frame_quality <= 100);
});

test("errors are messages, not stack traces", () => {
  const r = runCli(["eval", "no-such-run", "--runs-dir", runs]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /vpae eval: .*no such run/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
  const d = runCli(["doctor", "--json"]);
  assert.equal(d.status, 0, d.stderr);
  const j = JSON.parse(d.stdout) as { auto: { name: string }; backends: { name: string; usable: boolean }[] };
  assert.ok(j.backends.find((b) => b.name === "wasm")?.usable);
  assert.ok(["tensorflow-gpu", "tensorflow", "wasm", "cpu"].includes(j.auto.name));
  assert.ok(!existsSync(join(runs, "no-such-run")));
});

test("a weights file: the committed teacher with its sidecar plan, a pruned checkpoint, a file whose plan is unknown", () => {
  const teacher = runCli(["eval", "experiments/checkpoints/teacher.safetensors", "--nfe", "1", "--samples", "4", "--json"]);
  assert.equal(teacher.status, 0, teacher.stderr);
  const j = JSON.parse(teacher.stdout) as { run: string | null; weights: string; results: { nfe: number }[] };
  assert.equal(j.run, null, "a loose file belongs to no run folder");
  assert.equal(j.weights, "teacher");
  const save = runCli(["eval", "experiments/checkpoints/teacher.safetensors", "--nfe", "1", "--samples", "2", "--save"]);
  assert.equal(save.status, 2);
  assert.match(save.stderr, /--save writes into a run folder, and .*teacher\.safetensors is not in one/);
  // a checkpoint that the run has pruned (checkpoint.keep) names the ones it kept
  const dir = join(runs, readdirSync(runs).find((d) => d.startsWith("micro-"))!);
  const pruned = runCli(["eval", join(dir, "checkpoints", "step-000001.safetensors")]);
  assert.equal(pruned.status, 1);
  assert.match(pruned.stderr, /no such checkpoint: the run keeps only its newest checkpoints \(checkpoint\.keep\), here step-\d{6}\.safetensors/);
  // a weights file with no plan beside it
  const loose = tempDir({});
  copyFileSync(join(dir, "checkpoints", readdirSync(join(dir, "checkpoints")).at(-1)!), join(loose, "w.safetensors"));
  const unknown = runCli(["eval", join(loose, "w.safetensors")]);
  assert.equal(unknown.status, 1);
  assert.match(unknown.stderr, /w\.safetensors: its plan is unknown: it is not in a run's checkpoints\/ folder, and neither w\.plan\.json nor plan\.json is beside it/);
  assert.doesNotMatch(unknown.stderr + pruned.stderr, /internal error|\n\s+at /);
});

test("running a finished run again does nothing and says where it is; --force trains it again and keeps the old folder", () => {
  const again = runCli(["run", "experiments/micro.vpae", "--runs-dir", runs]);
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stdout, /^micro: already finished in .*micro-[0-9a-f]{12}; nothing to do \(vpae eval .* scores it; --force trains it again\)\n$/);
  assert.equal(runCli(["run", "experiments/micro.vpae", "--runs-dir", runs, "--force", "--resume"]).status, 2);
  const before = readdirSync(runs).filter((d) => d.startsWith("micro-")).length;
  const forced = runCli(["run", "experiments/micro.vpae", "--runs-dir", runs, "--force"]);
  assert.equal(forced.status, 0, forced.stderr);
  assert.match(forced.stderr, /the finished run was moved to .*micro-[0-9a-f]{12}\.replaced-/);
  const after = readdirSync(runs).filter((d) => d.startsWith("micro-"));
  assert.equal(after.length, before + 1, after.join(", "));
});
