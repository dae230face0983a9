// The paper's table at toy scale, from runs that vpae makes (never typed by hand).
//
//   node scripts/results.js list                 the sweeps and members behind docs/results.md
//   node scripts/results.js run [--jobs 2]
//        trains, with `vpae sweep`, every member of the campaign's sweep files that has no summary yet,
//        in the campaign's order: the discriminators' calibration (experiments/d-calibration.vpae),
//        the tuning sweeps (experiments/tuning.vpae: every method, the same number of members, scored
//        on the validation clips only), the main table (experiments/main.vpae: each method's selected
//        setting, three seeds) and the ablations (experiments/ablations.vpae: seed 0, then seeds 1 and
//        2 of those within seed noise at seed 0). Run folders go to runs/results/ (an interrupted sweep
//        resumes). Each finished member's summary (plan, manifest, gzip-compressed metrics log, scores,
//        grids; not its checkpoints) is copied to experiments/results/<run folder>/; main-table members
//        also keep their final student weights (student.safetensors).
//   node scripts/results.js collect [--runs DIR] scores and copies every finished member of those sweep files
//                                                that has no summary yet, and trains nothing
//   node scripts/results.js probes [--runs DIR]  copies the finished recipe probes' summaries from runs/
//   node scripts/results.js latency              teacher 100 NFE vs student 1 NFE, one process
//   node scripts/results.js table                writes docs/results.md (and its plots in docs/results/)
//                                                from `vpae report` over experiments/results/
//   node scripts/results.js quickstart [--runs DIR]  runs experiments/quickstart.vpae (or finds its
//                                                finished run) and copies its summary to experiments/results/
//   node scripts/results.js readme [--check]     writes the README's quickstart scores from that summary
//                                                (--check: exit 1 when the README says something else)
//
// What stays here is what is particular to the paper: which members form the campaign, the row
// labels, the selection and budget rules, and the claims' verdicts (computed with vpae's own
// comparison rule). Needs `npm run build`.
import { spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { basename, dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const root = fileURLToPath(new URL("..", import.meta.url));
const vpae = join(root, "bin", "vpae.js");
// --out, --runs and --doc redirect everything, for tests of this script
const argv = process.argv.slice(2);
const opt = (name, def) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : def;
};
const resultsDir = opt("out", join(root, "experiments", "results"));
const runsDir = opt("runs", join(root, "runs", "results"));
const docFile = opt("doc", join(root, "docs", "results.md"));
/** The page's plots, beside it. */
const plotsDir = join(dirname(docFile), "results");
const { compare, formatStat, stat } = await import(join(root, "dist", "runtime", "report", "stats.js"));
const { SCORE_GROUPS: SCORES, groupMean } = await import(join(root, "dist", "runtime", "engine", "eval", "groups.js"));
const { evalAt, finalGap } = await import(join(root, "dist", "runtime", "report", "collect.js"));
const { readMetrics } = await import(join(root, "dist", "runtime", "engine", "io", "metrics.js"));
const { readManifestIfAny } = await import(join(root, "dist", "runtime", "engine", "io", "manifest.js"));
const { readRunPlan } = await import(join(root, "dist", "runtime", "engine", "io", "run-dir.js"));
const { readScores } = await import(join(root, "dist", "runtime", "engine", "io", "scores.js"));
const { logitGap } = await import(join(root, "dist", "runtime", "sweep", "events.js"));

// ---- the campaign ----

/** Clips of a clip set each summary is scored on (the in-run evaluations use the plan's 32). */
const EVAL_CLIPS = 64;
const MAIN = "experiments/main.vpae";
const ABLATIONS = "experiments/ablations.vpae";
const TUNING = "experiments/tuning.vpae";
const CALIBRATION = "experiments/d-calibration.vpae";
/** Exploratory probes of V-PAE's objective (issue 11), seed 0, scored by the runs' own final evaluation on the validation clips. */
const PROBES = "experiments/recipe-probes.vpae";
/** Each method: its seeds sweep in main.vpae and its tuning sweep in tuning.vpae. */
const METHODS = [
  { sweep: "vpae_seeds", tuning: "vpae_tuning", id: "vpae", label: "V-PAE" },
  { sweep: "dmd2_seeds", tuning: "dmd2_tuning", id: "dmd2", label: "DMD2" },
  { sweep: "apt_seeds", tuning: "apt_tuning", id: "apt", label: "APT" },
  { sweep: "pcm_seeds", tuning: "pcm_tuning", id: "pcm", label: "PCM" },
  { sweep: "add_seeds", tuning: "add_tuning", id: "add", label: "ADD" },
];
/**
 * The budget rule (issue 11): the training budget is the shortest at which every method's selected
 * tuning member has stopped improving, i.e. its in-run validation mean gains less than POINTS over
 * the last WINDOW of the updates, from there to the cap.
 */
const BUDGET = { cap: 1000, window: 0.2, points: 1 };
/** Settings of experiments/ablations.vpae (report group keys), against `variant=full` (the V-PAE runs). */
const ABLATION_LABELS = {
  "variant=no_priming": "no priming (adversarial training only)",
  "variant=consistency_priming": "consistency priming instead of VSD",
  "variant=frozen_backbone": "frozen teacher backbone instead of the EMA generator",
  "variant=conv_head": "conv head instead of the semantic head",
  "variant=cross_attention_head": "cross-attention head without image/prompt",
  "variant=no_str1": "no STR1",
  "variant=no_adversarial": "no adversarial terms (C-SDS alone in the equilibrium)",
  "csds_weight=0": "C-SDS weight 0",
  "csds_weight=1": "C-SDS weight 1",
};

// ---- vpae ----

function exec(args, { log } = {}) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [vpae, ...args], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => {
      out += d;
      if (log) process.stdout.write(d);
    });
    child.stderr.on("data", (d) => {
      err += d;
      if (log) process.stderr.write(d);
    });
    child.on("close", (code) => resolve({ code, out, err }));
  });
}

async function json(args) {
  const r = await exec(args);
  if (r.code !== 0) throw new Error(`vpae ${args.join(" ")} failed (exit ${r.code}):\n${r.err}`);
  return JSON.parse(r.out);
}

/** `vpae report ... --format json` over the summaries: one object per sweep. */
async function report(file, extra = [], clips = "test") {
  const j = await json(["report", file, "--runs-dir", resultsDir, "--format", "json", "--clips", clips, ...extra]);
  return Array.isArray(j) ? j : [j];
}

/** The members of a sweep file and their state in a runs folder (`vpae sweep --dry-run --json`). */
async function members(file, dir, extra = []) {
  const j = await json(["sweep", file, "--dry-run", "--json", "--runs-dir", dir, ...extra]);
  return Array.isArray(j) ? j : [j];
}

/** A report's metric as {n, mean, std} (std NaN with one seed), for compare(). */
const statOf = (m) => (m ? { n: m.n, mean: m.mean, std: m.std ?? NaN } : null);

// ---- running ----

/**
 * Members of the ablations to train: seed 0 of each, and seeds 1 and 2 of those whose seed-0 result
 * lands within the full method's seed noise (the campaign's rule: one seed where a difference is
 * clear, three where it is not), decided from the committed summaries.
 */
async function ablationSelection(full, abl = null) {
  abl ??= (await report(ABLATIONS))[0];
  const within = new Set();
  for (const g of abl.groups) {
    if (g.key === "variant=full") continue;
    const seed0 = g.members.find((m) => m.name.endsWith("seed=0") && m.values.mean !== undefined);
    if (!seed0 || !full) continue;
    const c = compare({ n: 1, mean: seed0.values.mean, std: NaN }, full);
    if (c.verdict === "within noise") within.add(g.key);
  }
  return (m) => m.name.endsWith("seed=0") || within.has(m.name.replace(/,seed=\d+$/, ""));
}

/** What a summary folder name is for a member of a sweep file. */
const summaryOf = (m) => join(resultsDir, basename(m.runDir));

/** How a finished member is scored and what its summary keeps, by the sweep file it belongs to. */
function kindOf(file, sweep) {
  if (file === CALIBRATION || file === PROBES) return { clips: [], roles: [], grid: null, weights: false };
  if (file === TUNING) return { clips: ["validation"], roles: [{ role: "student", nfe: [1, 4] }], grid: null, weights: false };
  const teacher = file === MAIN && sweep === "vpae_seeds" ? [{ role: "teacher", nfe: [100] }] : [];
  return { clips: ["validation", "test"], roles: [{ role: "student", nfe: [1, 4] }, ...teacher], grid: "test", weights: file === MAIN };
}

