// eval, sample, export and doctor through the CLI, on one micro run.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { runCli, tempDir } from "../helpers.js";
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
