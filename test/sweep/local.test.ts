// `vpae sweep` with the local launcher, end to end through the CLI on experiments/micro-sweep.vpae:
// the dry run, the cache (a finished run anywhere under the runs folder is not run again), prefix
// sharing that ends bit-identical to from-scratch runs, Ctrl-C and resume, a killed sweep whose
// workers stop by themselves, a failing member, --only failed, --fail-fast and a changed sweep file.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { copyFileSync, existsSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fromRoot, runCli, tempDir } from "../helpers.js";
import { MICRO_SWEEP, assertSameRun, manifest, memberHashes, microCopy, record, runOf } from "./helpers.js";

const hashes = memberHashes(runCli(["compile", MICRO_SWEEP, "--list", "--json"]).stdout);

test("the dry run lists every member with its status, shared prefix and estimate, and writes nothing", () => {
  const runs = tempDir({});
  const r = runCli(["sweep", MICRO_SWEEP, "--dry-run", "--runs-dir", runs]);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.split("\n");
  assert.match(lines[0]!, /^sweep micro_sweep over micro_distill: 4 members, /);
  const row = (i: number) => lines.find((l) => l.startsWith(`${i}  ${hashes[i]!.slice(0, 12)}`)) ?? "";
  assert.match(row(0), /variant=base\s+new\s+12\s+\?$/);
  assert.match(row(1), /variant=csds_1\s+new, from member 0 after priming\s+5\/12/);
  assert.match(row(2), /variant=conv_head\s+new, from member 0 after priming\s+5\/12/);
  assert.match(row(3), /variant=slow_priming\s+new, from member 0 after consistency\s+9\/12/);
  assert.match(r.stdout, /├─ members 1, 2 start after priming \(consistency, priming: 7 steps each\)/);
  assert.match(r.stdout, /└─ member 3 starts after consistency \(consistency: 3 steps\)/);
  assert.match(r.stdout, /saves 17 of 48 steps \(35%\)/);
  assert.ok(!existsSync(join(runs, "sweeps")), "a dry run writes nothing");

  const j = JSON.parse(runCli(["sweep", MICRO_SWEEP, "--dry-run", "--json", "--runs-dir", runs]).stdout) as { members: { index: number; status: string; share: { member: number; phases: number; after: string; step: number } | null }[]; totals: { saved: number; todo: number } };
  assert.deepEqual(j.members[2]!.share && { ...j.members[2]!.share, run: undefined }, { member: 0, run: undefined, phases: 2, step: 7, after: "priming" });
  assert.equal(j.members[0]!.share, null);
  assert.deepEqual([j.totals.saved, j.totals.todo], [17, 31]);
});

