// `vpae sweep --launcher slurm` on a real one-node Slurm (scripts/slurm-up.sh; CI starts it and sets
// VPAE_SLURM=1, which makes these tests required). Without a cluster and without VPAE_SLURM they are
// skipped, and say so. The script builders are tested everywhere.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fromRoot, runCli, tempDir } from "../helpers.js";
import { MICRO_SWEEP, assertSameRun, manifest, memberHashes, microCopy, record, runOf } from "./helpers.js";
import { arrayRanges, jobScript, sbatchArgs, shellQuote, submitScript } from "../../runtime/sweep/slurm.js";
import type { MemberTable } from "../../runtime/sweep/record.js";

const haveSlurm = /idle|mixed|allocated/.test(spawnSync("sinfo", ["-h", "-o", "%T"], { encoding: "utf8" }).stdout ?? "");
const skip = !haveSlurm && process.env["VPAE_SLURM"] !== "1" ? "no Slurm cluster here (scripts/slurm-up.sh starts one; CI sets VPAE_SLURM=1)" : false;

test("shell quoting survives spaces, quotes and newlines; array ranges are compact", () => {
  for (const s of ["plain", "two words", "it's", 'say "hi"', "a\nb", "$HOME `x` \\ *"]) {
    const out = execFileSync("sh", ["-c", `printf %s ${shellQuote(s)}`], { encoding: "utf8" });
    assert.equal(out, s);
  }
  assert.equal(arrayRanges([5, 0, 1, 2, 3, 7, 8, 11]), "0-3,5,7-8,11");
  assert.equal(arrayRanges([4]), "4");
});

test("the generated scripts quote every path, double % for Slurm's patterns and parse as shell", () => {
  const dir = "/tmp/a dir/with 'quotes' and %percent";
  const table = { formatVersion: 1, sweep: "s", source: "/x/s.vpae", runsDir: "/tmp/a dir", cwd: "/tmp/it's here", updatedAt: "", members: [] } as MemberTable;
  const args = sbatchArgs(dir, table, [0, 1, 2, 5], { cpusPerTask: 1, parallelism: 2, time: "10:00", partition: "debug" });
  assert.ok(args.includes("--array=0-2,5%2"));
  assert.ok(args.includes("--output=/tmp/a dir/with 'quotes' and %%percent/%A_%a.out"));
  assert.ok(args.includes("--signal=B:USR2@90") && args.includes("--requeue") && args.includes("--open-mode=append"));
  assert.ok(args.includes("--chdir=/tmp/it's here"));
  const submit = submitScript(args, join(dir, "slurm", "job.sh"));
  const job = jobScript(dir, table, { cpusPerTask: 1 });
  assert.equal(spawnSync("sh", ["-n", "-c", submit]).status, 0, submit);
  assert.equal(spawnSync("bash", ["-n", "-c", job]).status, 0, job);
  // what the shell hands sbatch is exactly the argument list vpae passes itself
  const echoed = execFileSync("sh", ["-c", submit.replace("exec sbatch", "printf '%s\\n'")], { encoding: "utf8" }).trimEnd().split("\n");
  assert.deepEqual(echoed, [...args, join(dir, "slurm", "job.sh")]);
  assert.match(job, /exec '.*node' '.*bin\/vpae\.js' sweep-member '\/tmp\/a dir\/with '\\''quotes'\\'' and %percent' "\$SLURM_ARRAY_TASK_ID" --slurm/);
});

/** Polls squeue: the most tasks of `job` seen running at once, until the job leaves the queue. */
function watchConcurrency(): { stop: () => number } {
  let most = 0;
  const timer = setInterval(() => {
    const r = spawnSync("squeue", ["-h", "-t", "RUNNING", "-o", "%i", "-n", "vpae-micro_sweep"], { encoding: "utf8" });
    const n = r.stdout.split("\n").filter((l) => l.trim()).length;
    most = Math.max(most, n);
  }, 100);
  return { stop: () => (clearInterval(timer), most) };
}

