// Using trained weights: sampling a batch of condition frames and prompts with any sampler, and the
// evaluation shared by training runs and `vpae eval` / `vpae sample`.
import { isEmaOf, shadowTensor } from "./io/checkpoint-keys.js";
import type { ScoreRow } from "./io/scores.js";
import { VALIDATION, type ClipSet } from "./world/clip-sets.js";
import type { Plan, Sampler } from "../../compiler/plan/schema.js";
import { samplerTimesteps } from "../../compiler/plan/timesteps.js";
import { checkDevice, tf } from "./tf.js";
import { Rng } from "./rng.js";
import { firstFrame, sampleEuler, toX0 } from "./flow.js";
import { Dit, initParams } from "./model/dit.js";
import { ditDims } from "../../compiler/plan/networks.js";
import type { DitShape, ParamSet } from "./model/types.js";
import type { World, WorldBatch } from "./world/types.js";
import { scoreClips, type Scores } from "./eval/metrics.js";
import { IoError } from "./io/errors.js";
import { readSafetensors } from "./io/safetensors.js";
import { resolveRun, readRunPlan, readPlanFile } from "./io/run-dir.js";
import { latestCheckpoint } from "./io/checkpoint.js";
import { createWorld } from "./world/sprites.js";
import { existsSync, readdirSync, statSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { writeGridGif } from "./io/pictures.js";
import { planDir, teacherInitFile } from "./io/plan-files.js";

/** Sampler for an NFE count: the model's own sampler when it has that NFE, else that many plain Euler steps. */
export function samplerFor(nfe: number, own: Sampler): { timesteps: number[]; guidance: number } {
  if (nfe === own.nfe) return { timesteps: [...own.timesteps], guidance: own.guidance };
  return { timesteps: samplerTimesteps(nfe, own.shift), guidance: 1 };
}

/**
 * Samples the batch's clips with a sampler: returns the videos and the model time (the sampling loop
 * only, as the paper's "diffusion latency": no data preparation, no scoring).
 */
const warmed = new WeakSet<Dit>();

export async function generate(state: { dit: Dit; shape: DitShape; world: World }, params: ParamSet, batch: WorldBatch, sampler: { timesteps: number[]; guidance: number }, seed: number): Promise<{ video: Float32Array; latencyMs: number; nfe: number }> {
  const { n, frames, height, width, channels } = batch;
  const eps = tf.tensor5d(new Rng(seed).normals(batch.video.length), [n, frames, height, width, channels]);
  const x0 = tf.tensor5d(batch.video, [n, frames, height, width, channels]);
  const image = firstFrame(x0);
  const prompt = tf.tensor1d(batch.prompt, "int32");
  const nullPrompt = tf.fill([n], state.world.directions, "int32") as tf.Tensor1D;
  const mask = tf.ones([n]) as tf.Tensor1D;
  const inputs: tf.Tensor[] = [eps, x0, image, prompt, nullPrompt, mask];
  try {
    // The first call of a process compiles kernels and fills caches: keep it out of the latency.
    if (!warmed.has(state.dit)) {
      warmed.add(state.dit);
      const warm = tf.tidy(() => state.dit.apply(params, { xt: eps, t: tf.ones([n]) as tf.Tensor1D, image, imageMask: mask, prompt }).out);
      await warm.data().finally(() => warm.dispose());
    }
    const started = performance.now();
    const { video, nfe } = sampleEuler(
      (xt, t, conditional) => {
        const { out } = state.dit.apply(params, { xt, t, image, imageMask: mask, prompt: conditional ? prompt : nullPrompt });
        return toX0(out, xt, t, state.shape.arch.prediction);
      },
      eps,
      image,
      sampler,
    );
    inputs.push(video);
    const data = (await video.data()) as Float32Array; // sync point: the samples
    const latencyMs = performance.now() - started;
    checkDevice();
    return { video: Float32Array.from(data), latencyMs, nfe };
  } finally {
    tf.dispose(inputs);
  }
}

/** One NFE's scores (the row `vpae eval` prints and scores-<role>.json stores) with their details. */
export interface EvalSummary extends ScoreRow {
  details: Scores;
}

/** Samples and scores the world's fixed evaluation clips at one NFE. */
export async function evaluateAt(model: { dit: Dit; shape: DitShape; world: World }, params: ParamSet, own: Sampler, batch: WorldBatch, nfe: number, seed: number): Promise<{ summary: EvalSummary; video: Float32Array }> {
  const { video, latencyMs } = await generate(model, params, batch, samplerFor(nfe, own), seed);
  const s = scoreClips(video, batch, model.world);
  return {
    video,
    summary: {
      nfe,
      semantic_alignment: s.semantic.score,
      temporal_coherence: s.temporal.score,
      frame_quality: s.quality.score,
      direction_accuracy: 100 * s.directionAccuracy,
      speed_coverage: s.speeds.coverage,
      latencyMs,
      latencyPerVideoMs: latencyMs / batch.n,
      details: s,
    },
  };
}

/**
 * A role's weights from a safetensors file (a run checkpoint or an exported model): `<role>/<name>`,
 * or with preferEma the newest `ema:<role>@<decay>/<name>` set when the file has one; bare names are
 * accepted for files holding one model. Shapes are checked against the architecture.
 */
export function loadRoleParams(file: string, role: string, shape: DitShape, opts: { preferEma: boolean }): { params: ParamSet; source: string } {
  const content = readSafetensors(file);
  const names = [...content.tensors.keys()];
  const emaPrefix = opts.preferEma ? names.map(shadowTensor).find((s) => s !== undefined && isEmaOf(s.key, role))?.key : undefined;
  const prefixes = [...(emaPrefix ? [`${emaPrefix}/`] : []), `${role}/`, ""];
  const reference = initParams(shape, 0);
  let prefix: string | undefined;
  for (const p of prefixes) {
    if ([...reference.keys()].every((n) => content.tensors.has(p + n))) {
      prefix = p;
      break;
    }
  }
  if (prefix === undefined) {
    for (const v of reference.values()) v.dispose();
    const first = [...reference.keys()].find((n) => !content.tensors.has(`${role}/${n}`));
    throw new IoError(file, `no complete set of ${role} weights for this architecture (missing ${role}/${first})`, "plan-mismatch");
  }
  const params: ParamSet = new Map();
  for (const [name, v] of reference) {
    const t = content.tensors.get(prefix + name)!;
    const same = t.shape.length === v.shape.length && t.shape.every((d, i) => d === v.shape[i]);
    v.dispose();
    if (!same) {
      for (const p of params.values()) p.dispose();
      throw new IoError(file, `${prefix}${name} has shape [${t.shape.join(", ")}], the architecture needs another`, "plan-mismatch");
    }
    params.set(name, tf.variable(tf.tensor(t.data as Float32Array, t.shape), false));
  }
  return { params, source: prefix === "" ? role : prefix.slice(0, -1) };
}

/** A GIF grid of up to `max` clips: each row the condition frame, the real clip, the generated clip. */
export function writeSampleGrid(path: string, batch: WorldBatch, video: Float32Array, max: number): void {
  const shown = Math.min(max, batch.n);
  const per = batch.frames * batch.height * batch.width * batch.channels;
  writeGridGif(path, [batch.video.slice(0, shown * per), video.slice(0, shown * per)], {
    n: shown,
    frames: batch.frames,
    height: batch.height,
    width: batch.width,
    channels: batch.channels,
    scale: 4,
  });
}

export type { Plan };

export interface Trained {
  plan: Plan;
  model: { dit: Dit; shape: DitShape; world: World };
  params: ParamSet;
  role: "teacher" | "student";
  /** Which weights: "ema:student@0.999", "student", ... */
  source: string;
  checkpoint: string;
  /** The run folder the weights belong to; null for a loose weights file with its own plan. */
  runDir: string | null;
}

/**
 * Where a weights file's plan is: a checkpoint in a run's checkpoints/ folder has its run's plan.json; a
 * loose file NAME.safetensors has NAME.plan.json beside it (the committed teacher), or the plan.json of
 * the folder it is in (weights exported into a run folder or a run summary).
 */
async function planOfWeights(file: string): Promise<{ planFile: string; runDir: string | null }> {
  const folder = dirname(file);
  if (basename(folder) === "checkpoints" && existsSync(join(dirname(folder), "plan.json"))) return { planFile: join(dirname(folder), "plan.json"), runDir: dirname(folder) };
  const sidecar = join(folder, `${basename(file).replace(/\.safetensors$/, "")}.plan.json`);
  if (existsSync(sidecar)) return { planFile: sidecar, runDir: null };
  if (existsSync(join(folder, "plan.json"))) return { planFile: join(folder, "plan.json"), runDir: folder };
  throw new IoError(file, `its plan is unknown: it is not in a run's checkpoints/ folder, and neither ${basename(sidecar)} nor plan.json is beside it`, "not-found");
}

/**
 * Weights to sample from: `target` is a run (folder, name or hash prefix; its latest valid checkpoint)
 * or a weights file: a run's checkpoint, or a file with its plan beside it (planOfWeights). The role
 * defaults to the student when the plan has one; EMA weights are preferred unless `raw`. `runDir` is
 * null for a loose file, which has no run folder to write scores into.
 */
export async function openTrained(target: string, opts: { runsDir: string; role?: "teacher" | "student"; raw?: boolean; clips?: ClipSet }): Promise<Trained> {
  let runDir: string | null;
  let checkpoint: string | undefined;
  let plan: Plan;
  if (existsSync(target) && statSync(target).isFile()) {
    checkpoint = resolve(target);
    const where = await planOfWeights(checkpoint);
    runDir = where.runDir;
    plan = readPlanFile(where.planFile, "the plan of these weights");
  } else if (target.endsWith(".safetensors")) {
    // a weights file that is not there: a checkpoint the run has pruned, or a wrong path
    const folder = dirname(resolve(target));
    const kept = basename(folder) === "checkpoints" && existsSync(folder) ? readdirSync(folder).filter((f) => f.endsWith(".safetensors")).sort() : null;
    throw new IoError(target, kept ? `no such checkpoint: the run keeps only its newest checkpoints (checkpoint.keep), here ${kept.join(", ") || "none"}` : "no such file", "not-found");
  } else {
    runDir = resolveRun(target, opts.runsDir);
    plan = readRunPlan(runDir);
  }
  const at = runDir ?? checkpoint!;
  if (plan.world.kind !== "sprites" || !plan.teacher) throw new IoError(at, "this plan has no world or model that the runtime can sample (a sprites world and a teacher architecture)");
  const role = opts.role ?? (plan.student ? "student" : "teacher");
  if (role === "student" && !plan.student) throw new IoError(at, "the plan has no student (--role teacher samples its teacher)", "argument");
  if (checkpoint === undefined) {
    // a run folder: its newest valid checkpoint, or (a run summary without checkpoints) the role's
    // final weights exported next to the plan
    const dir = runDir!;
    const latest = latestCheckpoint(dir);
    const exported = join(dir, `${role}.safetensors`);
    const frozenTeacher = frozenTeacherFile(plan);
    if (latest) checkpoint = latest.file;
    else if (existsSync(exported)) checkpoint = exported;
    else if (role === "teacher" && frozenTeacher && existsSync(frozenTeacher)) checkpoint = frozenTeacher;
    else throw new IoError(dir, `no valid checkpoint (nor exported weights ${role}.safetensors) to score`, "not-found");
  }
  const world = createWorld(plan.world, (opts.clips ?? VALIDATION).seed);
  const shape: DitShape = ditDims(plan.teacher.arch, plan.world);
  const { params, source } = loadRoleParams(checkpoint, role, shape, { preferEma: !opts.raw });
  return { plan, model: { dit: new Dit(shape), shape, world }, params, role, source, checkpoint, runDir };
}

/**
 * The teacher checkpoint a plan loads, when no phase trains the teacher: a run summary's teacher is
 * then that file, bit for bit. Resolved like `vpae run` does, from the plan's source file's folder.
 */
function frozenTeacherFile(plan: Plan): string | null {
  if (plan.phases.some((p) => p.trains.includes("teacher"))) return null;
  return teacherInitFile(plan, planDir(plan));
}

export function ownSampler(t: Trained): Sampler {
  return t.role === "student" ? t.plan.student!.sampler : t.plan.teacher!.sampler;
}