async function train(file, select, jobs) {
  for (const sweep of await members(file, resultsDir)) {
    const todo = sweep.members.filter((m) => m.status !== "finished" && select(m));
    if (todo.length === 0) continue;
    const only = todo.map((m) => m.index).join(",");
    console.log(`[${new Date().toISOString().slice(11, 19)}] ${file} sweep ${sweep.sweep}: members ${only}`);
    const r = await exec(["sweep", file, "--sweep", sweep.sweep, "--only", only, "--runs-dir", runsDir, "--jobs", String(jobs), "--no-tui"], { log: true });
    if (r.code !== 0) console.error(`vpae sweep ${file} --sweep ${sweep.sweep} exited ${r.code}; the finished members are still collected`);
  }
  // the members just trained, and those whose run another sweep made but whose summary misses what this file adds
  await collectFile(file);
}

/**
 * Scores a finished member on its clip sets, draws its grids and copies its summary into
 * experiments/results/; a main-table member also gets its final student weights
 * (`student.safetensors`, so that `vpae eval <summary> --clips test` re-scores it from the repository).
 */
async function collect(file, sweep, m) {
  const out = summaryOf(m);
  mkdirSync(out, { recursive: true });
  const kind = kindOf(file, sweep);
  for (const { role, nfe } of kind.roles) {
    for (const clips of kind.clips) {
      const ev = await exec(["eval", m.runDir, "--role", role, "--nfe", nfe.join(","), "--samples", String(EVAL_CLIPS), "--clips", clips, "--save"]);
      if (ev.code !== 0) throw new Error(`vpae eval ${m.runDir} --role ${role} --clips ${clips} failed:\n${ev.err}`);
    }
    if (kind.grid) {
      const grid = join(out, `samples-${role}-nfe${nfe[0]}.gif`);
      const s = await exec(["sample", m.runDir, "--role", role, "--nfe", String(nfe[0]), "--samples", "8", "--clips", kind.grid, "-o", grid]);
      if (s.code !== 0) throw new Error(`vpae sample ${m.runDir} failed:\n${s.err}`);
    }
  }
  if (kind.weights) {
    const e = await exec(["export", m.runDir, "--role", "student", "-o", join(out, "student.safetensors")]);
    if (e.code !== 0) throw new Error(`vpae export ${m.runDir} failed:\n${e.err}`);
  }
  copySummary(m.runDir, out);
  console.log(`  ${relative(root, out)}: summary written`);
}

/** Plan, manifest, scores and the metrics log (gzip-compressed: vpae reads metrics.jsonl.gz where metrics.jsonl is absent). */
function copySummary(runDir, out) {
  mkdirSync(out, { recursive: true });
  for (const f of readdirSync(runDir)) {
    if (["plan.json", "manifest.json"].includes(f) || /^scores-[\w-]+\.json$/.test(f)) copyFileSync(join(runDir, f), join(out, f));
    if (f === "metrics.jsonl") writeFileSync(join(out, "metrics.jsonl.gz"), gzipSync(readFileSync(join(runDir, f)), { level: 9 }));
  }
}

/**
 * Whether a member's summary holds what its sweep file asks for: a run that two sweeps share (the main
 * table's seed 0 is often a tuning member) is collected again for what the second one adds (test-clip
 * scores, grids, the student's weights).
 */
function summaryComplete(file, sweep, m) {
  const out = summaryOf(m);
  if (!existsSync(join(out, "manifest.json"))) return false;
  const kind = kindOf(file, sweep);
  for (const { role, nfe } of kind.roles) {
    for (const clips of kind.clips) if (!existsSync(join(out, `scores-${role}-${clips}.json`))) return false;
    if (kind.grid && !existsSync(join(out, `samples-${role}-nfe${nfe[0]}.gif`))) return false;
  }
  return !kind.weights || existsSync(join(out, "student.safetensors"));
}

/**
 * Collects every finished member of the campaign's sweep files that has no summary yet, training nothing
 * (for sweeps run by hand or by a queue: `vpae sweep experiments/tuning.vpae`, then this with --runs runs).
 */
async function collectAll() {
  for (const file of [CALIBRATION, TUNING, MAIN, ABLATIONS]) await collectFile(file);
}

/** Collects the finished members of one sweep file whose summaries miss something. */
async function collectFile(file) {
  for (const s of await members(file, runsDir)) {
    for (const m of s.members) {
      if (m.status !== "finished" || summaryComplete(file, s.sweep, m)) continue;
      console.log(`${file} ${s.sweep} ${m.name}`);
      await collect(file, s.sweep, m);
    }
  }
}

async function runAll(jobs) {
  await train(CALIBRATION, () => true, jobs);
  await train(TUNING, () => true, jobs);
  await train(MAIN, () => true, jobs);
  const [full] = await report(MAIN, ["--sweep", "vpae_seeds"]);
  await train(ABLATIONS, await ablationSelection(statOf(full?.groups[0]?.metrics.mean)), jobs);
}

function list() {
  const show = async (file, select = () => true) => {
    for (const s of await members(file, resultsDir))
      for (const m of s.members.filter(select)) console.log(`${file} ${s.sweep} ${String(m.index).padStart(2)} ${m.name.padEnd(34)} ${m.status === "finished" ? "summary " + relative(root, summaryOf(m)) : "to run"}`);
  };
  return (async () => {
    await show(CALIBRATION);
    await show(TUNING);
    await show(MAIN);
    const [full] = await report(MAIN, ["--sweep", "vpae_seeds"]);
    // the rule's members, and any other member that has a summary (seeds trained beyond the rule)
    const inRule = await ablationSelection(statOf(full?.groups[0]?.metrics.mean));
    await show(ABLATIONS, (m) => inRule(m) || m.status === "finished");
  })();
}

// ---- latency ----

async function latency() {
  const { initBackend } = await import(join(root, "dist/runtime/engine/tf.js"));
  const inf = await import(join(root, "dist/runtime/engine/inference.js"));
  const backend = await initBackend("auto");
  const [vp] = await members(MAIN, runsDir, ["--sweep", "vpae_seeds"]);
  const run = vp.members.find((m) => m.name === "seed=0" && m.status === "finished");
  if (!run) throw new Error(`latency needs the V-PAE seed-0 run in ${relative(root, runsDir)} (node scripts/results.js run)`);
  const teacher = await inf.openTrained(run.runDir, { runsDir, role: "teacher" });
  const student = await inf.openTrained(run.runDir, { runsDir, role: "student" });
  const batch = teacher.model.world.evalBatch(8);
  const rounds = 7;
  const t100 = [];
  const s1 = [];
  let nfe = { teacher: 0, student: 0 };
  // interleaved, so that both see the same machine state; medians over rounds
  for (let i = 0; i < rounds; i++) {
    const a = await inf.generate(teacher.model, teacher.params, batch, inf.samplerFor(teacher.plan.teacher.sampler.nfe, teacher.plan.teacher.sampler), i);
    const b = await inf.generate(student.model, student.params, batch, inf.samplerFor(1, student.plan.student.sampler), i);
    t100.push(a.latencyMs / batch.n);
    s1.push(b.latencyMs / batch.n);
    nfe = { teacher: a.nfe, student: b.nfe };
  }
  const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
  const record = {
    measured: new Date().toISOString().slice(0, 10),
    machine: `${cpus()[0]?.model ?? "unknown CPU"}, node ${process.version}, backend ${backend.name} (${backend.detail})`,
    clips: batch.n,
    rounds,
    teacher: { nfe: nfe.teacher, msPerVideo: median(t100) },
    student: { nfe: nfe.student, msPerVideo: median(s1) },
    ratio: median(t100) / median(s1),
    command: "node scripts/results.js latency",
  };
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(join(resultsDir, "latency.json"), JSON.stringify(record, null, 2) + "\n");
  console.log(`teacher ${record.teacher.nfe} NFE: ${record.teacher.msPerVideo.toFixed(1)} ms/video; student ${record.student.nfe} NFE: ${record.student.msPerVideo.toFixed(2)} ms/video; ${record.ratio.toFixed(0)}x`);
}

// ---- selection and budget ----