test("a 4-member micro sweep runs as one job array, two tasks at a time, with shared prefixes and logs in the sweep folder", { skip }, () => {
  const runs = join(tempDir({}), "runs with space");
  const watch = watchConcurrency();
  const r = runCli(["sweep", MICRO_SWEEP, "--launcher", "slurm", "--array-parallelism", "2", "--runs-dir", runs, "--no-tui"]);
  const most = watch.stop();
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /Slurm job \d+/);
  assert.match(r.stdout, /sweep done in .*: 4 finished/);
  assert.ok(most <= 2, `at most 2 tasks at once (saw ${most})`);
  const hashes = memberHashes(runCli(["compile", MICRO_SWEEP, "--list", "--json"]).stdout);
  for (const h of hashes) assert.equal(manifest(runOf(runs, h)!).status, "finished");
  const sweepDir = join(runs, "sweeps", "micro_sweep");
  const outs = readdirSync(sweepDir).filter((n) => /^\d+_\d\.out$/.test(n));
  assert.equal(outs.length, 4, outs.join(", "));
  const starts = record(sweepDir).filter((l) => l.state === "started");
  assert.ok(starts.some((l) => l.from?.phases === 2), "a member started from a shared phase-end checkpoint");
  assert.match(readFileSync(join(sweepDir, "slurm", "submit.sh"), "utf8"), /--array=0-3%2/);
});

test("--emit-only writes scripts that a person submits with sh; members named with spaces and quotes find their plans", { skip }, async () => {
  const sweep = `import "micro-distill.vpae"

param teacher_file = "checkpoints/teacher.safetensors"

experiment quoted extends micro_distill {
  teacher {
    init = checkpoint(teacher_file)
  }
}

sweep quoted_names over quoted {
  axis teacher_file = ["checkpoints/teacher copy 'a'.safetensors", "checkpoints/teacher \\"b\\" two.safetensors"]
}
`;
  const dir = microCopy({ "quoted.vpae": sweep });
  for (const n of ["teacher copy 'a'.safetensors", 'teacher "b" two.safetensors']) execFileSync("cp", [join(dir, "checkpoints", "teacher.safetensors"), join(dir, "checkpoints", n)]);
  const runs = join(dir, "runs 'x'");
  const scripts = join(dir, "emitted scripts");
  const r = runCli(["sweep", join(dir, "quoted.vpae"), "--launcher", "slurm", "--emit-only", scripts, "--runs-dir", runs]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /wrote .*submit\.sh and .*job\.sh \(2 array tasks\)/);
  assert.ok(!existsSync(join(runs, "sweeps", "quoted_names", "record.jsonl")) || !readFileSync(join(runs, "sweeps", "quoted_names", "record.jsonl"), "utf8").includes('"submit"'), "nothing submitted");
  const job = execFileSync("sh", [join(scripts, "submit.sh")], { encoding: "utf8" }).trim();
  assert.match(job, /^\d+$/);
  for (let i = 0; i < 600; i++) {
    if (!spawnSync("squeue", ["-h", "-j", job], { encoding: "utf8" }).stdout.trim()) break;
    await new Promise((res) => setTimeout(res, 200));
  }
  const table = JSON.parse(readFileSync(join(runs, "sweeps", "quoted_names", "members.json"), "utf8")) as MemberTable;
  for (const m of table.members) {
    assert.match(m.name, /teacher (copy 'a'|"b" two)/);
    assert.equal(manifest(m.runDir).status, "finished", `${m.name}: ${readdirSync(join(runs, "sweeps", "quoted_names")).join(", ")}`);
  }
  const status = runCli(["sweep", join(dir, "quoted.vpae"), "--status", "--launcher", "slurm", "--runs-dir", runs]);
  assert.equal(status.status, 0, status.stderr);
  assert.match(status.stdout, /finished/);
});

