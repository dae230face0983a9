// scripts/gpu-check.sh decides from `vpae doctor --json` whether the machine has a hardware WebGPU
// adapter; a misread there would stop the check on a lent GPU machine after a minute, with its device
// time spent. Without such an adapter (CI: llvmpipe, or no webgpu at all) the check must record doctor,
// name doctor's reason, stop with exit 2 and still leave its files in COPY_DIR. The whole check is for a
// GPU machine and too long for npm test (docs/runtime.md, "GPU check", says how it was tried).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fromRoot } from "../helpers.js";

const script = fromRoot("scripts", "gpu-check.sh");
// installs and builds nothing: the checkout is used as npm test built it, and the machine as it is
const env = { ...process.env, GPU_CHECK_INSTALL: "0", NO_COLOR: "1" };

interface DoctorBackend {
  name: string;
  usable: boolean;
  detail: string;
}

test("without a hardware adapter the GPU check records doctor, names why, stops with exit 2 and copies its files", (t) => {
  const doctor = spawnSync(process.execPath, ["bin/vpae.js", "doctor", "--json"], { cwd: fromRoot(), encoding: "utf8", env });
  assert.equal(doctor.status, 0, doctor.stderr);
  const webgpu = (JSON.parse(doctor.stdout) as { backends: DoctorBackend[] }).backends.find((b) => b.name === "webgpu");
  assert.ok(webgpu, "doctor lists webgpu");
  if (webgpu.usable) {
    t.skip(`a hardware adapter is here (${webgpu.detail}): the whole check would run, which is not for npm test`);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), "vpae-gpu-check-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const out = join(dir, "out");
  const copy = join(dir, "copy");
  const r = spawnSync("bash", [script, out, copy], { encoding: "utf8", env: { ...env, GPU_CHECK_BUDGET: "300" }, timeout: 280_000 });
  assert.equal(r.status, 2, r.stdout + r.stderr);

  const report = readFileSync(join(out, "report.md"), "utf8");
  assert.match(report, /^- GPU_CHECK_INSTALL=0: nothing is installed or built$/m);
  assert.match(report, /^## doctor: exit 0 after \d+ s$/m);
  assert.match(readFileSync(join(out, "doctor.txt"), "utf8"), /webgpu/);
  assert.match(report, /^auto picks: /m, "doctor's last lines are in the report");
  // the reason is doctor's own, read from the webgpu entry of its JSON
  assert.ok(report.includes(`- hardware WebGPU adapter: no: ${webgpu.detail}\n`), report);
  assert.match(report, /^No hardware adapter: nothing here would measure a GPU\. Stopped/m);
  assert.doesNotMatch(report, /^## (micro-webgpu|bench|webgpu-tests|quickstart-webgpu)/m, "nothing runs after doctor");
  assert.match(report, /^check took \d+ s$/m);

  assert.equal(readFileSync(join(copy, "report.md"), "utf8"), report);
  assert.ok(!existsSync(join(copy, "bench.json")), "no benchmark ran");
  const logs = spawnSync("tar", ["-tzf", join(copy, "logs.tar.gz")], { encoding: "utf8" });
  assert.equal(logs.status, 0, logs.stderr);
  assert.deepEqual(logs.stdout.split("\n").filter((f) => /\.(txt|md)$/.test(f)).sort(), ["./doctor.txt", "./report.md", "./vulkan-loader.txt"]);
});

test("with GPU_CHECK_INSTALL=0 a checkout without node_modules or dist/ is refused, and nothing is installed", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "vpae-gpu-check-bare-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, "scripts"));
  copyFileSync(script, join(dir, "scripts", "gpu-check.sh"));
  const r = spawnSync("bash", ["scripts/gpu-check.sh", "out"], { cwd: dir, encoding: "utf8", env, timeout: 60_000 });
  assert.equal(r.status, 1, r.stdout + r.stderr);
  assert.match(readFileSync(join(dir, "out", "report.md"), "utf8"), /^- GPU_CHECK_INSTALL=0, and node_modules\/ or dist\/ is missing: stopped$/m);
  assert.ok(!existsSync(join(dir, "node_modules")), "npm ci did not run");
});