/** A run summary's in-run evaluations (the validation clips), as its manifest lists them. */
function inRunEvals(runDir) {
  return readManifestIfAny(runDir)?.evals ?? [];
}

/** The 1-NFE result of a run summary's last in-run evaluation (the validation clips), or null. */
function finalEval(runDir) {
  return evalAt(inRunEvals(runDir).at(-1), 1) ?? null;
}

/** A curve's best value and the first step it reaches it at, as "mean (step)". */
function peakText(curve) {
  if (curve.length === 0) return "—";
  const best = curve.reduce((a, x) => (x[1] > a[1] ? x : a));
  return `${best[1].toFixed(1)} (${best[0]})`;
}

/**
 * The first evaluation step from which the curve never again gains `points` or more over the last
 * `window` share of the updates (each later step s against the evaluation at or before (1 - window) s);
 * null when it still gains at its last evaluation.
 */
function plateauStep(curve, { window, points }) {
  const gain = (i) => {
    const [s, v] = curve[i];
    const before = curve.filter(([x]) => x <= (1 - window) * s);
    return before.length ? v - before.at(-1)[1] : Infinity;
  };
  for (let i = 0; i < curve.length; i++) {
    let ok = true;
    for (let j = i; j < curve.length && ok; j++) ok = gain(j) < points;
    if (ok) return curve[i][0];
  }
  return null;
}

/** The selected member of a tuning report: the highest validation mean at 1 NFE (ties: the first). */
function selected(r) {
  let best = null;
  for (const g of r?.groups ?? []) for (const m of g.members) if (typeof m.values.mean === "number" && (!best || m.values.mean > best.values.mean)) best = m;
  return best;
}

// ---- the page ----

const fmt = (m, digits = 1) => (!m ? "—" : m.n > 1 && m.std !== null ? `${m.mean.toFixed(digits)} ± ${m.std.toFixed(digits)}` : m.mean.toFixed(digits));
const num = (v, digits = 1) => (typeof v === "number" && Number.isFinite(v) ? v.toFixed(digits) : "—");
const latencyText = (m) => (m ? m.mean.toFixed(m.mean < 10 ? 2 : 1) : "—");
/** Words for compare(a, b).verdict, for a claim that a beats b. */
const CLAIM = { higher: "holds", lower: "does not hold (reversed)", "within noise": "within seed noise", "no error bar": "one seed each, no error bar" };

function sweepCommand(file, sweep) {
  return `npx vpae sweep ${file}${sweep ? ` --sweep ${sweep}` : ""}`;
}

/** The swept values of a report group that vary within its sweep, as `a=1, b=2`. */
const valuesText = (r, g) => r.axes.filter((a) => g.values[a] !== undefined).map((a) => `${a}=${g.values[a]}`).join(", ") || g.key;

async function tuningCurvesPlot(tuning) {
  const { render } = await import(join(root, "dist", "runtime", "report", "plots.js"));
  const rows = [];
  for (const { m, r, pick } of tuning) {
    for (const g of r?.groups ?? [])
      for (const x of g.members) {
        if (!x.run) continue;
        for (const [step, value] of x.curve) rows.push({ method: m.label, member: `${valuesText(r, g)}${pick && pick.run === x.run ? " (selected)" : ""}`, step, value });
      }
  }
  if (rows.length === 0) return null;
  const spec = {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: "Tuning: 1-NFE mean score on the validation clips (in-run, 32 clips) over generator updates",
    data: { values: rows },
    facet: { field: "method", type: "nominal", title: null, sort: METHODS.map((x) => x.label) },
    columns: 3,
    resolve: { scale: { color: "independent" } },
    spec: {
      width: 260,
      height: 160,
      mark: { type: "line", point: true, strokeWidth: 1.2 },
      encoding: {
        x: { field: "step", type: "quantitative", title: "generator updates" },
        y: { field: "value", type: "quantitative", title: "mean score", scale: { zero: false } },
        color: { field: "member", type: "nominal", legend: { orient: "bottom", columns: 1, title: null, labelLimit: 320 } },
      },
    },
    config: { font: "DejaVu Sans", background: "white" },
  };
  mkdirSync(plotsDir, { recursive: true });
  const { svg, png } = await render(spec);
  writeFileSync(join(plotsDir, "tuning-curves.svg"), svg);
  writeFileSync(join(plotsDir, "tuning-curves.png"), png);
  return relative(dirname(docFile), join(plotsDir, "tuning-curves.png"));
}