test("Slurm's USR2 makes a task checkpoint and requeue itself; it resumes where it stopped and ends bit-identical", { skip }, async () => {
  const runs = tempDir({});
  const LONG = ["--set", "phase.equilibrium.steps=30"];
  const hash = memberHashes(runCli(["compile", MICRO_SWEEP, "--list", "--json", ...LONG]).stdout)[0]!;
  const child = spawn(process.execPath, [fromRoot("bin", "vpae.js"), "sweep", MICRO_SWEEP, "--launcher", "slurm", "--only", "0", "--runs-dir", runs, "--no-tui", ...LONG], { cwd: fromRoot(), stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (out += d.toString()));
  const done = new Promise<number | null>((r) => child.on("close", (c) => r(c)));
  const ck = join(runs, `micro_distill-${hash.slice(0, 12)}`, "checkpoints", "step-000011.safetensors");
  for (let i = 0; i < 1200 && !existsSync(ck); i++) await new Promise((r) => setTimeout(r, 50));
  assert.ok(existsSync(ck), `a mid-equilibrium checkpoint: ${out}`);
  const sweepDir = join(runs, "sweeps", "micro_sweep");
  const job = (JSON.parse(readFileSync(join(sweepDir, "record.jsonl"), "utf8").split("\n").find((l) => l.includes('"submit"'))!) as { job: string }).job;
  execFileSync("scancel", ["--signal=USR2", "--batch", `${job}_0`]);
  for (let i = 0; i < 600 && !readFileSync(join(sweepDir, "record.jsonl"), "utf8").includes('"requeued"'); i++) await new Promise((r) => setTimeout(r, 50));
  // Slurm holds a requeued task for cred_expire seconds (15 on the test cluster, scripts/slurm-up.sh)
  // before it starts it again. Starting it sooner by hand (StartTime=now) races the node's cleanup of
  // the first run: slurmd refuses the task ("Job credential revoked") and Slurm drops it.
  const code = await done;
  if (code !== 0) spawnSync("scancel", [job]); // leave no task behind for the next test
  const taskLog = () => (existsSync(join(sweepDir, `${job}_0.out`)) ? readFileSync(join(sweepDir, `${job}_0.out`), "utf8") : "(no task log)");
  const states = record(sweepDir).filter((l) => l.t === "state").map((l) => l.state);
  assert.deepEqual(states, ["queued", "started", "stopped", "requeued", "started", "finished"], `sweep output:\n${out}\ntask log:\n${taskLog()}`);
  assert.equal(code, 0, out);
  const dir = runOf(runs, hash)!;
  assert.equal(manifest(dir).status, "finished");
  const log = readFileSync(join(sweepDir, `${job}_0.out`), "utf8");
  assert.match(log, /resumed at step \d+/);
  const scratch = tempDir({});
  mkdirSync(scratch, { recursive: true });
  assert.equal(runCli(["run", MICRO_SWEEP, "--member", "0", "--runs-dir", scratch, "--no-tui", ...LONG]).status, 0);
  assertSameRun(dir, runOf(scratch, hash)!, 37, "requeued member vs from scratch");
});

test("a task that Slurm kills outright is reported failed with its log, and the next sweep resumes it", { skip }, async () => {
  const runs = tempDir({});
  const LONG = ["--set", "phase.equilibrium.steps=30"];
  const hash = memberHashes(runCli(["compile", MICRO_SWEEP, "--list", "--json", ...LONG]).stdout)[0]!;
  const child = spawn(process.execPath, [fromRoot("bin", "vpae.js"), "sweep", MICRO_SWEEP, "--launcher", "slurm", "--only", "0", "--runs-dir", runs, "--no-tui", ...LONG], { cwd: fromRoot(), stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (out += d.toString()));
  const done = new Promise<number | null>((r) => child.on("close", (c) => r(c)));
  const ck = join(runs, `micro_distill-${hash.slice(0, 12)}`, "checkpoints", "step-000011.safetensors");
  for (let i = 0; i < 1200 && !existsSync(ck); i++) await new Promise((r) => setTimeout(r, 50));
  assert.ok(existsSync(ck), `a mid-equilibrium checkpoint: ${out}`);
  const sweepDir = join(runs, "sweeps", "micro_sweep");
  const job = (JSON.parse(readFileSync(join(sweepDir, "record.jsonl"), "utf8").split("\n").find((l) => l.includes('"submit"'))!) as { job: string }).job;
  // KILL leaves the task no chance to record anything: the sweep must not count it as anything but failed
  execFileSync("scancel", ["--signal=KILL", "--batch", `${job}_0`]);
  const code = await done;
  assert.equal(code, 1, out);
  const last = record(sweepDir).filter((l) => l.t === "state").at(-1)!;
  assert.equal(last.state, "failed");
  assert.match(String(last.reason), /ended without recording how.*see .*_0\.out/);
  assert.match(out, /failed/);
  // run again: the member resumes from its last checkpoint and finishes
  const again = runCli(["sweep", MICRO_SWEEP, "--launcher", "slurm", "--only", "0", "--runs-dir", runs, "--no-tui", ...LONG]);
  assert.equal(again.status, 0, again.stdout + again.stderr);
  assert.equal(manifest(runOf(runs, hash)!).status, "finished");
  const states = record(sweepDir).filter((l) => l.t === "state").map((l) => l.state);
  assert.deepEqual(states.slice(-3), ["queued", "started", "finished"]);
});
