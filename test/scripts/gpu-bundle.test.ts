// scripts/gpu-bundle.js readies a checkout for scripts/gpu-check.sh on a GPU machine without network: the
// node_modules files it keeps must be all that vpae needs to run, and `slim`/`restore` must take the
// committed run summaries out of the checkout and put them back without losing anything. (Packing with
// xz and the bundled Node are what CI cannot afford to repeat: docs/runtime.md, "GPU check", says how
// the whole bundle was tried.)
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fromRoot } from "../helpers.js";

const script = fromRoot("scripts", "gpu-bundle.js");
function sh(cmd: string, args: string[], cwd: string): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

test("a checkout whose node_modules holds only the bundle's files runs vpae: doctor finds wasm and loads Dawn, and a micro run finishes", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "vpae-bundle-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // the tracked files the check reads (the run summaries are not among them), then the runtime tree
  const files = sh("git", ["ls-files", "-z", "--", ".", ":!experiments/results"], fromRoot()).stdout;
  const copy = spawnSync("tar", ["--null", "-T", "-", "-cf", "-"], { cwd: fromRoot(), input: files, maxBuffer: 1 << 30 });
  assert.equal(copy.status, 0);
  assert.equal(spawnSync("tar", ["-xf", "-"], { cwd: dir, input: copy.stdout }).status, 0);
  const tree = sh(process.execPath, [script, "tree", dir], fromRoot());
  assert.equal(tree.status, 0, tree.stderr);
  assert.match(tree.stdout, /runtime: dist\/ and \d+ files of \d+ packages/);
  // what the bundle leaves out: build tools, type declarations, Dawn for other platforms
  assert.ok(!existsSync(join(dir, "node_modules", "typescript")), "no dev dependency");
  assert.deepEqual(readdirSync(join(dir, "node_modules", "webgpu", "dist")), ["linux-x64"]);
  assert.ok(!existsSync(join(dir, "node_modules", "@tensorflow", "tfjs-core", "dist", "index.d.ts")));

  const doctor = sh(process.execPath, ["bin/vpae.js", "doctor", "--json"], dir);
  assert.equal(doctor.status, 0, doctor.stderr);
  const backends = (JSON.parse(doctor.stdout) as { backends: { name: string; usable: boolean; detail: string }[] }).backends;
  assert.equal(backends.find((b) => b.name === "wasm")?.usable, true);
  const webgpu = backends.find((b) => b.name === "webgpu")!;
  assert.doesNotMatch(webgpu.detail, /not installed|does not load/, "Dawn's addon and tfjs-backend-webgpu are in the bundle");

  const run = sh(process.execPath, ["bin/vpae.js", "run", "experiments/micro.vpae", "--backend", "wasm", "--runs-dir", join(dir, "runs"), "--no-tui"], dir);
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /run finished at step \d+/);
});

