// Readies this checkout for scripts/gpu-check.sh on a GPU machine that has no network (so no `npm ci`)
// and may have no Node, and that receives a size-limited copy of the checkout (docs/runtime.md, "GPU
// check"). Run after `npm ci` (which builds dist/), on Linux x86-64.
//
//   node scripts/gpu-bundle.js           writes .gpu/ (git ignores it): this Node binary (xz), the
//                                        runtime's node_modules and dist/ (tar.xz), the .debs of the
//                                        Vulkan loader and glvnd, and manifest.json; then prints what a
//                                        copy would weigh
//   node scripts/gpu-bundle.js size      only prints that
//   node scripts/gpu-bundle.js tree DIR  copies the runtime part (dist/ and the node_modules files kept)
//                                        into DIR, uncompressed (test/scripts/gpu-bundle.test.ts runs vpae
//                                        from such a copy)
//   node scripts/gpu-bundle.js slim      checks out HEAD without experiments/results/ (committed run
//                                        summaries the check never reads: most of the checkout's size),
//                                        detached; refuses a checkout with uncommitted changes
//   node scripts/gpu-bundle.js restore   goes back to the branch `slim` left
//   node scripts/gpu-bundle.js fresh     exits 0 where dist/ is built and no TypeScript source is newer
//                                        (bundle and tree refuse a stale dist/; gpu-check.sh builds then)
//
// gpu-check.sh unpacks .gpu/ where node_modules/ or dist/ is missing, uses the bundled Node where `node`
// is missing or older than 20, and unpacks each .deb whose library the machine lacks.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const out = path.join(root, ".gpu");
const MiB = 1024 * 1024;
const SLIMMED = "experiments/results";
const DEBS = ["libvulkan1", "libglvnd0", "libglx0", "libgl1", "libegl1", "libgles2", "libopengl0"];
/** The build's last output that the CLI loads: dist/ is as new as it. */
const BUILT = path.join(root, "dist", "runtime", "cli", "main.js");

function fail(message) {
  process.stderr.write(`gpu-bundle: ${message}\n`);
  process.exit(1);
}
function git(...args) {
  return gitWith(process.env, ...args);
}
function gitWith(env, ...args) {
  const r = spawnSync("git", args, { cwd: root, encoding: "utf8", env });
  if (r.status !== 0) fail(`git ${args.join(" ")} failed: ${(r.stderr || r.stdout).trim().split("\n")[0]}`);
  return r.stdout.trim();
}
/** Whether tracked files have uncommitted changes. */
const uncommitted = () => git("status", "--porcelain", "--untracked-files=no") !== "";
/** A file inside the checkout's git directory (never part of a copy of the working tree). */
const gitPath = (name) => path.resolve(root, git("rev-parse", "--git-path", name));
function sizeOf(p) {
  const st = statSync(p, { throwIfNoEntry: false });
  if (!st) return 0;
  if (!st.isDirectory()) return st.size;
  return readdirSync(p).reduce((s, e) => s + sizeOf(path.join(p, e)), 0);
}