async function table() {
  const lines = [];
  const p = (s = "") => lines.push(s);
  const main = await report(MAIN);
  const main4 = await report(MAIN, ["--sweep", "vpae_seeds", "--nfe", "4"]);
  const teacher = (await report(MAIN, ["--sweep", "vpae_seeds", "--role", "teacher", "--nfe", "100"]))[0];
  // every method's tuning: its selection exists once all its members have a result
  const tuning = [];
  const tuningReports = existsSync(join(root, TUNING)) ? await report(TUNING, [], "validation") : [];
  for (const m of METHODS) {
    const r = tuningReports.find((x) => x.sweep === m.tuning);
    // a setting is selected only once every member has a result; until then the best is "best so far"
    const complete = (r?.groups ?? []).every((g) => g.members.every((x) => typeof x.values.mean === "number"));
    tuning.push({ m, r, pick: complete ? selected(r) : null, lead: selected(r) });
  }
  // A method's main-table runs count only when they train its selected setting: its tuning is complete
  // and the main sweep's seed 0 is the selected member's run (a method file not yet updated, or a
  // tuning member that happens to share the file's current values, does not make a row).
  const byMethod = new Map();
  const waiting = [];
  for (const { m, r, pick } of tuning) {
    const g = main.find((x) => x.sweep === m.sweep)?.groups[0];
    const s0 = g?.members.find((x) => x.name === "seed=0" && x.run);
    if (!r) byMethod.set(m.sweep, g); // no tuning sweep for it: nothing to wait for
    else if (!pick) {
      const members = r.groups.flatMap((x) => x.members);
      waiting.push(`${m.label} (its tuning sweep has ${members.filter((x) => typeof x.values.mean === "number").length} of ${members.length} members)`);
    }
    else if (!s0 || basename(s0.run) !== basename(pick.run)) waiting.push(`${m.label} (${s0 ? `main.vpae's setting is not the tuning's selection, ${pick.name}: update experiments/${m.id}.vpae` : "no main-table run yet"})`);
    else {
      byMethod.set(m.sweep, g);
      if (!g.metrics.mean) waiting.push(`${m.label} (its runs are not scored on the test clips yet: \`node scripts/results.js collect\`)`);
    }
  }
  const full = byMethod.get("vpae_seeds");
  const fullMean = statOf(full?.metrics.mean);
  const teacherGroup = teacher?.groups[0];
  const teacherPlan = teacherGroup?.members.find((m) => m.run)?.run;
  const sampler = teacherPlan ? readRunPlan(teacherPlan).teacher?.sampler : undefined;

  p("<!-- Generated by `node scripts/results.js table` from `vpae report` over experiments/results/. Do not edit by hand. -->");
  p("# Results: V-PAE and its baselines on the toy image-to-video world");
  p();
  p("Every number below comes from run summaries committed in `experiments/results/` (plan, manifest,");
  p("metrics log, scores, sample grids; one folder per run, named like a run folder). The runs are members of");
  p(`the sweeps in \`${CALIBRATION}\` (the discriminators' learning rate), \`${TUNING}\` (every method's tuning),`);
  p(`\`${MAIN}\` (each method's selected setting, three seeds) and \`${ABLATIONS}\`, trained by \`vpae sweep\` and`);
  p("scored by `vpae eval --save`; `node scripts/results.js run` does both, and `node scripts/results.js table`");
  p(`turns \`vpae report\` over the summaries into this page (for example \`npx vpae report ${MAIN} --runs-dir experiments/results --clips test\`).`);
  p(`Scores: the three VBench-I2V-style groups of docs/metrics.md (0-100), on ${EVAL_CLIPS} fixed clips of a clip set, the same clips for`);
  p("every run; mean = mean of the three. Two clip sets (docs/metrics.md): every tuning choice was made on the");
  p("**validation** clips; the main table and the ablations report the **test** clips, which no choice read.");
  p("Latency is the diffusion latency per video (model time of the sampling loop only), measured by");
  p("`vpae eval` on one CPU core while another run was training, so compare latencies within a table,");
  p("not with other machines; the ratio below is measured in one quiet process.");
  p("Each summary keeps its student's final weights (`student.safetensors`, with its plan), so anyone can re-score");
  p("a row: `npx vpae eval experiments/results/<run> --clips test --nfe 1` gives the committed numbers again (the");
  p("test suite checks this for one run per method), and `--clips seed=N` scores the same weights on fresh clips.");
  p();

  // -- main table (test clips)
  const rows = [];
  if (teacherGroup?.metrics.mean) rows.push({ label: sampler ? `Teacher (${sampler.steps} steps, CFG ${sampler.guidance})` : "Teacher", nfe: 100, g: teacherGroup, gap: false });
  for (const m of METHODS) {
    const g = byMethod.get(m.sweep);
    if (g?.metrics.mean) rows.push({ label: m.label, nfe: 1, g, gap: true });
    if (m.id === "vpae" && main4[0]?.groups[0]?.metrics.mean) rows.push({ label: m.label, nfe: 4, g: { ...main4[0].groups[0], metrics: { ...main4[0].groups[0].metrics, d_gap: g?.metrics.d_gap } }, gap: true });
  }
  p("## Main table (test clips)");
  p();
  if (rows.length === 0) p(`_No run of \`${MAIN}\` has a summary yet: \`node scripts/results.js run\` trains them after the tuning sweeps below._`);
  else {
    p("| method | NFE | semantic alignment | temporal coherence | frame quality | mean | direction acc. % | speed coverage % | D gap (end) | latency (ms/video) | seeds |");
    p("|---|---|---|---|---|---|---|---|---|---|---|");
    for (const r of rows) p(`| ${r.label} | ${r.nfe} | ${SCORES.map((k) => fmt(r.g.metrics[k])).join(" | ")} | **${fmt(r.g.metrics.mean)}** | ${fmt(r.g.metrics.direction_accuracy)} | ${speedsText(r.g, r.gap ? "student" : "teacher", r.nfe)} | ${r.gap ? fmt(r.g.metrics.d_gap, 2) : "—"} | ${latencyText(r.g.metrics.latency_ms)} | ${r.g.n} |`);
    p();
    p("V-PAE at 4 NFE is the same 1-step checkpoint sampled with 4 Euler steps. Values are mean ± sample");
    p("standard deviation over seeds (training seed; the evaluation clips stay fixed). Speed coverage: how");
    p("evenly the clips whose motion follows one of the world's two speeds in every frame use the two");
    p("(docs/metrics.md; 100: both equally, 0: always the same one, so a model that drops one future scores 0),");
    p("with the share of clips that follow one in brackets (a coverage over few clips says little); it is");
    p("informative and in no group. D gap (end): the");
    p("discriminator's mean logit on real minus fake clips over the last 50 logged training steps (from");
    p("the metrics log); near 0, the adversarial term carries little information to the generator.");
  }
  if (waiting.length) {
    p();
    p(`Not in the table until their setting is selected and trained: ${waiting.join("; ")}.`);
  }
  p();

  // -- discriminator calibration
  p("## The discriminators' learning rate (calibration)");
  p();
  const cal = (await report(CALIBRATION, [], "validation"))[0];
  const calGroups = (cal?.groups ?? []).filter((g) => typeof g.metrics.d_gap?.mean === "number");
  if (calGroups.length === 0) p(`_Not run yet: \`${sweepCommand(CALIBRATION)}\`._`);
  else {
    p(`\`${CALIBRATION}\` freezes the generator at its start (the teacher at 1 NFE: the blurred mean of the two`);
    p("futures) and trains only each method's discriminator, as its experiment defines it, for 200 updates. The");
    p("table gives the real-minus-fake logit gap over the last 50 updates: how well the discriminator tells real");
    p("clips from the blurred generator after 200 updates. Each method's discriminator then trains at its best rate.");
    p();
    const rates = [...new Set(calGroups.map((g) => g.values.head_lr))].sort((a, b) => a - b);
    p(`| discriminator of | ${rates.map((x) => `lr ${x}`).join(" | ")} |`);
    p(`|---|${rates.map(() => "---").join("|")}|`);
    for (const m of METHODS) {
      const gs = calGroups.filter((g) => g.values.method === m.id);
      if (gs.length === 0) continue;
      const best = Math.max(...gs.map((g) => g.metrics.d_gap.mean));
      p(`| ${m.label} | ${rates.map((x) => gs.find((g) => g.values.head_lr === x)).map((g) => (g ? (g.metrics.d_gap.mean === best ? `**${num(g.metrics.d_gap.mean, 2)}**` : num(g.metrics.d_gap.mean, 2)) : "—")).join(" | ")} |`);
    }
  }
  p();
  await mismatchProbe(p);

  // -- tuning (validation clips)
  p("## Tuning (validation clips)");
  p();
  p(`Every method gets the same tuning budget: one sweep of \`${TUNING}\` each, with the same number of members`);
  p(`over its own open values, each trained for the cap of ${BUDGET.cap} generator updates (seed 0) and scored on ${EVAL_CLIPS}`);
  p("**validation** clips at the end. The selected setting is the member with the highest 1-NFE mean, chosen once every member has run. The");
  p(`training budget is then the shortest at which every selected member's in-run validation mean has stopped`);
  p(`improving: it gains under ${BUDGET.points} point over the last ${BUDGET.window * 100}% of the updates, from there on (curves below).`);
  p("Peak: the best in-run validation mean (32 clips, every 100 updates) and its update; where it is far above the");
  p("final score, the member got worse with more training, which one budget for every method does not undo.");
  p();
  for (const { m, r, pick, lead } of tuning) {
    const done = (r?.groups ?? []).flatMap((g) => g.members).filter((x) => typeof x.values.mean === "number");
    p(`**${m.label}** (\`${sweepCommand(TUNING, m.tuning)}\`)`);
    p();
    if (!r) {
      p(`_\`${TUNING}\` has no sweep ${m.tuning} yet._`);
      p();
      continue;
    }
    if (done.length === 0) {
      p(`_Not run yet (${r.groups.length} members)._`);
      p();
      continue;
    }
    p("| member | semantic alignment | temporal coherence | frame quality | mean | direction acc. % | D gap (end) | plateau at | peak (update) | |");
    p("|---|---|---|---|---|---|---|---|---|---|");
    for (const g of r.groups)
      for (const x of g.members) {
        const v = x.values;
        const has = typeof v.mean === "number";
        const plateau = x.run ? plateauStep(x.curve, BUDGET) : null;
        p(`| ${valuesText(r, g)}${g.members.length > 1 ? `, ${x.name.split(",").at(-1)}` : ""} | ${has ? SCORES.map((k) => num(v[k])).join(" | ") : "— | — | —"} | ${has ? `**${num(v.mean)}**` : "—"} | ${num(v.direction_accuracy, 0)} | ${num(v.d_gap, 2)} | ${x.run ? (plateau ?? `still improving at ${x.curve.at(-1)?.[0] ?? "?"}`) : "—"} | ${x.run ? peakText(x.curve) : "—"} | ${pick && x.run && x.run === pick.run ? "**selected**" : !pick && lead && x.run && x.run === lead.run ? "best so far" : has ? "" : x.status} |`);
      }
    p();
  }
  const plot = await tuningCurvesPlot(tuning);
  if (plot) {
    p(`![Tuning curves](${plot})`);
    p();
  }
  const picks = tuning.filter((t) => t.pick);
  if (picks.length === METHODS.length) {
    const steps = picks.map((t) => ({ label: t.m.label, step: plateauStep(t.pick.curve, BUDGET) }));
    const budget = steps.some((s) => s.step === null) ? BUDGET.cap : Math.max(...steps.map((s) => s.step));
    p(`Budget: **${budget} generator updates** (${steps.map((s) => `${s.label} ${s.step === null ? "still improving at the cap" : `plateau at ${s.step}`}`).join("; ")}).`);
  } else p(`Budget: not decided until every method's tuning sweep has run (${picks.length} of ${METHODS.length}).`);
  p();

  // -- ablations (test clips)
  /** A table of one-knob settings against the full method (the V-PAE runs, three seeds). */
  const versusFull = (title, groups, labels, fullLabel, [worse, better]) => {
    p(title);
    p();
    const known = groups.filter((g) => labels[g.key] && g.metrics.mean);
    if (!full?.metrics.mean || known.length === 0) {
      p("_Not run yet: the ablations run on the final recipe after the main table._");
      p();
      return [];
    }
    p("| variant | semantic alignment | temporal coherence | frame quality | mean | Δ mean vs full | reading | speed coverage % | D gap (end) | seeds |");
    p("|---|---|---|---|---|---|---|---|---|---|");
    p(`| ${fullLabel} | ${SCORES.map((k) => fmt(full.metrics[k])).join(" | ")} | **${fmt(full.metrics.mean)}** | 0 | reference | ${speedsText(full, "student", 1)} | ${fmt(full.metrics.d_gap, 2)} | ${full.n} |`);
    const out = [];
    for (const key of Object.keys(labels)) {
      const g = known.find((x) => x.key === key);
      if (!g) continue;
      const c = compare(statOf(g.metrics.mean), fullMean);
      const reading = c.verdict === "lower" ? worse : c.verdict === "higher" ? better : c.verdict === "within noise" ? "within seed noise" : "one seed each, no error bar";
      p(`| ${labels[key]} | ${SCORES.map((k) => fmt(g.metrics[k])).join(" | ")} | **${fmt(g.metrics.mean)}** | ${c.diff.toFixed(1)} | ${reading} | ${speedsText(g, "student", 1)} | ${fmt(g.metrics.d_gap, 2)} | ${g.n} |`);
      out.push({ label: labels[key], c });
    }
    p();
    p("Reading: a one-seed variant counts as different from the full method only when the gap exceeds");
    p("twice the full method's seed standard deviation, a variant with seeds when it exceeds twice the");
    p("standard error of the difference; otherwise it is within seed noise (`vpae report --baseline` applies");
    p("the same rule).");
    p();
    return out;
  };
  const abl = (await report(ABLATIONS))[0];
  const ablations = versusFull("## Ablations (1 NFE, test clips)", abl?.groups ?? [], ABLATION_LABELS, "full V-PAE", ["the part helps", "the variant is better"]);
  p("Ablations that land within seed noise at seed 0 get seeds 1 and 2 (`scripts/results.js` adds them");
  p(`by itself); the others keep one seed. The table is \`npx vpae report ${ABLATIONS} --runs-dir experiments/results --clips test --baseline variant=full\`.`);
  // seeds trained beyond that rule (to see whether a variant that beats the full method does so at other seeds)
  const inRule = fullMean && abl ? await ablationSelection(fullMean, abl) : null;
  const extra = !inRule ? [] : (abl?.groups ?? []).filter((g) => g.key !== "variant=full").flatMap((g) =>
    g.members.filter((m) => m.status === "finished" && m.values?.mean !== undefined && !inRule(m)).map((m) => `${ABLATION_LABELS[g.key] ?? g.key}, ${m.name.split(",").at(-1)}`));
  if (extra.length) p(`Trained beyond the rule, to see whether a variant that beats the full method does so at other seeds too: ${extra.join("; ")}.`);
  p();
  coverageDuringTraining(p, abl, ABLATION_LABELS);
  await motionDuringTraining(p, abl, ABLATION_LABELS);

  // -- recipe probes (validation clips, in-run)
  const probeReports = existsSync(join(root, PROBES)) ? await report(PROBES, ["--in-run"], "validation") : [];
  if (probeReports.some((r) => r.groups.some((g) => g.metrics.mean))) {
    p("## Recipe probes: what makes the one-step V-PAE student sharp (validation clips)");
    p();
    p(`Exploratory probes of V-PAE's objective (\`${PROBES}\`, whose comments give each round's reasoning): seed 0 unless a`);
    p("round says otherwise, each round's variants against the first campaign's recipe (`vpae_v1` in the file), every seed-0 member");
    p("starting from the same priming checkpoint. Rounds 1-4 train 300 generator updates (600 where the variant says long), later rounds");
    p(`${BUDGET.cap}; rounds 8 and 9 vary the selected recipe (\`vpae\` of vpae.vpae: round 8's member \`final\` is the main table's seed 0; round 9 has seeds 1 and 2).`);
    p("Scores are the runs' own final evaluation on 32 **validation** clips: compare them with each other,");
    p("not with the 64-clip tables. The probes chose the objective's structure; the tuning sweeps above chose its values.");
    p();
    // the reference: the run of vpae_v1 itself (the first campaign's V-PAE, seed 0), scored the same way
    const base = (await json(["compile", PROBES, "--list", "--json"])).experiments.find((e) => e.name === "vpae_v1");
    const baseDir = base && readdirSync(resultsDir).find((d) => d.endsWith(`-${base.hash.slice(0, 12)}`));
    const baseEval = baseDir ? finalEval(join(resultsDir, baseDir)) : null;
    const refRow = baseEval ? `| vpae_v1: the first campaign's recipe | ${SCORES.map((k) => num(baseEval[k])).join(" | ")} | **${num(groupMean(baseEval))}** | ${num(baseEval.direction_accuracy, 0)} | ${num(finalGap(join(resultsDir, baseDir)), 2)} |` : null;
    for (const r of probeReports) {
      const rs = r.groups.filter((g) => g.metrics.mean);
      if (rs.length === 0) continue;
      p(`**${r.sweep}** (\`npx vpae report ${PROBES} --sweep ${r.sweep} --runs-dir experiments/results --in-run\`)`);
      p();
      p("| variant | semantic alignment | temporal coherence | frame quality | mean | direction acc. % | D gap (end) |");
      p("|---|---|---|---|---|---|---|");
      if (refRow) p(refRow);
      for (const g of rs) p(`| ${variantOf(g, r)} | ${SCORES.map((k) => fmt(g.metrics[k])).join(" | ")} | **${fmt(g.metrics.mean)}** | ${fmt(g.metrics.direction_accuracy, 0)} | ${fmt(g.metrics.d_gap, 2)} |`);
      p();
    }
    await candidateAcrossSeeds(p, probeReports);
  }

  // -- latency
  p("## Latency: teacher vs 1-step student");
  p();
  const latFile = join(resultsDir, "latency.json");
  if (!existsSync(latFile)) p("_Not measured yet: `node scripts/results.js latency`._");
  else {
    const l = JSON.parse(readFileSync(latFile, "utf8"));
    p(`Teacher ${l.teacher.nfe} NFE: **${l.teacher.msPerVideo.toFixed(1)} ms/video**; student ${l.student.nfe} NFE: **${l.student.msPerVideo.toFixed(2)} ms/video**: **${l.ratio.toFixed(0)}×** faster`);
    p(`(paper, Wan2.1-I2V-14B on GPUs: 890 s -> 9.37 s, 95×). Median of ${l.rounds} interleaved rounds of ${l.clips} clips, one process,`);
    p(`${l.machine}, measured ${l.measured} with \`${l.command}\`.`);
  }
  p();

  // -- samples
  p("## Samples");
  p();
  p("The same 8 test clips for every method (rows: condition frame, real clip, generated clip; seed 0).");
  p("GIFs are in `experiments/results/<run>/samples-<role>-nfe<N>.gif`.");
  p();
  const seed0 = (g) => g?.members.find((m) => m.name === "seed=0" && m.run);
  const grids = [];
  const t0 = seed0(teacherGroup);
  if (t0) grids.push(["Teacher, 100 NFE", join(basename(t0.run), "samples-teacher-nfe100.gif")]);
  for (const m of METHODS) {
    const s = seed0(byMethod.get(m.sweep));
    if (s) grids.push([`${m.label}, 1 NFE`, join(basename(s.run), "samples-student-nfe1.gif")]);
  }
  const shown = grids.filter(([, f]) => existsSync(join(resultsDir, f)));
  if (shown.length) {
    p("| model | samples |");
    p("|---|---|");
    for (const [label, f] of shown) p(`| ${label} | ![${label}](../experiments/results/${f}) |`);
  } else p("_None yet: they come with the main table._");
  p();

  // -- claims
  p("## Which of the paper's claims hold at this scale");
  p();
  if (!fullMean) p("_Needs the main table._");
  else {
    for (const m of METHODS.filter((x) => x.id !== "vpae")) {
      const s = statOf(byMethod.get(m.sweep)?.metrics.mean);
      if (!s) continue;
      const c = compare(fullMean, s);
      p(`- V-PAE (1 NFE) beats ${m.label} (1 NFE) on the mean score: **${CLAIM[c.verdict]}** (${fullMean.mean.toFixed(1)} vs ${s.mean.toFixed(1)}, Δ ${c.diff.toFixed(1)}).`);
    }
    const t = statOf(teacherGroup?.metrics.mean);
    if (t) {
      const gap = t.mean - fullMean.mean;
      p(`- The 1-step student is within 2 points of the 100-NFE teacher on the mean: **${gap <= 2 ? "holds" : "does not hold"}** (${fullMean.mean.toFixed(1)} vs ${t.mean.toFixed(1)}, ${gap.toFixed(1)} below).`);
      const four = statOf(main4[0]?.groups[0]?.metrics.mean);
      if (four) p(`- The student at 4 NFE reaches the teacher: **${four.mean >= t.mean ? "holds" : "does not hold"}** (${four.mean.toFixed(1)} vs ${t.mean.toFixed(1)}).`);
    }
    const fq = full?.metrics.frame_quality;
    if (fq) p(`- The 1-step student is sharp (frame quality ≥ 50): **${fq.mean >= 50 ? "holds" : "does not hold"}** (${fq.mean.toFixed(1)}).`);
    // not a claim of the paper: the check that a sharp one-step student did not buy its scores by dropping a future
    const sc = statOf(full?.metrics.speed_coverage);
    const tc = statOf(teacherGroup?.metrics.speed_coverage);
    if (sc && tc) {
      const c = compare(sc, tc);
      p(`- (Our check, not the paper's.) The 1-step student uses both of the world's futures as evenly as the teacher (speed coverage): **${{ lower: "does not hold", "within noise": "holds within seed noise", higher: "holds", "no error bar": CLAIM["no error bar"] }[c.verdict]}** (${sc.mean.toFixed(1)} vs ${tc.mean.toFixed(1)}, Δ ${c.diff.toFixed(1)}).`);
    }
    for (const a of ablations) p(`- Ablation "${a.label}" lowers the score: **${a.c.verdict === "lower" ? "holds" : a.c.verdict === "higher" ? "does not hold (reversed)" : CLAIM[a.c.verdict]}** (Δ ${a.c.diff.toFixed(1)}).`);
    p();
    p("\"holds\": the gap exceeds twice its standard error over seeds (for one-seed ablations, twice the");
    p("full method's seed standard deviation). These verdicts are computed, not written; docs/results-notes.md");
    p("discusses them.");
  }
  p();

  // -- runs
  p("## Runs");
  p();
  p("Each run is a member of a sweep; `vpae sweep` trains it and `vpae eval --save` scores it (both through");
  p("`node scripts/results.js run`). Training time is the sum of the run's phases (shared phases excluded).");
  p();
  const perMethod = METHODS.map((m) => ({ m, minutes: (main.find((x) => x.sweep === m.sweep)?.groups[0]?.members ?? []).filter((x) => x.run && typeof x.trainSeconds === "number").map((x) => x.trainSeconds / 60) })).filter((x) => x.minutes.length);
  if (perMethod.length) {
    p("Each method's main-table runs (its seeds; two runs shared the machine's two cores, so the times mix cost and load):");
    p();
    p("| method | runs | training time (min) | shortest-longest |");
    p("|---|---|---|---|");
    for (const { m, minutes } of perMethod) p(`| ${m.label} | ${minutes.length} | ${formatStat(stat(minutes))} | ${Math.min(...minutes).toFixed(1)}-${Math.max(...minutes).toFixed(1)} |`);
    p();
  }
  p("| run | sweep member | commands | training time (min) | status |");
  p("|---|---|---|---|---|");
  const entries = [];
  const evalOf = (file, sweep) => {
    const k = kindOf(file, sweep);
    if (k.clips.length === 0) return null;
    return k.roles.map((r) => `\`npx vpae eval <run> --clips ${k.clips.join("|")} --save --role ${r.role} --nfe ${r.nfe.join(",")} --samples ${EVAL_CLIPS}\``).join(" + ");
  };
  for (const [file, reports] of [[MAIN, main], [ABLATIONS, abl ? [abl] : []], [TUNING, tuningReports], [CALIBRATION, cal ? [cal] : []]])
    for (const r of reports) for (const g of r.groups) for (const m of g.members) entries.push({ file, sweep: r.sweep, m });
  const seen = new Set();
  for (const e of entries.filter((x) => x.m.run).sort((a, b) => basename(a.m.run).localeCompare(basename(b.m.run)))) {
    const name = basename(e.m.run);
    if (seen.has(name)) continue; // a run can be a member of several sweeps (the full method, a selected tuning member)
    seen.add(name);
    const minutes = typeof e.m.trainSeconds === "number" ? (e.m.trainSeconds / 60).toFixed(1) : "?";
    const ev = evalOf(e.file, e.sweep);
    p(`| ${name} | ${e.sweep} ${e.m.index}: ${e.m.name} | \`${sweepCommand(e.file, e.sweep)} --only ${e.m.index}\`${ev ? ` + ${ev}` : ""} | ${minutes} | ${e.m.status} |`);
  }
  p();
  writeFileSync(docFile, lines.join("\n"));
  console.log(`wrote ${relative(root, docFile)} (${seen.size} run summaries)`);
}

