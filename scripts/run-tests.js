// Runs every compiled test file (dist/test/**/*.test.js) with node's test runner.
// Usage: node scripts/run-tests.js [filter]   (filter: substring of the test file path)
import { readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { spawnSync } from "node:child_process";

// --root DIR runs the tests of another build folder (scripts/build-private.sh).
const args = process.argv.slice(2);
const rootAt = args.indexOf("--root");
const buildDir = rootAt >= 0 ? args.splice(rootAt, 2)[1] : "dist";
const root = new URL(`../${buildDir}/test/`, import.meta.url).pathname;
const filter = args[0];
const files = [];
(function walk(dir) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith(".test.js") && (!filter || p.includes(filter))) files.push(p);
  }
})(root);
if (files.length === 0) {
  console.error(`no test files under ${relative(process.cwd(), root)}${filter ? ` matching ${filter}` : ""}`);
  process.exit(1);
}
const r = spawnSync(process.execPath, ["--test", "--test-concurrency=2", ...files], { stdio: "inherit", env: { ...process.env, NO_COLOR: "1" } });
process.exit(r.status ?? 1);