/** What a copy of the checkout weighs: tracked files, untracked files git does not ignore, and .gpu/. */
function travelSize() {
  const listed = (args) => git(...args, "-z").split("\0").filter(Boolean);
  const files = [...listed(["ls-files", "--cached"]), ...listed(["ls-files", "--others", "--exclude-standard"])];
  const checkout = files.reduce((s, f) => s + sizeOf(path.join(root, f)), 0);
  const bundle = sizeOf(out);
  console.log(`checkout (tracked and untracked, not ignored): ${(checkout / MiB).toFixed(1)} MiB`);
  console.log(`.gpu/: ${(bundle / MiB).toFixed(1)} MiB (git ignores it: a copy that leaves out ignored files must be told to take it)`);
  console.log(`together: ${((checkout + bundle) / MiB).toFixed(1)} MiB${existsSync(path.join(root, SLIMMED)) ? ` (\`node scripts/gpu-bundle.js slim\` leaves out ${SLIMMED}/: ${(sizeOf(path.join(root, SLIMMED)) / MiB).toFixed(1)} MiB)` : ""}`);
}

/** The packages `vpae` needs at run time: npm's production tree (optional dependencies included). */
function runtimePackages() {
  const r = spawnSync("npm", ["ls", "--omit=dev", "--all", "--parseable"], { cwd: root, encoding: "utf8" });
  // npm ls exits 1 over a missing optional package (tfjs-node-gpu cannot install here): the list is still whole
  const dirs = r.stdout.split("\n").map((l) => path.relative(root, l.trim())).filter((d) => d.startsWith("node_modules"));
  if (dirs.length === 0) fail("npm ls lists no runtime package: run `npm ci` first");
  return [...new Set(dirs)].sort();
}

// Files a run never reads: type declarations, source maps, TypeScript sources, prose. Licences stay.
const SKIP_FILE = /\.(map|d\.ts|d\.mts|d\.cts|ts|mts|cts|md|markdown)$/i;
/** Per-package narrowing for the large ones, where Node loads one built file (package.json "main"). */
function keep(pkgDir, rel) {
  const name = pkgDir.replace(/^.*node_modules\//, "");
  if (rel === "package.json" || /^licen[cs]e/i.test(rel)) return true;
  if (SKIP_FILE.test(rel)) return false;
  // Dawn's addon for this platform only (the device is Linux x86-64)
  if (name === "webgpu") return !rel.startsWith("dist/") || rel.startsWith("dist/linux-x64/");
  // tfjs under Node: dist/<name>.node.js and, for wasm, its .wasm binaries
  if (name.startsWith("@tensorflow/")) return /^dist\/[^/]+(\.node\.js|\.wasm)$/.test(rel);
  return true;
}
function listFiles(pkgDir) {
  const files = [];
  const walk = (rel) => {
    for (const e of readdirSync(path.join(root, pkgDir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (e.name !== "node_modules") walk(r); // nested packages are listed on their own
      } else if (keep(pkgDir, r)) files.push(`${pkgDir}/${r}`);
    }
  };
  walk("");
  return files;
}

/** A TypeScript source newer than the build (in the folders tsconfig.json includes), or null. */
function newerSource() {
  const built = statSync(BUILT).mtimeMs;
  const walk = (rel) => {
    for (const e of readdirSync(path.join(root, rel), { withFileTypes: true })) {
      const r = path.join(rel, e.name);
      if (e.isDirectory()) {
        const found = walk(r);
        if (found) return found;
      } else if (/\.(ts|tsx|cts)$/.test(e.name) && statSync(path.join(root, r)).mtimeMs > built) return r;
    }
    return null;
  };
  const tsconfig = JSON.parse(readFileSync(path.join(root, "tsconfig.json"), "utf8"));
  for (const top of new Set(tsconfig.include.map((pattern) => pattern.split("/")[0]))) {
    const found = existsSync(path.join(root, top)) ? walk(top) : null;
    if (found) return found;
  }
  return null;
}

/** Why dist/ cannot be bundled as it is (not built, or older than a source), or null. */
function staleBuild() {
  if (!existsSync(BUILT)) return "dist/ is not built: run `npm ci` (or `npm run build`) first";
  const newer = newerSource();
  return newer ? `dist/ is older than ${newer}: run \`npm run build\` first` : null;
}

/** `fresh`: exit 0 where dist/ is built from the sources as they are (gpu-check.sh builds where not). */
function fresh() {
  const why = staleBuild();
  if (why) fail(why);
  console.log("dist/ is up to date");
}

/** dist/ and the node_modules files a run needs, as a file list for tar (relative to the checkout). */
function runtimeList(dir) {
  const stale = staleBuild();
  if (stale) fail(stale);
  const packages = runtimePackages();
  const files = packages.flatMap(listFiles);
  const list = path.join(dir, "files.txt");
  writeFileSync(list, ["dist", ...files].join("\n") + "\n");
  console.log(`runtime: dist/ and ${files.length} files of ${packages.length} packages`);
  return { list, packages };
}

function tree() {
  const dest = process.argv[3];
  if (!dest) fail("tree needs a folder: node scripts/gpu-bundle.js tree DIR");
  mkdirSync(dest, { recursive: true });
  const { list } = runtimeList(dest);
  execFileSync("sh", ["-c", `tar -cf - -C "$0" -T "$1" | tar -xf - -C "$2"`, root, list, dest], { stdio: "inherit" });
  rmSync(list);
}

function bundle() {
  if (process.platform !== "linux" || process.arch !== "x64") fail(`the bundle is for Linux x86-64; this is ${process.platform}-${process.arch}`);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(path.join(out, "debs"), { recursive: true });
  const { list, packages } = runtimeList(out);
  execFileSync("tar", ["-cJf", path.join(out, "vpae.tar.xz"), "-C", root, "-T", list], { stdio: "inherit", env: { ...process.env, XZ_OPT: "-6 -T0" } });
  rmSync(list);
  console.log(`node ${process.version}: ${process.execPath}`);
  execFileSync("sh", ["-c", `xz -6 -T0 -c "$0" > "$1"`, process.execPath, path.join(out, "node.xz")], { stdio: "inherit" });
  // the Vulkan loader and glvnd's libraries (NVIDIA's Vulkan driver links to libGLdispatch), for a
  // machine that has the NVIDIA driver but not these; gpu-check.sh unpacks only the missing ones
  const download = () => spawnSync("apt-get", ["download", ...DEBS], { cwd: path.join(out, "debs"), encoding: "utf8" });
  let deb = download();
  if (deb.status !== 0) {
    spawnSync("apt-get", ["update", "-qq"], { encoding: "utf8" });
    deb = download();
  }
  const debs = readdirSync(path.join(out, "debs"));
  console.log(debs.length ? `libraries: ${debs.join(", ")}` : `libraries: none bundled (apt-get download failed: ${deb.stderr.trim().split("\n").pop()})`);
  const manifest = {
    created: new Date().toISOString(),
    commit: git("rev-parse", "HEAD"),
    uncommitted: uncommitted(),
    node: process.version,
    packages: packages.length,
    files: { "vpae.tar.xz": sizeOf(path.join(out, "vpae.tar.xz")), "node.xz": sizeOf(path.join(out, "node.xz")), debs },
  };
  writeFileSync(path.join(out, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");
  travelSize();
}

function slim() {
  const stateFile = gitPath("vpae-gpu-slim"); // the branch `slim` left, and the commit it checked out
  if (existsSync(stateFile)) fail(`already slim (from ${readFileSync(stateFile, "utf8").split("\n")[0]}): \`node scripts/gpu-bundle.js restore\` first`);
  if (uncommitted()) fail("the checkout has uncommitted changes: commit or stash them first");
  const branch = spawnSync("git", ["symbolic-ref", "--short", "-q", "HEAD"], { cwd: root, encoding: "utf8" }).stdout.trim() || git("rev-parse", "HEAD");
  // HEAD's tree without experiments/results, through a private index (the checkout's own index is
  // untouched), committed under a name of its own (a CI clone may have no git identity configured)
  const index = gitPath("vpae-gpu-index");
  const env = { ...process.env, GIT_INDEX_FILE: index, GIT_AUTHOR_NAME: "gpu-bundle", GIT_AUTHOR_EMAIL: "gpu-bundle@localhost", GIT_COMMITTER_NAME: "gpu-bundle", GIT_COMMITTER_EMAIL: "gpu-bundle@localhost" };
  gitWith(env, "read-tree", "HEAD");
  gitWith(env, "rm", "-r", "-q", "--cached", "--ignore-unmatch", SLIMMED);
  const tree = gitWith(env, "write-tree");
  const commit = gitWith(env, "commit-tree", tree, "-p", "HEAD", "-m", `HEAD without ${SLIMMED}/, for a size-limited copy (scripts/gpu-bundle.js slim)`);
  rmSync(index, { force: true });
  git("checkout", "-q", "--detach", commit);
  writeFileSync(stateFile, `${branch}\n${commit}\n`);
  console.log(`checked out ${commit.slice(0, 12)}: ${branch} without ${SLIMMED}/; \`node scripts/gpu-bundle.js restore\` goes back (the tests need ${SLIMMED}/: restore before \`npm test\`)`);
  travelSize();
}

function restore() {
  const stateFile = gitPath("vpae-gpu-slim");
  if (!existsSync(stateFile)) fail("not slim: nothing to restore");
  const [branch, commit] = readFileSync(stateFile, "utf8").trim().split("\n");
  // a commit made on the slim checkout would be left behind by going back: say so instead
  const head = git("rev-parse", "HEAD");
  if (commit && head !== commit) fail(`HEAD (${head.slice(0, 12)}) is no longer the slim commit ${commit.slice(0, 12)}: going back to ${branch} would leave it behind; keep it on a branch (git branch NAME), then check out ${branch} and delete ${path.relative(root, stateFile)}`);
  git("checkout", "-q", branch);
  rmSync(stateFile);
  console.log(`back on ${branch}`);
}

const command = process.argv[2] ?? "bundle";
const commands = { bundle, size: travelSize, tree, slim, restore, fresh };
if (!(command in commands)) fail(`unknown command ${command}: use bundle (the default), size, tree, slim, restore or fresh`);
commands[command]();