// ---- command line ----

/**
 * Copies the summaries (plan, manifest, metrics log; no checkpoints, no extra scoring) of every finished
 * member of the recipe probes and the calibration from the runs folder (default runs/) into
 * experiments/results/.
 */
async function probes() {
  const from = opt("runs", join(root, "runs"));
  for (const file of [PROBES, CALIBRATION]) {
    for (const s of await members(file, from)) {
      for (const m of s.members.filter((x) => x.status === "finished")) {
        const out = summaryOf(m);
        if (existsSync(join(out, "manifest.json"))) continue;
        copySummary(m.runDir, out);
        console.log(`${s.sweep} ${m.name}: ${relative(root, out)}`);
      }
    }
  }
}

/**
 * The main table's speed cell: the coverage over seeds, and in brackets the mean share of clips whose
 * motion follows one allowed speed in every frame (from each run's scores on the test clips).
 */
function speedsText(g, role, nfe) {
  const matched = g.members
    .map((m) => (m.run ? readScores(m.run, role, "test") : null)?.results.find((x) => x.nfe === nfe)?.details?.speeds?.matched)
    .filter((x) => typeof x === "number");
  if (!g.metrics.speed_coverage && matched.length === 0) return "—";
  return `${fmt(g.metrics.speed_coverage)}${matched.length ? ` (${(matched.reduce((a, x) => a + x, 0) / matched.length).toFixed(0)}%)` : ""}`;
}