test("slim checks out HEAD without experiments/results, detached; restore goes back with every file", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "vpae-slim-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  assert.equal(sh("git", ["clone", "-q", fromRoot(), dir], tmpdir()).status, 0);
  // the script as it is in this checkout (the clone has the committed one)
  copyFileSync(script, join(dir, "scripts", "gpu-bundle.js"));
  assert.equal(sh("git", ["-c", "user.name=t", "-c", "user.email=t@localhost", "commit", "-qam", "this checkout's gpu-bundle.js", "--allow-empty"], dir).status, 0);
  const branch = sh("git", ["symbolic-ref", "--short", "HEAD"], dir).stdout.trim();
  const tracked = sh("git", ["ls-files"], dir).stdout;
  assert.ok(existsSync(join(dir, "experiments", "results")), "the clone has run summaries");

  const notSlim = sh(process.execPath, ["scripts/gpu-bundle.js", "restore"], dir);
  assert.equal(notSlim.status, 1);
  assert.equal(notSlim.stderr, "gpu-bundle: not slim: nothing to restore\n");

  const slim = sh(process.execPath, ["scripts/gpu-bundle.js", "slim"], dir);
  assert.equal(slim.status, 0, slim.stderr);
  assert.match(slim.stdout, new RegExp(`checked out [0-9a-f]{12}: ${branch} without experiments/results/; \`node scripts/gpu-bundle.js restore\` goes back \\(the tests need experiments/results/: restore before \`npm test\`\\)`));
  assert.ok(!existsSync(join(dir, "experiments", "results")));
  assert.equal(sh("git", ["ls-files", "experiments/results"], dir).stdout, "");
  assert.ok(existsSync(join(dir, "experiments", "checkpoints", "teacher.safetensors")), "what the check reads stays");
  assert.equal(sh("git", ["symbolic-ref", "-q", "HEAD"], dir).status, 1, "detached");
  assert.equal(sh("git", ["status", "--porcelain"], dir).stdout, "", "nothing left behind in the working tree");
  const again = sh(process.execPath, ["scripts/gpu-bundle.js", "slim"], dir);
  assert.equal(again.status, 1);
  assert.match(again.stderr, /already slim \(from .+\): `node scripts\/gpu-bundle.js restore` first/);

  // an untracked file under experiments/results stays where it is
  mkdirSync(join(dir, "experiments", "results"));
  writeFileSync(join(dir, "experiments", "results", "notes.txt"), "mine\n");
  // a commit made on the slim checkout is not left behind by restore
  writeFileSync(join(dir, "scratch.txt"), "x\n");
  assert.equal(sh("git", ["add", "scratch.txt"], dir).status, 0);
  assert.equal(sh("git", ["-c", "user.name=t", "-c", "user.email=t@localhost", "commit", "-qm", "on the slim checkout"], dir).status, 0);
  const ahead = sh(process.execPath, ["scripts/gpu-bundle.js", "restore"], dir);
  assert.equal(ahead.status, 1);
  assert.match(ahead.stderr, new RegExp(`HEAD \\([0-9a-f]{12}\\) is no longer the slim commit [0-9a-f]{12}: going back to ${branch} would leave it behind`));
  assert.equal(sh("git", ["reset", "-q", "--hard", "HEAD~1"], dir).status, 0);

  const restore = sh(process.execPath, ["scripts/gpu-bundle.js", "restore"], dir);
  assert.equal(restore.status, 0, restore.stderr);
  assert.equal(restore.stdout, `back on ${branch}\n`);
  assert.equal(sh("git", ["symbolic-ref", "--short", "HEAD"], dir).stdout.trim(), branch);
  assert.equal(sh("git", ["ls-files"], dir).stdout, tracked);
  assert.equal(sh("git", ["status", "--porcelain"], dir).stdout, "?? experiments/results/notes.txt\n");
  assert.equal(readFileSync(join(dir, "experiments", "results", "notes.txt"), "utf8"), "mine\n");

  // a checkout with uncommitted changes is left as it is
  writeFileSync(join(dir, "README.md"), "changed\n");
  const dirty = sh(process.execPath, ["scripts/gpu-bundle.js", "slim"], dir);
  assert.equal(dirty.status, 1);
  assert.equal(dirty.stderr, "gpu-bundle: the checkout has uncommitted changes: commit or stash them first\n");
  assert.equal(sh("git", ["symbolic-ref", "--short", "HEAD"], dir).stdout.trim(), branch);
});

test("fresh: dist/ built after every TypeScript source is fresh; a newer source or no dist/ is refused, naming the file", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "vpae-fresh-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // the script finds the checkout from its own place, so a copy of it judges this small tree
  mkdirSync(join(dir, "scripts"));
  copyFileSync(script, join(dir, "scripts", "gpu-bundle.js"));
  copyFileSync(fromRoot("tsconfig.json"), join(dir, "tsconfig.json")); // the folders with sources
  mkdirSync(join(dir, "compiler", "plan"), { recursive: true });
  const source = join(dir, "compiler", "plan", "steps.ts");
  writeFileSync(source, "export {};\n");
  const fresh = () => sh(process.execPath, ["scripts/gpu-bundle.js", "fresh"], dir);

  let r = fresh();
  assert.equal(r.status, 1);
  assert.match(r.stderr, /dist\/ is not built/);

  mkdirSync(join(dir, "dist", "runtime", "cli"), { recursive: true });
  const built = join(dir, "dist", "runtime", "cli", "main.js");
  writeFileSync(built, "");
  const now = Date.now() / 1000;
  utimesSync(source, now - 60, now - 60);
  utimesSync(built, now - 30, now - 30);
  r = fresh();
  assert.equal(r.status, 0, r.stderr);

  utimesSync(source, now, now);
  r = fresh();
  assert.equal(r.status, 1);
  assert.match(r.stderr, /dist\/ is older than compiler\/plan\/steps\.ts: run `npm run build` first/);
  // bundling refuses the same tree before it packs anything
  const tree = sh(process.execPath, ["scripts/gpu-bundle.js", "tree", join(dir, "out")], dir);
  assert.equal(tree.status, 1);
  assert.match(tree.stderr, /dist\/ is older than compiler\/plan\/steps\.ts/);
});
