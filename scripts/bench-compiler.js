// Compiler benchmarks (not part of `npm test`). Run after `npm run build`: `npm run bench`.
// 1. `vpae check experiments/**/*.vpae` as a whole cold process (target <= 300 ms). bin/vpae.js runs the
//    compiler commands from the build's bundle with its V8 code cache (runtime/cli/bundle.cts); the
//    build writes the cache, and the untimed first run below would write it if it were missing.
// 2. Expanding and compiling a 1,000-member sweep (target <= 1 s), in a fresh process: the time of
//    compileFile alone (dist/compiler/program.js imported as ES modules, no bundle), and the whole
//    `vpae compile --list` process.
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { vpaeFiles } from "./vpae-files.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const vpae = join(root, "bin", "vpae.js");
const runs = Number(process.env.BENCH_RUNS ?? 11);

function time(args, env = {}) {
  const t = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { cwd: root, encoding: "utf8", env: { ...process.env, ...env } });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.status !== 0) throw new Error(`${args.join(" ")} failed (${r.status}):\n${r.stderr}`);
  return { ms, stdout: r.stdout };
}

function stats(samples) {
  const s = [...samples].sort((a, b) => a - b);
  return { min: s[0], median: s[Math.floor(s.length / 2)], max: s[s.length - 1] };
}

const fmt = (x) => `${x.toFixed(0)} ms`;
const files = vpaeFiles(join(root, "experiments")).map((f) => f.slice(root.length));
console.log(`node ${process.version}, ${runs} runs each, on ${files.length} experiment files\n`);

time([vpae, "check", ...files]); // warm the file cache (and the code cache, if it is missing)
const check = stats(Array.from({ length: runs }, () => time([vpae, "check", ...files]).ms));
console.log(`vpae check experiments/**/*.vpae (cold process): median ${fmt(check.median)}, min ${fmt(check.min)}, max ${fmt(check.max)}  [target <= 300 ms: ${check.median <= 300 ? "met" : "NOT met"}]`);
const empty = stats(Array.from({ length: runs }, () => time(["-e", "0"]).ms));
console.log(`  (node -e 0 alone: median ${fmt(empty.median)})`);

// A 1,000-member sweep over the toy V-PAE experiment: 10 x 5 x 4 alternatives x 5 seeds.
// The sweep file lives in a temporary folder and imports the repository's experiment, which imports
// are confined from (docs/language.md section 3.1): the repository is named as an import root.
const dir = mkdtempSync(join(tmpdir(), "vpae-bench-"));
const sweep = `import "${join(root, "experiments", "vpae.vpae")}" as v

sweep bench over v.vpae {
  axis lr = [1e-6, 2e-6, 3e-6, 4e-6, 5e-6, 6e-6, 7e-6, 8e-6, 9e-6, 1e-5]
  axis csds_weight = [0, 1, 2, 5, 10]
  axis variant {
    full {}
    no_priming { remove phase.priming }
    conv_head { discriminator.d.head = conv() }
    xattn { discriminator.d.head = cross_attention() }
  }
  seeds = [0, 1, 2, 3, 4]
}
`;
const sweepFile = join(dir, "bench.vpae");
writeFileSync(sweepFile, sweep);
const inProcess = `const { compileFile } = await import(${JSON.stringify(join(root, "dist", "compiler", "program.js"))});
const t = performance.now(); const r = compileFile(${JSON.stringify(sweepFile)}, { importRoots: [${JSON.stringify(root)}] });
const ms = performance.now() - t; const errs = r.diagnostics.filter((d) => d.severity === "error");
if (errs.length) { console.error(errs.map((d) => d.message).join("\\n")); process.exit(1); }
console.log(JSON.stringify({ ms, members: r.sweeps[0].members.length }));`;
const comp = Array.from({ length: Math.min(runs, 7) }, () => JSON.parse(time(["--input-type=module", "-e", inProcess]).stdout));
const compStats = stats(comp.map((c) => c.ms));
console.log(`\nexpand + compile a ${comp[0].members}-member sweep (compileFile, fresh process): median ${fmt(compStats.median)}, min ${fmt(compStats.min)}  [target <= 1 s: ${compStats.median <= 1000 ? "met" : "NOT met"}]`);
const list = stats(Array.from({ length: Math.min(runs, 7) }, () => time([vpae, "compile", sweepFile, "--list", "--import-root", root]).ms));
console.log(`vpae compile bench.vpae --list (whole process): median ${fmt(list.median)}, min ${fmt(list.min)}`);