/**
 * A run's speed coverage at each of its in-run evaluations (1 NFE, the validation clips): [step,
 * coverage or null, share of clips that follow one speed, clips scored]. Runs whose evaluations
 * predate the statistic give none.
 */
function coverageCurve(runDir, nfe = 1) {
  return inRunEvals(runDir)
    .map((e) => [e.step, evalAt(e, nfe)])
    .filter(([, res]) => res && "speed_coverage" in res)
    .map(([step, res]) => [step, res.speed_coverage, res.details?.speeds?.matched ?? null, res.details?.n ?? null])
    .sort((a, b) => a[0] - b[0]);
}

/**
 * When the ablations' runs keep or lose one of the world's two futures: speed coverage at every
 * in-run evaluation, so a collapse can be placed in priming or in the equilibrium.
 */
function coverageDuringTraining(p, abl, labels) {
  const rows = [];
  for (const g of abl?.groups ?? [])
    for (const x of g.members) {
      const curve = x.run ? coverageCurve(x.run) : [];
      if (curve.length) rows.push({ label: `${labels[g.key] ?? g.key}, ${x.name.split(",").at(-1)}`, curve });
    }
  const clips = [...new Set(rows.flatMap((r) => r.curve.map((c) => c[3])).filter((n) => typeof n === "number"))].join(" or ") || "the";
  p("**When a run keeps or loses a future.** Speed coverage at each of a run's own evaluations (1 NFE, the");
  p(`${clips} in-run **validation** clips; in brackets the share of them that follows one speed), so that a collapse onto one`);
  p("speed can be placed in priming (the first evaluation, at the end of V-PAE's 100 priming updates) or in the equilibrium.");
  p();
  if (rows.length === 0) {
    p("_No run above logged it yet: their in-run evaluations predate the statistic; runs trained since do._");
    p();
    return;
  }
  const steps = [...new Set(rows.flatMap((r) => r.curve.map((c) => c[0])))].sort((a, b) => a - b);
  p(`| run | ${steps.map((s) => `update ${s}`).join(" | ")} |`);
  p(`|---|${steps.map(() => "---|").join("")}`);
  for (const r of rows) {
    const cell = (s) => {
      const c = r.curve.find((x) => x[0] === s);
      return c ? `${num(c[1], 0)}${typeof c[2] === "number" ? ` (${c[2].toFixed(0)}%)` : ""}` : "";
    };
    p(`| ${r.label} | ${steps.map(cell).join(" | ")} |`);
  }
  p();
  p("An empty cell: the run has no evaluation there with the statistic (a forked run's first evaluations are its source's).");
  p();
}