test("too many members, bad selections and slurm-only flags are refused with a reason", () => {
  const runs = tempDir({});
  const big = runCli(["sweep", MICRO_SWEEP, "--max", "3", "--runs-dir", runs]);
  assert.equal(big.status, 1);
  assert.match(big.stderr, /sweep micro_sweep has 4 members, more than --max 3/);
  const cases: [string[], RegExp][] = [
    [["--only", "7"], /members are numbered 0 to 3/],
    [["--only", "variant=nope"], /no member has variant=nope \(values: base, csds_1, conv_head, slow_priming\)/],
    [["--only", "lr=1"], /the sweep has no axis 'lr' \(axes: variant\)/],
    [["--only", "everything"], /--only takes failed, missing/],
    [["--partition", "debug"], /--partition needs --launcher slurm/],
    [["--sweep", "nope"], /has no sweep 'nope' \(it has micro_sweep\)/],
    [["--jobs", "0"], /--jobs must be a whole number >= 1/],
  ];
  for (const [extra, want] of cases) {
    const r = runCli(["sweep", MICRO_SWEEP, "--dry-run", "--runs-dir", runs, ...extra]);
    assert.equal(r.status, 2, `${extra.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, want);
    assert.doesNotMatch(r.stderr, /internal error|\bat .*\.js:\d+/);
  }
  assert.ok(!existsSync(join(runs, "sweeps")));
});

test("a sweep trains each member once: a run made by `vpae run` is reused, shared prefixes end bit-identical to runs from scratch, a second sweep trains nothing", () => {
  const runs = tempDir({});
  // member 1 as a plain run, one folder down: the sweep must find it and not train it again
  const plain = runCli(["run", MICRO_SWEEP, "--member", "1", "--runs-dir", join(runs, "elsewhere"), "--no-tui"]);
  assert.equal(plain.status, 0, plain.stderr);
  assert.match(runCli(["sweep", MICRO_SWEEP, "--dry-run", "--runs-dir", runs]).stdout, /variant=csds_1\s+finished/);

  const r = runCli(["sweep", MICRO_SWEEP, "--runs-dir", runs, "--jobs", "2"]);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /\[1\] variant=csds_1: nothing to do \(already finished in .*elsewhere/);
  assert.match(r.stdout, /sweep done in .*: 1 cached, 3 finished|sweep done in .*: 3 finished, 1 cached/);
  const sweepDir = join(runs, "sweeps", "micro_sweep");
  const starts = record(sweepDir).filter((l) => l.t === "state" && l.state === "started");
  assert.deepEqual(starts.map((l) => l.index).sort(), [0, 2, 3]);
  // member 2 starts after priming from the plain run of member 1, whose checkpoint is there already (its
  // discriminator head differs: it gets fresh head weights); member 3 from the same run after consistency
  const from = (i: number) => starts.find((l) => l.index === i)!.from!;
  assert.deepEqual([from(2).member, from(2).phases, from(2).after], [null, 2, "priming"]);
  assert.deepEqual([from(3).member, from(3).phases, from(3).after], [null, 1, "consistency"]);
  const m2 = manifest(runOf(runs, hashes[2]!)!);
  const source = runOf(runs, hashes[1]!)!.split("/").pop();
  assert.equal(m2.forkedFrom?.step, 7);
  assert.equal(m2.forkedFrom?.run, source);
  assert.deepEqual(m2.phases.map((p) => p.sharedFrom ?? null), [source, source, null]);

  const scratch = tempDir({});
  for (const i of [2, 3]) {
    const s = runCli(["run", MICRO_SWEEP, "--member", String(i), "--runs-dir", scratch, "--no-tui"]);
    assert.equal(s.status, 0, s.stderr);
    assertSameRun(runOf(runs, hashes[i]!)!, runOf(scratch, hashes[i]!)!, 12, `member ${i} (shared prefix) vs from scratch`);
  }

  // the report of the sweep by its name: every member finished, one row each (no seeds)
  const report = runCli(["report", "micro_sweep", "--runs-dir", runs, "--baseline", "variant=base"]);
  assert.equal(report.status, 0, report.stderr);
  assert.match(report.stdout, /^sweep micro_sweep: 4 members \(4 finished\), student at 1 NFE on the validation clips, against variant=base/);
  for (const v of ["base", "csds_1", "conv_head", "slow_priming"]) assert.match(report.stdout, new RegExp(`\\n${v}\\s+1\\s+\\d`));
  assert.match(report.stdout, /one seed each: no error bar/);

  const before = readdirSync(join(runOf(runs, hashes[0]!)!, "checkpoints")).join(",");
  const size = statSync(join(runOf(runs, hashes[0]!)!, "metrics.jsonl")).size;
  const again = runCli(["sweep", MICRO_SWEEP, "--runs-dir", runs]);
  assert.equal(again.status, 0, again.stderr);
  assert.equal((again.stdout.match(/nothing to do/g) ?? []).length, 4);
  assert.doesNotMatch(again.stdout, /started/);
  assert.equal(readdirSync(join(runOf(runs, hashes[0]!)!, "checkpoints")).join(","), before);
  assert.equal(statSync(join(runOf(runs, hashes[0]!)!, "metrics.jsonl")).size, size);
});

/** Starts `vpae sweep ARGS`; resolves with its exit code and output once it ends. */
function sweepProcess(args: string[], opts: { detached?: boolean; onOutput?: (out: string, child: ReturnType<typeof spawn>) => void } = {}) {
  const child = spawn(process.execPath, [fromRoot("bin", "vpae.js"), "sweep", ...args], { cwd: fromRoot(), stdio: ["ignore", "pipe", "pipe"], detached: opts.detached ?? false, env: { ...process.env, NO_COLOR: "1" } });
  let out = "";
  child.stdout!.on("data", (d: Buffer) => {
    out += d.toString();
    opts.onOutput?.(out, child);
  });
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  return { child, done: new Promise<{ code: number | null; out: string }>((r) => child.on("close", (code) => r({ code, out }))) };
}

async function until(what: string, ok: () => boolean, ms = 60_000): Promise<void> {
  const t = Date.now();
  while (!ok()) {
    if (Date.now() - t > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const LONG = ["--set", "phase.equilibrium.steps=30"];

test("Ctrl-C stops every member at a checkpoint; the same command resumes them and they end as if never stopped", async () => {
  const runs = tempDir({});
  const list = memberHashes(runCli(["compile", MICRO_SWEEP, "--list", "--json", ...LONG]).stdout);
  const args = [MICRO_SWEEP, "--runs-dir", runs, "--only", "0,1", ...LONG];
  let sent = false;
  const p = sweepProcess(args);
  // member 1 (from member 0 after priming) is training its equilibrium: stop the sweep, once
  const poll = setInterval(() => {
    if (!sent && existsSync(join(runs, `micro_distill-${list[1]!.slice(0, 12)}`, "checkpoints", "step-000011.safetensors"))) {
      sent = true;
      p.child.kill("SIGINT");
    }
  }, 10);
  const first = await p.done;
  clearInterval(poll);
  assert.equal(first.code, 130, first.out);
  assert.match(first.out, /\[1\] stopped variant=csds_1/);
  const dir1 = runOf(runs, list[1]!)!;
  const m = manifest(dir1);
  assert.equal(m.status, "stopped");
  assert.ok(m.checkpoints.at(-1)!.step < 37, "stopped before the end");

  const second = runCli(["sweep", ...args]);
  assert.equal(second.status, 0, second.stdout + second.stderr);
  assert.match(second.stdout, /\[1\] started variant=csds_1, resumed at step \d+/);
  assert.equal(manifest(dir1).status, "finished");
  const scratch = tempDir({});
  assert.equal(runCli(["run", MICRO_SWEEP, "--member", "1", "--runs-dir", scratch, "--no-tui", ...LONG]).status, 0);
  assertSameRun(dir1, runOf(scratch, list[1]!)!, 37, "member 1 stopped, resumed and shared vs from scratch");
});

test("when the sweep process is killed, its workers notice, checkpoint and stop; the next sweep resumes them", async () => {
  const runs = tempDir({});
  const list = memberHashes(runCli(["compile", MICRO_SWEEP, "--list", "--json", ...LONG]).stdout);
  const args = [MICRO_SWEEP, "--runs-dir", runs, "--only", "0", ...LONG];
  const p = sweepProcess(args, { detached: true });
  const ck = () => join(runs, `micro_distill-${list[0]!.slice(0, 12)}`, "checkpoints", "step-000011.safetensors");
  await until("a mid-equilibrium checkpoint", () => existsSync(ck()));
  process.kill(-p.child.pid!, "SIGKILL"); // the sweep's whole process group; the worker has its own
  await p.done;
  const dir = runOf(runs, list[0]!)!;
  await until("the orphaned worker to stop", () => manifest(dir).status !== "running", 30_000);
  const m = manifest(dir);
  assert.equal(m.status, "stopped");
  assert.match(m.reason ?? "", /the sweep that started this member is gone/);
  await until("the worker to release the run", () => !existsSync(join(dir, "run.lock")), 10_000);
  const again = runCli(["sweep", ...args]);
  assert.equal(again.status, 0, again.stdout + again.stderr);
  assert.match(again.stdout, /resumed at step \d+/);
  assert.equal(manifest(dir).status, "finished");
});

const FAILING = `import "micro-distill.vpae"

// member 0 cannot load its teacher until the test puts the file in place; member 2 is member 1 again
sweep failing over micro_distill {
  axis variant {
    late_teacher {
      teacher.init = checkpoint("checkpoints/later.safetensors")
    }
    ok {}
    same_as_ok {}
  }
}
`;

test("a failing member does not stop the others, shows its error and log, stays failed until --only failed re-runs it", () => {
  const dir = microCopy({ "failing.vpae": FAILING });
  const runs = join(dir, "runs");
  const file = join(dir, "failing.vpae");
  const r = runCli(["sweep", file, "--runs-dir", runs, "--jobs", "1"]);
  assert.equal(r.status, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /\[0\] FAILED variant=late_teacher \(exit 1\): .*cannot load the teacher/);
  assert.match(r.stdout, /log: .*logs\/0-[0-9a-f]{12}\.log/);
  assert.match(r.stdout, /\[1\] finished variant=ok/);
  // the same plan twice trains once: member 2 waits for member 1 and finds its run finished
  assert.match(r.stdout, /\[2\] variant=same_as_ok: nothing to do \(already finished in .*micro_distill-[0-9a-f]{12}\)/);
  assert.equal(record(join(runs, "sweeps", "failing")).filter((l) => l.state === "started" && l.index === 2).length, 0);
  assert.match(r.stdout, /1 failed/);

  // plain re-run: the failed member is left alone (and said so), the exit code stays 1
  const again = runCli(["sweep", file, "--runs-dir", runs]);
  assert.equal(again.status, 1, again.stdout);
  assert.match(again.stdout, /1 member failed before and is left alone: 0 \(re-run with --only failed or --retry N\)/);
  assert.match(runCli(["sweep", file, "--runs-dir", runs, "--dry-run"]).stdout, /variant=late_teacher\s+failed \(exit 1\), left alone \(--only failed re-runs it\)/);

  copyFileSync(join(dir, "checkpoints", "teacher.safetensors"), join(dir, "checkpoints", "later.safetensors"));
  const fixed = runCli(["sweep", file, "--runs-dir", runs, "--only", "failed"]);
  assert.equal(fixed.status, 0, fixed.stdout + fixed.stderr);
  assert.match(fixed.stdout, /\[0\] finished variant=late_teacher/);
  assert.doesNotMatch(fixed.stdout, /\[[12]\]/);

  // the sweep file changes: the changed member is a new member, and the dry run says so
  const changed = runCli(["sweep", file, "--runs-dir", runs, "--dry-run", "--set", "phase.equilibrium.steps=6"]);
  assert.match(changed.stdout, /variant=ok\s+new, from .* after priming, changed \(was [0-9a-f]{12}\)/);
  assert.match(changed.stdout, /3 members' plan changed since the sweep last ran/);
  assert.match(changed.stdout, /\n  1: phases\.equilibrium\.steps 5 -> 6; trains equilibrium again\n/);
});

test("--fail-fast skips the members that have not started once one fails", () => {
  const dir = microCopy({ "failing.vpae": FAILING });
  const r = runCli(["sweep", join(dir, "failing.vpae"), "--runs-dir", join(dir, "runs"), "--jobs", "1", "--fail-fast"]);
  assert.equal(r.status, 1, r.stdout);
  assert.match(r.stdout, /\[0\] FAILED/);
  assert.match(r.stdout, /\[1\] skipped variant=ok: not started after a failure \(--fail-fast\)/);
  assert.match(r.stdout, /\[2\] skipped variant=same_as_ok/);
  assert.match(readFileSync(join(dir, "runs", "sweeps", "failing", "record.jsonl"), "utf8"), /"state":"failed"/);
});

test("renaming the experiment keeps the members' hashes; a member that starts after the rename forks and runs under the new name", () => {
  const sweep = (over: string) => `import "micro-distill.vpae"

experiment renamed extends micro_distill {}

sweep named over ${over} {
  axis variant {
    base {}
    csds_1 {
      phase.equilibrium.loss.c_sds.weight = 1
    }
  }
}
`;
  const dir = microCopy({ "named.vpae": sweep("micro_distill") });
  const runs = join(dir, "runs");
  const file = join(dir, "named.vpae");
  const first = runCli(["sweep", file, "--runs-dir", runs, "--only", "0"]);
  assert.equal(first.status, 0, first.stdout + first.stderr);
  writeFileSync(file, sweep("renamed"));
  const dry = runCli(["sweep", file, "--runs-dir", runs, "--dry-run"]);
  assert.doesNotMatch(dry.stdout, /changed \(was/, "the rename changes no hash");
  const second = runCli(["sweep", file, "--runs-dir", runs, "--only", "1"]);
  assert.equal(second.status, 0, second.stdout + second.stderr);
  assert.match(second.stdout, /\[1\] started variant=csds_1, from run micro_distill-[0-9a-f]{12} after priming/);
  assert.match(second.stdout, /\[1\] finished variant=csds_1/);
  const [, h1] = memberHashes(runCli(["compile", file, "--list", "--json"]).stdout);
  assert.ok(existsSync(join(runs, `renamed-${h1!.slice(0, 12)}`)), readdirSync(runs).join(", "));
  assert.equal(manifest(join(runs, `renamed-${h1!.slice(0, 12)}`)).status, "finished");
});
