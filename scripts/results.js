// The paper's table at toy scale, from runs that vpae makes (never typed by hand).
//
//   node scripts/results.js list                 the sweeps and members behind docs/results.md
//   node scripts/results.js run [--jobs 2]
//        trains, with `vpae sweep`, every member of the campaign's sweep files that has no summary yet:
//        experiments/main.vpae (each method, three seeds), experiments/ablations.vpae (seed 0, then
//        seeds 1 and 2 of the ablations within seed noise at seed 0) and experiments/sensitivity.vpae.
//        Run folders go to runs/results/ (an interrupted sweep resumes). Each finished member is scored
//        with `vpae eval --save` (64 clips; the V-PAE runs' teacher at 100 NFE too), drawn with
//        `vpae sample`, and its summary (plan, manifest, metrics log, scores, grids; not its
//        checkpoints) is copied to experiments/results/<run folder>/.
//   node scripts/results.js latency              teacher 100 NFE vs student 1 NFE, one process
//   node scripts/results.js table                writes docs/results.md from `vpae report` over experiments/results/
//
// What stays here is what is particular to the paper: which members form the campaign, the row
// labels, and the claims' verdicts (computed with vpae's own comparison rule). Needs `npm run build`.
import { spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { basename, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

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
const { compare } = await import(join(root, "dist", "runtime", "report", "stats.js"));

// ---- the campaign ----

/** Clips of the fixed evaluation set each run is scored on (the in-run evaluations use the plan's 32). */
const EVAL_CLIPS = 64;
/** Every summary is scored on both: tuning reads validation, the tables report test where every run has it. */
const CLIP_SETS = ["validation", "test"];
const MAIN = "experiments/main.vpae";
const ABLATIONS = "experiments/ablations.vpae";
const SENSITIVITY = "experiments/sensitivity.vpae";
/** Exploratory probes of V-PAE's objective (issue 11), seed 0, scored by the runs' own final evaluation on the validation clips. */
const PROBES = "experiments/recipe-probes.vpae";
/** The sweeps of experiments/main.vpae, one per method. */
const METHODS = [
  { sweep: "vpae_seeds", id: "vpae", label: "V-PAE" },
  { sweep: "dmd2_seeds", id: "dmd2", label: "DMD2" },
  { sweep: "apt_seeds", id: "apt", label: "APT" },
  { sweep: "pcm_seeds", id: "pcm", label: "PCM" },
  { sweep: "add_seeds", id: "add", label: "ADD" },
];
/** Settings of experiments/ablations.vpae (report group keys), against `variant=full` (the V-PAE runs). */
const ABLATION_LABELS = {
  "variant=no_priming": "no priming (adversarial training only)",
  "variant=consistency_priming": "consistency priming instead of VSD",
  "variant=frozen_backbone": "frozen teacher backbone instead of the EMA generator",
  "variant=conv_head": "conv head instead of the semantic head",
  "variant=cross_attention_head": "cross-attention head without image/prompt",
  "variant=no_str1": "no STR1",
  "csds_weight=0": "C-SDS weight 0",
  "csds_weight=1": "C-SDS weight 1",
};
/** Settings of experiments/sensitivity.vpae: one knob the paper leaves open, moved down and up. */
const SENSITIVITY_LABELS = {
  "head_lr=0.0001": "discriminator head lr 1e-4 (full: 3e-4)",
  "head_lr=0.001": "discriminator head lr 1e-3",
  "lr=0.000003": "generator lr 3e-6 (full: 1e-5)",
  "lr=0.00003": "generator lr 3e-5",
  "priming_steps=50": "50 priming + 250 equilibrium updates (full: 100 + 200)",
  "priming_steps=200": "200 priming + 100 equilibrium updates",
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

/** The clip set the page reports: test once every summary has test scores, validation until then. */
let pageClips = "validation";

/** `vpae report ... --format json` over the summaries: one object per sweep. */
async function report(file, extra = [], clips = pageClips) {
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
async function ablationSelection(full) {
  const [abl] = await report(ABLATIONS, ["--baseline", "variant=full"]);
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

async function train(file, select, jobs) {
  for (const sweep of await members(file, resultsDir)) {
    const todo = sweep.members.filter((m) => m.status !== "finished" && select(m));
    if (todo.length === 0) continue;
    const only = todo.map((m) => m.index).join(",");
    console.log(`[${new Date().toISOString().slice(11, 19)}] ${file} sweep ${sweep.sweep}: members ${only}`);
    const r = await exec(["sweep", file, "--sweep", sweep.sweep, "--only", only, "--runs-dir", runsDir, "--jobs", String(jobs), "--no-tui"], { log: true });
    if (r.code !== 0) console.error(`vpae sweep ${file} --sweep ${sweep.sweep} exited ${r.code}; the finished members are still collected`);
    const now = (await members(file, runsDir, ["--sweep", sweep.sweep])).flatMap((s) => s.members);
    for (const m of now) if (m.status === "finished" && todo.some((t) => t.hash === m.hash)) await collect(file, sweep.sweep, m);
  }
}

/**
 * Scores a finished member on the validation and the test clips, draws its grids and copies its
 * summary into experiments/results/; a main-table member also gets its final student weights
 * (`student.safetensors`, so that `vpae eval <summary> --clips test` re-scores it from the repository).
 */
async function collect(file, sweep, m) {
  const out = summaryOf(m);
  mkdirSync(out, { recursive: true });
  const roles = [{ role: "student", nfe: [1, 4] }, ...(file === MAIN && sweep === "vpae_seeds" ? [{ role: "teacher", nfe: [100] }] : [])];
  for (const { role, nfe } of roles) {
    for (const clips of CLIP_SETS) {
      const ev = await exec(["eval", m.runDir, "--role", role, "--nfe", nfe.join(","), "--samples", String(EVAL_CLIPS), "--clips", clips, "--save"]);
      if (ev.code !== 0) throw new Error(`vpae eval ${m.runDir} --role ${role} --clips ${clips} failed:\n${ev.err}`);
    }
    const grid = join(out, `samples-${role}-nfe${nfe[0]}.gif`);
    const s = await exec(["sample", m.runDir, "--role", role, "--nfe", String(nfe[0]), "--samples", "8", "--clips", "test", "-o", grid]);
    if (s.code !== 0) throw new Error(`vpae sample ${m.runDir} failed:\n${s.err}`);
  }
  if (file === MAIN) {
    const e = await exec(["export", m.runDir, "--role", "student", "-o", join(out, "student.safetensors")]);
    if (e.code !== 0) throw new Error(`vpae export ${m.runDir} failed:\n${e.err}`);
  }
  for (const f of readdirSync(m.runDir)) if (["plan.json", "manifest.json", "metrics.jsonl"].includes(f) || /^scores-[\w-]+\.json$/.test(f)) copyFileSync(join(m.runDir, f), join(out, f));
  console.log(`  ${relative(root, out)}: summary written`);
}

async function runAll(jobs) {
  await train(MAIN, () => true, jobs);
  const [full] = await report(MAIN, ["--sweep", "vpae_seeds"]);
  await train(ABLATIONS, await ablationSelection(statOf(full?.groups[0]?.metrics.mean)), jobs);
  await train(SENSITIVITY, () => true, jobs);
}

function list() {
  const show = async (file, select = () => true) => {
    for (const s of await members(file, resultsDir))
      for (const m of s.members.filter(select)) console.log(`${file} ${s.sweep} ${String(m.index).padStart(2)} ${m.name.padEnd(34)} ${m.status === "finished" ? "summary " + relative(root, summaryOf(m)) : "to run"}`);
  };
  return (async () => {
    await show(MAIN);
    const [full] = await report(MAIN, ["--sweep", "vpae_seeds"]);
    await show(ABLATIONS, await ablationSelection(statOf(full?.groups[0]?.metrics.mean)));
    await show(SENSITIVITY);
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
    const a = inf.generate(teacher.model, teacher.params, batch, inf.samplerFor(teacher.plan.teacher.sampler.nfe, teacher.plan.teacher.sampler), i);
    const b = inf.generate(student.model, student.params, batch, inf.samplerFor(1, student.plan.student.sampler), i);
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

// ---- the page ----

const SCORES = ["semantic_alignment", "temporal_coherence", "frame_quality"];
const fmt = (m, digits = 1) => (!m ? "—" : m.n > 1 && m.std !== null ? `${m.mean.toFixed(digits)} ± ${m.std.toFixed(digits)}` : m.mean.toFixed(digits));
const latencyText = (m) => (m ? m.mean.toFixed(m.mean < 10 ? 2 : 1) : "—");
/** Words for compare(a, b).verdict, for a claim that a beats b. */
const CLAIM = { higher: "holds", lower: "does not hold (reversed)", "within noise": "within seed noise", "no error bar": "one seed each, no error bar" };

function sweepCommand(file, sweep) {
  return `npx vpae sweep ${file}${sweep ? ` --sweep ${sweep}` : ""}`;
}

async function table() {
  const summaries = existsSync(resultsDir) ? readdirSync(resultsDir).filter((n) => existsSync(join(resultsDir, n, "plan.json"))) : [];
  pageClips = summaries.length > 0 && summaries.every((n) => existsSync(join(resultsDir, n, "scores-student-test.json"))) ? "test" : "validation";
  const lines = [];
  const p = (s = "") => lines.push(s);
  const main = await report(MAIN);
  const main4 = await report(MAIN, ["--sweep", "vpae_seeds", "--nfe", "4"]);
  const teacher = (await report(MAIN, ["--sweep", "vpae_seeds", "--role", "teacher", "--nfe", "100"]))[0];
  const byMethod = new Map(main.map((r) => [r.sweep, r.groups[0]]));
  const full = byMethod.get("vpae_seeds");
  const fullMean = statOf(full?.metrics.mean);
  const teacherGroup = teacher?.groups[0];
  const teacherPlan = teacherGroup?.members.find((m) => m.run)?.run;
  const sampler = teacherPlan && existsSync(join(teacherPlan, "plan.json")) ? JSON.parse(readFileSync(join(teacherPlan, "plan.json"), "utf8")).teacher?.sampler : undefined;

  p("<!-- Generated by `node scripts/results.js table` from `vpae report` over experiments/results/. Do not edit by hand. -->");
  p("# Results: V-PAE and its baselines on the toy image-to-video world");
  p();
  p("Every number below comes from run summaries committed in `experiments/results/` (plan, manifest,");
  p("metrics log, scores, sample grids; one folder per run, named like a run folder). The runs are members of");
  p(`the sweeps in \`${MAIN}\` (each method, three seeds), \`${ABLATIONS}\` and \`${SENSITIVITY}\`,`);
  p("trained by `vpae sweep` and scored by `vpae eval --save`; `node scripts/results.js run` does both, and");
  p("`node scripts/results.js table` turns `vpae report` over the summaries into this page (for example");
  p(`\`npx vpae report ${MAIN} --runs-dir experiments/results\`). Scores: the three VBench-I2V-style groups of`);
  p(`docs/metrics.md (0-100) on ${EVAL_CLIPS} fixed **${pageClips}** clips, the same clips for every run; mean = mean of the three.`);
  p(
    pageClips === "test"
      ? "Tuning selected on the validation clips; the tables report the test clips, which no selection read."
      : "These are the validation clips (the set runs evaluate themselves on): the runs on this page predate the test clips, so no test scores exist for them yet (docs/metrics.md).",
  );
  p("Latency is the diffusion latency per video (model time of the sampling loop only), measured by");
  p("`vpae eval` on one CPU core while another run was training, so compare latencies within a table,");
  p("not with other machines; the ratio below is measured in one quiet process.");
  p();

  const rows = [];
  if (teacherGroup?.metrics.mean) rows.push({ label: sampler ? `Teacher (${sampler.steps} steps, CFG ${sampler.guidance})` : "Teacher", nfe: 100, g: teacherGroup, gap: false });
  for (const m of METHODS) {
    const g = byMethod.get(m.sweep);
    if (g?.metrics.mean) rows.push({ label: m.label, nfe: 1, g, gap: true });
    if (m.id === "vpae" && main4[0]?.groups[0]?.metrics.mean) rows.push({ label: m.label, nfe: 4, g: { ...main4[0].groups[0], metrics: { ...main4[0].groups[0].metrics, d_gap: g?.metrics.d_gap } }, gap: true });
  }
  p("## Main table");
  p();
  if (rows.length === 0) p("_No runs yet: `node scripts/results.js run`._");
  else {
    p("| method | NFE | semantic alignment | temporal coherence | frame quality | mean | direction acc. % | D gap (end) | latency (ms/video) | seeds |");
    p("|---|---|---|---|---|---|---|---|---|---|");
    for (const r of rows) p(`| ${r.label} | ${r.nfe} | ${SCORES.map((k) => fmt(r.g.metrics[k])).join(" | ")} | **${fmt(r.g.metrics.mean)}** | ${fmt(r.g.metrics.direction_accuracy)} | ${r.gap ? fmt(r.g.metrics.d_gap, 2) : "—"} | ${latencyText(r.g.metrics.latency_ms)} | ${r.g.n} |`);
    p();
    p("V-PAE at 4 NFE is the same 1-step checkpoint sampled with 4 Euler steps. Values are mean ± sample");
    p("standard deviation over seeds (training seed; the evaluation clips stay fixed). D gap (end): the");
    p("discriminator's mean logit on real minus fake clips over the last 50 logged training steps (from");
    p("metrics.jsonl); near 0, the adversarial term carries little information to the generator.");
  }
  p();

  /** A table of one-knob settings against the full method (the V-PAE runs, three seeds). */
  const versusFull = (title, groups, labels, fullLabel, [worse, better]) => {
    p(title);
    p();
    const known = groups.filter((g) => labels[g.key] && g.metrics.mean);
    if (!full?.metrics.mean || known.length === 0) {
      p("_Not run yet._");
      p();
      return [];
    }
    p("| variant | semantic alignment | temporal coherence | frame quality | mean | Δ mean vs full | reading | D gap (end) | seeds |");
    p("|---|---|---|---|---|---|---|---|---|");
    p(`| ${fullLabel} | ${SCORES.map((k) => fmt(full.metrics[k])).join(" | ")} | **${fmt(full.metrics.mean)}** | 0 | reference | ${fmt(full.metrics.d_gap, 2)} | ${full.n} |`);
    const out = [];
    for (const key of Object.keys(labels)) {
      const g = known.find((x) => x.key === key);
      if (!g) continue;
      const c = compare(statOf(g.metrics.mean), fullMean);
      const reading = c.verdict === "lower" ? worse : c.verdict === "higher" ? better : c.verdict === "within noise" ? "within seed noise" : "one seed each, no error bar";
      p(`| ${labels[key]} | ${SCORES.map((k) => fmt(g.metrics[k])).join(" | ")} | **${fmt(g.metrics.mean)}** | ${c.diff.toFixed(1)} | ${reading} | ${fmt(g.metrics.d_gap, 2)} | ${g.n} |`);
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
  const ablations = versusFull("## Ablations (1 NFE)", abl?.groups ?? [], ABLATION_LABELS, "full V-PAE (C-SDS weight 10)", ["the part helps", "the variant is better"]);
  p("Ablations that land within seed noise at seed 0 get seeds 1 and 2 (`scripts/results.js` adds them");
  p(`by itself); the others keep one seed. The table is \`npx vpae report ${ABLATIONS} --runs-dir experiments/results --baseline variant=full\`.`);
  p();
  const sens = (await report(SENSITIVITY))[0];
  versusFull("## Sensitivity to the values the paper leaves open (1 NFE)", sens?.groups ?? [], SENSITIVITY_LABELS, "full V-PAE (head lr 3e-4, lr 1e-5, 100 + 200 updates)", ["worse than full", "better than full"]);
  p("`experiments/sensitivity.vpae` moves one value at a time that vpae.vpae chose (the paper gives none");
  p("for this scale); every baseline keeps its single setting, so a better member here is tuning that the");
  p("baselines did not get.");
  p();

  const probeReports = existsSync(join(root, PROBES)) ? await report(PROBES, [], "validation") : [];
  if (probeReports.some((r) => r.groups.some((g) => g.metrics.mean))) {
    p("## Recipe probes: what makes the one-step V-PAE student sharp (validation clips)");
    p();
    p(`Exploratory probes of V-PAE's objective (\`${PROBES}\`, whose comments give each round's reasoning): one seed,`);
    p("the toy budget of 300 generator updates (600 where the variant says long), every member starting from the same");
    p("priming checkpoint. Scores are the runs' own final evaluation on 32 **validation** clips: compare them");
    p("with each other, not with the 64-clip tables above. These probes change the objective's structure; the");
    p("tuning sweeps that give every method the same budget come after them.");
    p();
    // the reference: the committed recipe (V-PAE, seed 0), scored the same way
    const [vp] = await report(MAIN, ["--sweep", "vpae_seeds", "--in-run"], "validation");
    const ref = vp?.groups[0]?.members.find((m) => m.name === "seed=0")?.values;
    const refRow = ref ? `| the recipe of the tables above (V-PAE, seed 0) | ${SCORES.map((k) => ref[k].toFixed(1)).join(" | ")} | **${ref.mean.toFixed(1)}** | ${ref.direction_accuracy.toFixed(0)} | ${ref.d_gap.toFixed(2)} |` : null;
    for (const r of probeReports) {
      const rows = r.groups.filter((g) => g.metrics.mean);
      if (rows.length === 0) continue;
      p(`**${r.sweep}** (\`npx vpae report ${PROBES} --sweep ${r.sweep} --runs-dir experiments/results\`)`);
      p();
      p("| variant | semantic alignment | temporal coherence | frame quality | mean | direction acc. % | D gap (end) |");
      p("|---|---|---|---|---|---|---|");
      if (refRow) p(refRow);
      for (const g of rows) p(`| ${g.values.variant ?? g.key} | ${SCORES.map((k) => fmt(g.metrics[k])).join(" | ")} | **${fmt(g.metrics.mean)}** | ${fmt(g.metrics.direction_accuracy, 0)} | ${fmt(g.metrics.d_gap, 2)} |`);
      p();
    }
  }

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

  p("## Samples");
  p();
  p("The same 8 evaluation clips for every method (rows: condition frame, real clip, generated clip;");
  p("seed 0). GIFs are in `experiments/results/<run>/samples-<role>-nfe<N>.gif`.");
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
  }
  p();

  p("## Which of the paper's claims hold at this scale");
  p();
  if (!fullMean) p("_Needs the V-PAE runs._");
  else {
    for (const m of METHODS.filter((x) => x.id !== "vpae")) {
      const s = statOf(byMethod.get(m.sweep)?.metrics.mean);
      if (!s) continue;
      const c = compare(fullMean, s);
      p(`- V-PAE (1 NFE) beats ${m.label} (1 NFE) on the mean score: **${CLAIM[c.verdict]}** (${fullMean.mean.toFixed(1)} vs ${s.mean.toFixed(1)}, Δ ${c.diff.toFixed(1)}).`);
    }
    const t = statOf(teacherGroup?.metrics.mean);
    if (t) {
      const c = compare(fullMean, t);
      p(`- The 1-step student matches or exceeds the 100-NFE teacher: **${c.verdict === "higher" ? "exceeds" : c.verdict === "within noise" ? "matches (within seed noise)" : "does not"}** (${fullMean.mean.toFixed(1)} vs ${t.mean.toFixed(1)}).`);
    }
    for (const a of ablations) p(`- Ablation "${a.label}" lowers the score: **${a.c.verdict === "lower" ? "holds" : a.c.verdict === "higher" ? "does not hold (reversed)" : CLAIM[a.c.verdict]}** (Δ ${a.c.diff.toFixed(1)}).`);
    p();
    p("\"holds\": the gap exceeds twice its standard error over seeds (for one-seed ablations, twice the");
    p("full method's seed standard deviation). These verdicts are computed, not written; docs/results-notes.md");
    p("discusses them.");
  }
  p();

  p("## Runs");
  p();
  p("Each run is a member of a sweep; `vpae sweep` trains it and `vpae eval --save` scores it (both through");
  p("`node scripts/results.js run`). Training time is the sum of the run's phases (shared phases excluded).");
  p();
  p("| run | sweep member | commands | training time (min) | status |");
  p("|---|---|---|---|---|");
  const entries = [];
  for (const r of main) for (const g of r.groups) for (const m of g.members) entries.push({ file: MAIN, sweep: r.sweep, m, nfe: r.sweep === "vpae_seeds" ? "1,4` + `--role teacher --nfe 100" : "1,4" });
  for (const [file, r] of [[ABLATIONS, abl], [SENSITIVITY, sens]]) for (const g of r?.groups ?? []) for (const m of g.members) entries.push({ file, sweep: r.sweep, m, nfe: "1,4" });
  const seen = new Set();
  for (const e of entries.filter((x) => x.m.run).sort((a, b) => basename(a.m.run).localeCompare(basename(b.m.run)))) {
    const name = basename(e.m.run);
    if (seen.has(name)) continue; // the full method is a member of the main and the ablation sweeps
    seen.add(name);
    const minutes = typeof e.m.trainSeconds === "number" ? (e.m.trainSeconds / 60).toFixed(1) : "?";
    p(`| ${name} | ${e.sweep} ${e.m.index}: ${e.m.name} | \`${sweepCommand(e.file, e.sweep)} --only ${e.m.index}\` + \`npx vpae eval <run> --clips ${pageClips} --save --nfe ${e.nfe} --samples ${EVAL_CLIPS}\` | ${minutes} | ${e.m.status} |`);
  }
  p();
  writeFileSync(docFile, lines.join("\n"));
  console.log(`wrote ${relative(root, docFile)} (${seen.size} run summaries)`);
}

// ---- command line ----

/**
 * Copies the summaries (plan, manifest, metrics log; no checkpoints, no extra scoring) of every finished
 * member of the recipe probes from the runs folder (default runs/) into experiments/results/.
 */
async function probes() {
  const from = opt("runs", join(root, "runs"));
  for (const s of await members(PROBES, from)) {
    for (const m of s.members.filter((x) => x.status === "finished")) {
      const out = summaryOf(m);
      if (existsSync(join(out, "manifest.json"))) continue;
      mkdirSync(out, { recursive: true });
      for (const f of ["plan.json", "manifest.json", "metrics.jsonl"]) copyFileSync(join(m.runDir, f), join(out, f));
      console.log(`${s.sweep} ${m.name}: ${relative(root, out)}`);
    }
  }
}

const cmd = argv[0];
if (cmd === "list") await list();
else if (cmd === "probes") await probes();
else if (cmd === "run") await runAll(Number(opt("jobs", "2")));
else if (cmd === "latency") await latency();
else if (cmd === "table") await table();
else {
  console.error("usage: node scripts/results.js list | run [--jobs 2] | probes [--runs DIR] | latency | table");
  process.exitCode = 2;
}