/** Updates per window of the motion table. */
const MOTION_WINDOW = 100;

/** Means of `value(record)` (finite values only) over consecutive windows of `width` logged steps. */
function windowMeans(records, value, width) {
  const out = [];
  for (let a = 0; a < records.length; a += width) {
    const xs = records.slice(a, a + width).map(value).filter((x) => typeof x === "number" && Number.isFinite(x));
    out.push(xs.length ? xs.reduce((u, v) => u + v, 0) / xs.length : NaN);
  }
  return out;
}

/** A probe group's variant: its swept value, or the one every member of the report shares. */
const variantOf = (g, r) => g.values.variant ?? r.fixed?.variant ?? g.key;

/** Round 8's best variant, whose seeds 1 and 2 are round 9: it replaces the recipe only if it wins across seeds. */
const CANDIDATE = { variant: "no_mismatch_g003", sweeps: ["recipe_8", "recipe_9"] };

/**
 * Does the recipe probes' best variant beat the selected recipe across seeds, not just at seed 0?
 * Both by the runs' own final evaluation on the validation clips (no test clip is read), seed by seed
 * and as mean ± sd, judged by compare() like every other table; the recipe changes only on "higher".
 */
async function candidateAcrossSeeds(p, probeReports) {
  const seedOf = (name) => Number(/seed=(\d+)/.exec(name)?.[1]);
  const cand = new Map();
  for (const r of probeReports.filter((x) => CANDIDATE.sweeps.includes(x.sweep)))
    for (const g of r.groups)
      for (const m of g.members)
        if (m.status === "finished" && m.name.includes(`variant=${CANDIDATE.variant}`) && m.values?.mean !== undefined) cand.set(seedOf(m.name), m);
  const [recipe] = await report(MAIN, ["--sweep", "vpae_seeds", "--in-run"], "validation");
  const rec = new Map((recipe?.groups ?? []).flatMap((g) => g.members).filter((m) => m.values?.mean !== undefined).map((m) => [seedOf(m.name), m]));
  const seeds = [...cand.keys()].filter((s) => rec.has(s)).sort((a, b) => a - b);
  if (seeds.length < 2) return;
  p(`**Does round 8's best variant (\`${CANDIDATE.variant}\`) hold across seeds?** Its seed 0 is round 8's member, seeds 1 and 2 are round 9;`);
  p("the recipe's are the main table's V-PAE runs (`vpae_seeds`). Both by the runs' own final evaluation on the 32 validation clips,");
  p("so no test clip takes part in the choice. The recipe would change only if the variant's mean were higher beyond twice the standard error.");
  p();
  // the columns: [whose runs, label, metric, digits]; the per-seed rows and the mean ± sd row read the same list
  const cols = [[rec, "recipe", "mean", 1], [rec, "recipe", "frame_quality", 1], [cand, CANDIDATE.variant, "mean", 1], [cand, CANDIDATE.variant, "frame_quality", 1], [cand, CANDIDATE.variant, "speed_coverage", 0]];
  const over = (runs, k) => stat(seeds.map((s) => runs.get(s).values[k]));
  p(`| seed | ${cols.map(([, who, k]) => `${who}: ${k === "speed_coverage" ? "speed coverage %" : k.replace("_", " ")}`).join(" | ")} |`);
  p(`|---|${cols.map(() => "---").join("|")}|`);
  for (const s of seeds) p(`| ${s} | ${cols.map(([runs, , k, d]) => num(runs.get(s).values[k], d)).join(" | ")} |`);
  p(`| mean ± sd | ${cols.map(([runs, , k, d]) => formatStat(over(runs, k), d)).join(" | ")} |`);
  p();
  const c = compare(over(cand, "mean"), over(rec, "mean"));
  p(`Δ mean ${c.diff >= 0 ? "+" : ""}${c.diff.toFixed(1)}, twice its standard error ${(2 * c.se).toFixed(1)}: **${c.verdict}**${c.verdict === "higher" ? "" : "; the recipe stays"}.`);
  p();
}

/**
 * The generator's motion during training, for every run of the ablations (the full method's seeds
 * included, whose in-run evaluations predate speed coverage): the mean absolute difference between
 * consecutive frames of the generated training batch (`gen/frame_diff`, logged every update), per
 * window, beside the run's test speed coverage. The world's fast future moves twice as far per frame.
 */
async function motionDuringTraining(p, abl, labels) {
  const rows = [];
  for (const g of abl?.groups ?? [])
    for (const x of g.members) {
      if (!x.run || x.status !== "finished") continue;
      const records = readMetrics(join(x.run, "metrics.jsonl"));
      rows.push({ label: `${labels[g.key] ?? (g.key === "variant=full" ? "full V-PAE" : g.key)}, ${x.name.split(",").at(-1)}`, windows: windowMeans(records, (r) => r.stats["gen/frame_diff"], MOTION_WINDOW), coverage: x.values.speed_coverage, mean: x.values.mean });
    }
  if (rows.length === 0) return;
  p(`**The generator's motion during training.** The mean absolute difference between consecutive frames of the`);
  p(`generated training batch (\`gen/frame_diff\`, logged at every update; docs/runtime.md), averaged over each ${MOTION_WINDOW} updates, for`);
  p("every ablation run, the full method's three seeds included, beside the run's speed coverage and mean score on the test clips (1 NFE).");
  p("The world's fast future moves twice as far per frame as the slow one, so a student that draws only the slow future moves less.");
  p();
  const n = Math.max(...rows.map((r) => r.windows.length));
  p(`| run | ${Array.from({ length: n }, (_, i) => `${i * MOTION_WINDOW + 1}-${(i + 1) * MOTION_WINDOW}`).join(" | ")} | speed coverage (test) | mean (test) |`);
  p(`|---|${Array.from({ length: n }, () => "---").join("|")}|---|---|`);
  for (const r of rows) p(`| ${r.label} | ${Array.from({ length: n }, (_, i) => num(r.windows[i], 3)).join(" | ")} | ${num(r.coverage, 0)} | ${num(r.mean)} |`);
  p();
  // where the runs that keep both futures and the runs that keep one sit in the last window
  const last = (r) => r.windows.at(-1);
  const both = rows.filter((r) => typeof r.coverage === "number" && r.coverage >= 50).map(last);
  const one = rows.filter((r) => r.coverage === 0).map(last);
  const range = (xs) => `${num(Math.min(...xs), 3)} to ${num(Math.max(...xs), 3)}`;
  if (both.length && one.length)
    p(`In the last ${MOTION_WINDOW} updates, the ${both.length} runs whose test speed coverage is 50 or more move ${range(both)}; the ${one.length} that draw one speed only (coverage 0) move ${range(one)}${Math.min(...both) > Math.max(...one) ? ": the ranges do not overlap" : ": the ranges overlap"}.`);
  p();
}

// ---- the matching-aware term and V-PAE's discriminator ----

/** Updates per window of the probe's table. */
const PROBE_WINDOW = 50;

/**
 * The d_mismatch sweep of the calibration file: V-PAE's discriminator on the frozen blurred generator,
 * without and with gan_mismatch, read from the members' metrics logs window by window (how soon it
 * separates real from generated clips) and by its mean logits in the last window.
 */
