import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { runCli, MINIMAL, tempDir } from "../helpers.js";


test("vpae plan prints a one-screen summary", () => {
  const dir = tempDir({ "a.vpae": MINIMAL });
  const r = runCli(["plan", join(dir, "a.vpae")]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^experiment tiny {2}plan [0-9a-f]{12}/);
  assert.match(r.stdout, /1 distill +10 +8 +noise/);
  assert.match(r.stdout, /memory +estimated training memory per GPU/);
  assert.ok(r.stdout.split("\n").length <= 40, "fits one screen");
});

test("vpae plan keeps its columns aligned when a phase name is long", () => {
  const r = runCli(["plan", "experiments/micro-terms.vpae"]);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.split("\n");
  const header = lines.find((l) => l.startsWith("phase "))!;
  const rows = lines.filter((l) => /^\d+ \w+ +\d/.test(l));
  assert.ok(rows.some((l) => l.startsWith("5 adversarial_terms")), r.stdout);
  // every column starts where the header names it, whatever the phase's name
  for (const column of ["steps", "batch", "input", "trains"]) {
    const at = header.indexOf(column);
    for (const row of rows) assert.match(row.slice(at - 1, at + 1), /^ \S/, `${column} in: ${row}`);
  }
  const memory = lines.slice(lines.findIndex((l) => l.startsWith("memory"))).filter((l) => /^ {2}\w/.test(l));
  const sizeAt = new Set(memory.map((l) => l.search(/\d+(\.\d+)? [kMG]?B/)));
  assert.equal(sizeAt.size, 1, memory.join("\n"));
});

test("vpae plan --diff names the change and the phases that re-run; plan.json files work too", () => {
  const dir = tempDir({ "a.vpae": MINIMAL, "b.vpae": MINIMAL.replace("lr = 1e-4", "lr = 3e-4") });
  const r = runCli(["plan", "--diff", join(dir, "a.vpae"), join(dir, "b.vpae")]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /~ phases\.distill\.optimizers\.student\.lr\.value: 0\.0001 -> 0\.0003/);
  assert.match(r.stdout, /re-run: distill/);
  const c = runCli(["compile", join(dir, "a.vpae"), "-o", join(dir, "a.json")]);
  assert.equal(c.status, 0, c.stderr);
  const fromJson = runCli(["plan", join(dir, "a.json")]);
  assert.equal(fromJson.status, 0, fromJson.stderr);
  assert.equal(fromJson.stdout, runCli(["plan", join(dir, "a.vpae")]).stdout);
  const same = runCli(["plan", "--diff", join(dir, "a.json"), join(dir, "a.vpae")]);
  assert.match(same.stdout, /no changes/);
  assert.match(same.stdout, /re-run: nothing/);
});

test("a hand-edited plan.json is refused with exit code 1", () => {
  const dir = tempDir({ "a.vpae": MINIMAL });
  runCli(["compile", join(dir, "a.vpae"), "-o", join(dir, "a.json")]);
  writeFileSync(join(dir, "a.json"), readFileSync(join(dir, "a.json"), "utf8").replace('"steps": 10', '"steps": 11'));
  const r = runCli(["plan", join(dir, "a.json")]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /error\[VPAE3004\]/);
});

test("vpae plan --json gives machine-readable phases with memory estimates", () => {
  const dir = tempDir({ "a.vpae": MINIMAL });
  const r = runCli(["plan", join(dir, "a.vpae"), "--json"]);
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout) as { phases: { name: string; memory: { totalBytes: number } }[] };
  assert.equal(j.phases[0]!.name, "distill");
  assert.ok(j.phases[0]!.memory.totalBytes > 0);
});
