// What `vpae sweep` costs and saves, measured on experiments/micro-sweep.vpae (not part of `npm test`):
//
//   first run      a fresh runs folder, members two at a time, with prefix sharing
//   cached rerun   the same command again: every member is finished, nothing trains
//   no sharing     a fresh runs folder with --no-share: every member trains from the beginning
//
// Each is the wall time of the whole `vpae sweep` process (compiling, planning, worker start-up and
// training), the median over --rounds rounds, alternating sharing and no sharing so both see the
// same machine.
//
//   npm run build && node scripts/bench-sweep.js [--rounds 3] [--jobs 2]
//
// Run it on an otherwise idle machine.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const argv = process.argv.slice(2);
const opt = (name, def) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : def;
};
const rounds = opt("rounds", 3);
const jobs = opt("jobs", 2);
const FILE = "experiments/micro-sweep.vpae";

function sweep(runs, extra = []) {
  const t = performance.now();
  const r = spawnSync(process.execPath, [join(root, "bin", "vpae.js"), "sweep", FILE, "--runs-dir", runs, "--jobs", String(jobs), "--no-tui", ...extra], { cwd: root, encoding: "utf8" });
  const seconds = (performance.now() - t) / 1000;
  if (r.status !== 0) throw new Error(`vpae sweep ${extra.join(" ")} exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return { seconds, out: r.stdout };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const first = [];
const cached = [];
const plain = [];
for (let i = 0; i < rounds; i++) {
  const a = mkdtempSync(join(tmpdir(), "vpae-bench-sweep-"));
  const b = mkdtempSync(join(tmpdir(), "vpae-bench-sweep-"));
  try {
    first.push(sweep(a).seconds);
    const again = sweep(a);
    if (!/4 cached/.test(again.out)) throw new Error(`the rerun trained something:\n${again.out}`);
    cached.push(again.seconds);
    plain.push(sweep(b, ["--no-share"]).seconds);
  } finally {
    rmSync(a, { recursive: true, force: true });
    rmSync(b, { recursive: true, force: true });
  }
}
const row = (name, xs) => `| ${name} | ${median(xs).toFixed(2)} | ${Math.min(...xs).toFixed(2)} | ${Math.max(...xs).toFixed(2)} |`;
console.log(`vpae sweep ${FILE} (4 members, 48 steps, 17 of them shareable), --jobs ${jobs}, ${rounds} rounds, wall seconds of the whole command`);
console.log("");
console.log("| run | median | min | max |");
console.log("|---|---|---|---|");
console.log(row("first run, prefix sharing", first));
console.log(row("cached rerun", cached));
console.log(row("first run, --no-share", plain));
console.log("");
console.log(`prefix sharing saved ${(100 * (1 - median(first) / median(plain))).toFixed(0)}% of the first run's wall time`);
