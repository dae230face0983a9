// What the live screen costs a run (issue: <= 3% of training step time). Not part of `npm test`.
// Runs the same shortened quickstart (same plan, same seed) alternately with the screen, in a real
// 100x40 terminal (tmux), and with `--no-tui`, and compares the training step times read back from
// each run's metrics.jsonl and the phase seconds of its manifest.
//
//   npm run build && node scripts/bench-tui.js [--pairs 2] [--updates 40]
//
// Needs tmux. Run it on an otherwise idle machine: step times on 2 busy cores vary by more than 3%.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const argv = process.argv.slice(2);
const opt = (name, def) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : def;
};
const pairs = opt("pairs", 2);
const updates = opt("updates", 40);
if (spawnSync("tmux", ["-V"]).status !== 0) {
  console.error("bench-tui: needs tmux (apt-get install tmux)");
  process.exit(2);
}
const vpae = join(root, "bin", "vpae.js");
const runArgs = ["run", "experiments/quickstart.vpae", "--set", `generator_updates=${updates}`, "--set", `priming_steps=${Math.round(updates / 3)}`];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const quote = (s) => `'${s.replace(/'/g, "'\\''")}'`;

async function once(withScreen) {
  const runs = mkdtempSync(join(tmpdir(), "vpae-bench-tui-"));
  const args = [...runArgs, "--runs-dir", runs];
  let screenLine = "";
  if (withScreen) {
    const done = join(runs, "exit-code");
    const log = join(runs, "screen.txt");
    const session = `vpae-bench-${process.pid}`;
    const cmd = `env -u CI ${quote(process.execPath)} ${quote(vpae)} ${args.map(quote).join(" ")}; echo $? > ${quote(done)}; sleep 600`;
    if (spawnSync("tmux", ["new-session", "-d", "-s", session, "-x", "100", "-y", "40", "-c", root, cmd]).status !== 0) throw new Error("tmux failed to start");
    try {
      while (!existsSync(done)) await sleep(500);
      spawnSync("sh", ["-c", `tmux capture-pane -p -t ${session} > ${quote(log)}`]);
      screenLine = readFileSync(log, "utf8").split("\n").find((l) => l.startsWith("screen:")) ?? "";
      const code = readFileSync(done, "utf8").trim();
      if (code !== "0") throw new Error(`the run with the screen exited ${code}`);
    } finally {
      spawnSync("tmux", ["kill-session", "-t", session]);
    }
  } else {
    const r = spawnSync(process.execPath, [vpae, ...args, "--no-tui"], { cwd: root, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`the run without the screen exited ${r.status}: ${r.stderr}`);
  }
  const dir = join(runs, readdirSync(runs).find((n) => n.startsWith("quickstart-")));
  const times = readFileSync(join(dir, "metrics.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l)).filter((r) => typeof r.step === "number").map((r) => r.time);
  const deltas = times.slice(1).map((t, i) => t - times[i]);
  const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
  const seconds = manifest.phases.reduce((s, p) => s + p.seconds, 0);
  return { stepMs: median(deltas), seconds, screenLine, planHash: manifest.planHash };
}

const rows = { screen: [], plain: [] };
for (let i = 0; i < pairs; i++) {
  // alternate the order so that a drift of the machine's speed does not favour one side
  for (const withScreen of i % 2 === 0 ? [true, false] : [false, true]) {
    const r = await once(withScreen);
    rows[withScreen ? "screen" : "plain"].push(r);
    console.log(`${withScreen ? "screen  " : "no-tui  "} median step ${r.stepMs.toFixed(0)} ms, phases ${r.seconds.toFixed(1)} s${r.screenLine ? ` · ${r.screenLine}` : ""}`);
  }
}
if (new Set([...rows.screen, ...rows.plain].map((r) => r.planHash)).size !== 1) throw new Error("the runs compiled to different plans");
// each pair ran back to back, so the per-pair ratio cancels most of the machine's drift
const pct = (a, b) => (a / b - 1) * 100;
const perPair = (k) => rows.screen.map((r, i) => pct(r[k], rows.plain[i][k]));
const describe = (xs) => {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1)) : NaN;
  const sign = (x) => `${x >= 0 ? "+" : ""}${x.toFixed(2)}%`;
  return `${sign(mean)}${xs.length > 1 ? ` ± ${(sd / Math.sqrt(xs.length)).toFixed(2)}% (standard error)` : ""}; pairs: ${xs.map(sign).join(", ")}`;
};
console.log(`quickstart, ${updates} generator updates, ${pairs} pair(s) of runs, the screen's cost:`);
console.log(`  median step time, with the screen vs --no-tui: ${describe(perPair("stepMs"))}`);
console.log(`  training time (sum of phase seconds):          ${describe(perPair("seconds"))}`);