async function mismatchProbe(p) {
  const [probe] = await members(CALIBRATION, resultsDir, ["--sweep", "d_mismatch"]);
  if (!probe) return;
  const done = probe.members.filter((m) => m.status === "finished");
  const command = `npx vpae sweep ${CALIBRATION} --sweep d_mismatch`;
  p(`**Does the matching-aware term slow the discriminator?** (\`${command}\`) V-PAE's discriminator, at the`);
  p("rate it trains at, on the same frozen generator, without and with `gan_mismatch` (real clips under a wrong");
  p(`prompt counted as generated): the real-minus-generated logit gap per ${PROBE_WINDOW} updates, and the mean logits of the last ${PROBE_WINDOW}.`);
  p();
  if (done.length === 0) {
    p(`_Not run yet: \`${command}\`._`);
    p();
    return;
  }
  const mean = (xs) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
  const rows = done.map((m) => {
    const records = readMetrics(join(summaryOf(m), "metrics.jsonl"));
    const stat = (rs, k) => mean(rs.map((r) => r.stats[`d/d/${k}`]).filter(Number.isFinite));
    const gaps = windowMeans(records, (r) => logitGap(r.stats), PROBE_WINDOW);
    return { m, gaps, last: records.slice(Math.max(0, gaps.length - 1) * PROBE_WINDOW), stat };
  });
  const n = Math.max(...rows.map((r) => r.gaps.length));
  p(`| discriminator | ${Array.from({ length: n }, (_, i) => `gap, updates ${i * PROBE_WINDOW + 1}-${(i + 1) * PROBE_WINDOW}`).join(" | ")} | logits real / generated / mismatched (last ${PROBE_WINDOW}) |`);
  p(`|---|${Array.from({ length: n }, () => "---").join("|")}|---|`);
  for (const r of rows) {
    const logits = ["logit_real", "logit_fake", "logit_mismatch"].map((k) => r.stat(r.last, k)).map((x) => (Number.isFinite(x) ? num(x, 2) : "—")).join(" / ");
    p(`| ${r.m.name.replace(/,seed=0$/, "")} | ${Array.from({ length: n }, (_, i) => num(r.gaps[i], 2)).join(" | ")} | ${logits} |`);
  }
  p();
}

// ---- the quickstart's scores in the README ----

const QUICKSTART = "experiments/quickstart.vpae";
const readmeFile = opt("readme", join(root, "README.md"));
const QS_BEGIN = "<!-- quickstart scores: written by node scripts/results.js readme -->";
const QS_END = "<!-- /quickstart scores -->";

/** The quickstart's plan hash as this checkout compiles it. */
async function quickstartHash() {
  const plan = await json(["compile", QUICKSTART]);
  return plan.hash;
}

async function quickstart() {
  const hash = await quickstartHash();
  // the machine's load while the run trains (sampled each minute), so the README can say how busy it was
  const load = [];
  const timer = setInterval(() => load.push(loadavg()[0]), 60_000);
  const r = await exec(["run", QUICKSTART, "--runs-dir", runsDir, "--no-tui"], { log: true });
  clearInterval(timer);
  if (r.code !== 0) throw new Error(`vpae run ${QUICKSTART} failed (exit ${r.code})`);
  const runDir = join(runsDir, `quickstart-${hash.slice(0, 12)}`);
  if (!existsSync(join(runDir, "manifest.json"))) throw new Error(`no run folder ${relative(root, runDir)}`);
  const out = join(resultsDir, basename(runDir));
  copySummary(runDir, out);
  // the final evaluation's sample grids (condition frame, real clip, generated clip) at each NFE
  const last = inRunEvals(runDir).at(-1);
  for (const x of Object.values(last?.results ?? {})) {
    const gif = `${last.phase}-step${String(last.step).padStart(6, "0")}-nfe${x.nfe}.gif`;
    if (existsSync(join(runDir, "samples", gif))) copyFileSync(join(runDir, "samples", gif), join(out, gif));
  }
  if (load.length > 0) writeFileSync(join(out, "machine.json"), JSON.stringify({ cores: cpus().length, loadAverage: Number((load.reduce((a, x) => a + x, 0) / load.length).toFixed(2)), date: new Date().toISOString().slice(0, 10) }, null, 2) + "\n");
  console.log(`${relative(root, out)}: summary written`);
}

/** The README's lines on the quickstart's scores, from the summary of this checkout's quickstart plan. */
async function quickstartLines() {
  const hash = await quickstartHash();
  const dir = join(resultsDir, `quickstart-${hash.slice(0, 12)}`);
  const manifest = readManifestIfAny(dir);
  if (!manifest) throw new Error(`no summary of the quickstart's plan ${hash.slice(0, 12)} in ${relative(root, resultsDir)}: node scripts/results.js quickstart`);
  if (manifest.status !== "finished") throw new Error(`${relative(root, dir)} is ${manifest.status}, not finished`);
  const last = manifest.evals.at(-1);
  const at = (nfe) => evalAt(last, nfe);
  // speed coverage (docs/metrics.md) where the evaluation has it: does the student use both futures?
  const speeds = (x) => (typeof x.speed_coverage === "number" && x.details?.speeds ? `; speed coverage ${x.speed_coverage.toFixed(0)}% over the ${x.details.speeds.matched.toFixed(0)}% of clips that follow one speed` : "");
  const scores = (x) => `semantic alignment ${x.semantic_alignment.toFixed(1)}, temporal coherence ${x.temporal_coherence.toFixed(1)}, frame quality ${x.frame_quality.toFixed(1)} (mean ${groupMean(x).toFixed(1)})${speeds(x)}`;
  const minutes = manifest.phases.reduce((a, p) => a + p.seconds, 0) / 60;
  const one = at(1);
  const four = at(4);
  const plan = readRunPlan(dir);
  const updates = plan.phases.reduce((a, p) => a + p.steps, 0);
  const machineFile = join(dir, "machine.json");
  const machine = existsSync(machineFile) ? JSON.parse(readFileSync(machineFile, "utf8")) : null;
  const where = machine ? ` on ${machine.date}, one process on a ${machine.cores}-core CPU machine with load average ${machine.loadAverage}` : "";
  const gif = (nfe) => {
    const f = `${last.phase}-step${String(last.step).padStart(6, "0")}-nfe${nfe}.gif`;
    return existsSync(join(dir, f)) ? [`![samples at ${nfe} NFE: condition frame, real clip, generated clip](${relative(dirname(readmeFile), join(dir, f))})`] : [];
  };
  return [
    QS_BEGIN,
    `Measured for this README (\`experiments/results/${basename(dir)}/\`): ${updates} generator updates took`,
    `${minutes.toFixed(1)} minutes of training${where}. The student's final evaluation on the run's ${plan.eval.samples} validation clips:`,
    "",
    `- 1 NFE: ${scores(one)}`,
    ...(four ? [`- 4 NFE (the same student, 4 Euler steps): ${scores(four)}`] : []),
    "",
    ...gif(1),
    ...(four ? gif(4) : []),
    QS_END,
  ];
}

async function readme() {
  const lines = await quickstartLines();
  const text = readFileSync(readmeFile, "utf8");
  const a = text.indexOf(QS_BEGIN);
  const b = text.indexOf(QS_END);
  if (a < 0 || b < a) throw new Error(`${relative(root, readmeFile)} has no ${QS_BEGIN} ... ${QS_END} section`);
  const next = text.slice(0, a) + lines.join("\n") + text.slice(b + QS_END.length);
  if (argv.includes("--check")) {
    if (next !== text) {
      console.error(`${relative(root, readmeFile)}: the quickstart's scores differ from its summary; node scripts/results.js readme writes them:\n${lines.join("\n")}`);
      process.exit(1);
    }
    console.log(`${relative(root, readmeFile)}: the quickstart's scores match its summary`);
    return;
  }
  writeFileSync(readmeFile, next);
  console.log(`wrote the quickstart's scores into ${relative(root, readmeFile)}`);
}

const cmd = argv[0];
if (cmd === "list") await list();
else if (cmd === "probes") await probes();
else if (cmd === "run") await runAll(Number(opt("jobs", "2")));
else if (cmd === "collect") await collectAll();
else if (cmd === "latency") await latency();
else if (cmd === "table") await table();
else if (cmd === "quickstart") await quickstart();
else if (cmd === "readme") await readme();
else {
  console.error("usage: node scripts/results.js list | run [--jobs 2] | collect [--runs DIR] | probes [--runs DIR] | latency | table | quickstart [--runs DIR] | readme [--check]");
  process.exit(2);
}
