// check / compile / help through the real CLI in a child process.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { runCli, MINIMAL, tempDir } from "../helpers.js";

const SWEEP = `param lr = 1e-4
${MINIMAL.replace("lr = 1e-4", "lr = lr")}
sweep lrs over tiny {
  axis lr = [1e-4, 2e-4, 4e-4]
  axis head {
    plain {}
    longer { phase.distill.steps = 20 }
  }
  members = product(lr, head) where not (lr > 3e-4 and head == longer)
  seeds = [0, 1]
}
`;


test("check reports ok with the number of experiments and sweep members", () => {
  const dir = tempDir({ "s.vpae": SWEEP });
  const r = runCli(["check", join(dir, "s.vpae")]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /ok {2}.*s\.vpae \(1 experiment, sweep lrs: 10 members\)/);
});

test("compile --list shows every member with its changed values and plan hash", () => {
  const dir = tempDir({ "s.vpae": SWEEP });
  const r = runCli(["compile", join(dir, "s.vpae"), "--list"]);
  assert.equal(r.status, 0, r.stderr);
  const members = r.stdout.split("\n").filter((l) => /^\s+\d+ {2}[0-9a-f]{12} /.test(l));
  assert.equal(members.length, 10);
  assert.match(r.stdout, /lr=0\.0004 {2}head=plain {2}seed=1/);
  assert.doesNotMatch(r.stdout, /lr=0\.0004 {2}head=longer/);
  const json = JSON.parse(runCli(["compile", join(dir, "s.vpae"), "--list", "--json"]).stdout) as { sweeps: { members: { hash: string }[] }[] };
  assert.equal(json.sweeps[0]!.members.length, 10);
  assert.equal(new Set(json.sweeps[0]!.members.map((m) => m.hash)).size, 10, "every member is a different plan");
});

test("compile -o writes the plan; --member picks a sweep member; --format yaml works", () => {
  const dir = tempDir({ "s.vpae": SWEEP });
  mkdirSync(join(dir, "out"));
  const out = join(dir, "out", "plan.json");
  const r = runCli(["compile", join(dir, "s.vpae"), "-o", out]);
  assert.equal(r.status, 0, r.stderr);
  const plan = JSON.parse(readFileSync(out, "utf8")) as { hash: string; sweep: unknown; phases: { steps: number }[] };
  assert.equal(plan.sweep, null);
  const m = JSON.parse(runCli(["compile", join(dir, "s.vpae"), "--member", "3"]).stdout) as { sweep: { member: string }; phases: { steps: number }[] };
  assert.equal(m.sweep.member, "lr=0.0001,head=longer,seed=1");
  assert.equal(m.phases[0]!.steps, 20);
  const y = runCli(["compile", join(dir, "s.vpae"), "--format", "yaml"]);
  assert.equal(y.status, 0, y.stderr);
  assert.match(y.stdout, /^formatVersion: 1$/m);
  assert.match(y.stdout, new RegExp(`^hash: ${plan.hash}$`, "m"));
});

test("--set and --params override parameters and settings; the plan hash follows", () => {
  const dir = tempDir({ "s.vpae": SWEEP, "p.yaml": "lr: 3e-4\nphase:\n  distill:\n    steps: 12\n" });
  const base = JSON.parse(runCli(["compile", join(dir, "s.vpae")]).stdout) as { hash: string };
  const set = JSON.parse(runCli(["compile", join(dir, "s.vpae"), "--set", "lr=3e-4", "--set", "phase.distill.steps=12"]).stdout) as { hash: string; phases: { steps: number; optimizers: { lr: { value: number } }[] }[] };
  assert.equal(set.phases[0]!.steps, 12);
  assert.equal(set.phases[0]!.optimizers[0]!.lr.value, 3e-4);
  assert.notEqual(set.hash, base.hash);
  const yaml = JSON.parse(runCli(["compile", join(dir, "s.vpae"), "--params", join(dir, "p.yaml")]).stdout) as { hash: string };
  assert.equal(yaml.hash, set.hash);
});

test("a failed compile writes nothing and exits 1", () => {
  const dir = tempDir({ "bad.vpae": MINIMAL.replace("loss c_sds { }", "loss c_sdss { }") });
  const out = join(dir, "plan.json");
  const r = runCli(["compile", join(dir, "bad.vpae"), "-o", out]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /bad\.vpae:\d+:\d+: error\[VPAE2111\]/);
  assert.match(r.stderr, /did you mean 'c_sds'\?/);
  assert.equal(existsSync(out), false);
});

test("every command has --help; --version prints the version", () => {
  for (const cmd of ["check", "compile", "fmt", "plan"]) {
    const r = runCli([cmd, "--help"]);
    assert.equal(r.status, 0, `${cmd}: ${r.stderr}`);
    assert.match(r.stdout, new RegExp(`^usage: vpae ${cmd}`), cmd);
  }
  const top = runCli(["--help"]);
  assert.match(top.stdout, /commands:/);
  const v = runCli(["--version"]);
  assert.match(v.stdout, /^\d+\.\d+\.\d+\n$/);
});

test("--member naming two members of one sweep (a repeated value) asks for the index; of two sweeps, for the sweep", () => {
  const file = readFileSync("test/compiler/diagnostics/cases/sweep-repeated-value.vpae", "utf8") + `\nsweep t over tiny {\n  axis lr = [1e-4, 1e-2]\n}\n`;
  const dir = tempDir({ "dup.vpae": file });
  const same = runCli(["compile", join(dir, "dup.vpae"), "--member", "s/lr=0.0001,seed=1"]);
  assert.equal(same.status, 2, same.stderr);
  assert.match(same.stderr, /'s\/lr=0\.0001,seed=1' names members \d+ and \d+ and \d+ and \d+ of sweep s \(a value is repeated\); give the index, e\.g\. --member s\/\d+/);
  const two = runCli(["compile", join(dir, "dup.vpae"), "--member", "lr=0.01"]);
  assert.equal(two.status, 0, two.stderr);
  const both = runCli(["compile", join(dir, "dup.vpae"), "--member", "0"]);
  assert.equal(both.status, 2);
  assert.match(both.stderr, /'0' names members of sweeps s and t; write SWEEP\/0, e\.g\. s\/0/);
});
