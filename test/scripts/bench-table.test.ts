// scripts/bench-table.js writes the runtime benchmark's tables into docs/runtime.md from the JSON that
// scripts/bench-runtime.js saved: the ratios are worked out by hand here, and the committed page must be
// what its files give.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fromRoot, tempDir } from "../helpers.js";

const script = fromRoot("scripts", "bench-table.js");
const run = (...args: string[]) => spawnSync(process.execPath, [script, ...args], { encoding: "utf8" });

const bench = {
  date: "2026-12-08T02:00:00.000Z",
  machine: "Test CPU x16, node v20.20.2",
  load: 0.5,
  steps: 12,
  adapter: "NVIDIA H100 (nvidia hopper) via Vulkan, core feature level",
  train: [
    { backend: "wasm", width: 64, batch: 16, msPerStep: 300, steps: 6, parameters: 330508 },
    { backend: "webgpu", width: 64, batch: 16, msPerStep: 1200, steps: 6, parameters: 330508 },
    { backend: "wasm", width: 512, batch: 16, msPerStep: 7000, steps: 6, parameters: 19860000 },
    { backend: "webgpu", width: 512, batch: 16, msPerStep: 35, steps: 6, parameters: 19860000 },
  ],
  torch: [
    { width: 64, device: "cpu", threads: 1, msPerStep: 50, torch: "2.11.0" },
    { width: 512, device: "NVIDIA H100 80GB HBM3", threads: 1, msPerStep: 5, torch: "2.11.0" },
  ],
  sampling: [
    { backend: "wasm", nfe: 1, msPerVideo: 7 },
    { backend: "wasm", nfe: 100, msPerVideo: 600 },
  ],
};

test("the tables of a benchmark file: step times, wasm's time over each backend's and PyTorch's, and sampling", () => {
  const dir = tempDir({ "page.md": "before\n<!-- bench: bench/x.json -->\nold table\n<!-- /bench -->\nafter\n", "bench/x.json": JSON.stringify(bench) });
  const page = join(dir, "page.md");
  const r = run(page);
  assert.equal(r.status, 0, r.stderr);
  const text = readFileSync(page, "utf8");
  assert.ok(text.startsWith("before\n<!-- bench: bench/x.json -->\n`BENCH_STEPS=12 node scripts/bench-runtime.js` on Test CPU x16, node v20.20.2, 2026-12-08 (load average 0.50 at the start). WebGPU adapter: NVIDIA H100"));
  assert.ok(text.endsWith("<!-- /bench -->\nafter\n"));
  assert.doesNotMatch(text, /old table/);
  assert.match(text, /\n\| width \| parameters \| wasm \| webgpu \| wasm \/ webgpu \|\n\|---\|---\|---\|---\|---\|\n\| 64 \| 0\.33M \| 300 ms \| 1,200 ms \| 0\.25x \|\n\| 512 \| 19\.86M \| 7,000 ms \| 35\.0 ms \| 200\.00x \|\n/);
  assert.match(text, /\n\| 64 \| CPU, 1 thread \| 50\.0 ms \| 6\.00x \| 24\.00x \|\n\| 512 \| GPU \(NVIDIA H100 80GB HBM3\) \| 5\.0 ms \| 1400\.00x \| 7\.00x \|\n/);
  assert.match(text, /\n\| backend \| 1 NFE \| 100 NFE \| 100 NFE \/ 1 NFE \|\n\|---\|---\|---\|---\|\n\| wasm \| 7\.0 ms \| 600 ms \| 85\.71x \|\n/);

  assert.equal(run("--check", page).status, 0, "a page just written is up to date");
  writeFileSync(join(dir, "bench", "x.json"), JSON.stringify({ ...bench, load: 1 }));
  const stale = run("--check", page);
  assert.equal(stale.status, 1);
  assert.match(stale.stderr, /page\.md: the benchmark tables differ from their files \(node scripts\/bench-table\.js rewrites them\)/);
  assert.match(readFileSync(page, "utf8"), /load average 0\.50/, "--check writes nothing");
});

test("docs/runtime.md's benchmark tables are what their committed files give", () => {
  const r = run("--check");
  assert.equal(r.status, 0, r.stderr);
  assert.match(readFileSync(fromRoot("docs", "runtime.md"), "utf8"), /<!-- bench: bench\/\S+\.json -->/);
});
