// Lowering: the configuration tree of one experiment -> the plan's body, every default made explicit.
// Structural problems (unknown keys, wrong kinds, missing values) are reported here; the method's
// semantics (roles, phases, ranges that carry meaning) are checked afterwards in check.ts.
import type { Span } from "./syntax/ast.js";
import { D } from "./diagnostics/diagnostic.js";
import { describeValue, type Value } from "./eval.js";
import { BlockReader, expectChoice, expectNumber, type LowerContext } from "./reader.js";
import type * as P from "./plan/schema.js";
import * as K from "./plan/kinds.js";
import { HEAD_ARGS, HEAD_KINDS, defaultHead, headKind, makeHead, type HeadKind } from "./plan/heads.js";
import { ditParameterCount } from "./plan/networks.js";
import { LOSS_KINDS, REGULARIZERS, languageKey, lossSettings, regularizerArgs, type LossKind, type RoleContext, type Setting } from "./plan/losses.js";
import { samplerTimesteps } from "./plan/timesteps.js";
import * as suggest from "./diagnostics/suggest.js";
import * as nodePath from "node:path";

export type PlanBody = Omit<P.Plan, "formatVersion" | "compilerVersion" | "hash" | "experiment" | "source" | "sweep" | "sourceMap">;

// ---- values shared by many blocks ----

function call(v: Value): Extract<Value, { t: "call" }> | undefined {
  return v.t === "call" ? v : undefined;
}

/** A number, list or distribution call -> Distribution (range checks are in check.ts). */
export function toDistribution(ctx: LowerContext, v: Value, key: string, pointer: string): P.Distribution | undefined {
  ctx.map.set(pointer, v.span);
  if (v.t === "num") return { kind: "constant", value: v.v };
  if (v.t === "list") {
    const values: number[] = [];
    for (const it of v.items) {
      const n = expectNumber(ctx, it, key);
      if (n === undefined) return undefined;
      values.push(n);
    }
    if (values.length === 0) {
      ctx.bag.report(D.outOfRange, [`${key}: a discrete distribution needs at least one time`], v.span);
      return undefined;
    }
    return { kind: "discrete", values };
  }
  const c = call(v);
  const num = (name: string) => expectNumber(ctx, c!.args.get(name)!, `${c!.name}(${name})`);
  switch (c?.name) {
    case "uniform": {
      const low = num("low");
      const high = num("high");
      if (low === undefined || high === undefined) return undefined;
      return { kind: "uniform", low, high };
    }
    case "logit_normal": {
      const mean = num("mean");
      const std = expectNumber(ctx, c.args.get("std")!, "logit_normal(std)", { above: 0 });
      if (mean === undefined || std === undefined) return undefined;
      return { kind: "logit_normal", mean, std };
    }
    case "constant": {
      const value = num("value");
      return value === undefined ? undefined : { kind: "constant", value };
    }
    case "shifted": {
      const shift = expectNumber(ctx, c.args.get("shift")!, "shifted(shift)", { above: 0 });
      const base = toDistribution(ctx, c.args.get("base")!, key, `${pointer}/base`);
      if (shift === undefined || !base) return undefined;
      if (base.kind === "shifted") {
        ctx.bag.report(D.wrongValueKind, [`${key}: the base of shifted()`, "an unshifted distribution", "another shifted()"], c.args.get("base")!.span);
        return undefined;
      }
      return { kind: "shifted", shift, base };
    }
    default:
      ctx.bag.report(D.wrongValueKind, [key, "a time distribution (uniform, logit_normal, shifted, a list or a number)", describeValue(v)], v.span);
      return undefined;
  }
}

export function toSchedule(ctx: LowerContext, v: Value, key: string, pointer: string): P.Schedule | undefined {
  ctx.map.set(pointer, v.span);
  if (v.t === "num") return { kind: "constant", value: v.v };
  const c = call(v);
  if (c && (c.name === "linear_warmup" || c.name === "cosine_warmup")) {
    const value = expectNumber(ctx, c.args.get("value")!, `${c.name}(value)`);
    const steps = expectNumber(ctx, c.args.get("steps")!, `${c.name}(steps)`, { int: true, min: 1 });
    if (value === undefined || steps === undefined) return undefined;
    return { kind: c.name, value, steps };
  }
  if (c && c.name === "cosine") {
    const value = expectNumber(ctx, c.args.get("value")!, "cosine(value)");
    const final = expectNumber(ctx, c.args.get("final")!, "cosine(final)", { min: 0 });
    const warmup = expectNumber(ctx, c.args.get("warmup")!, "cosine(warmup)", { int: true, min: 0 });
    if (value === undefined || final === undefined || warmup === undefined) return undefined;
    return { kind: "cosine", value, final, warmup };
  }
  ctx.bag.report(D.wrongValueKind, [key, "a number or a schedule (linear_warmup, cosine_warmup, cosine)", describeValue(v)], v.span);
  return undefined;
}

function roleName(ctx: LowerContext, v: Value | undefined, key: string): string | undefined {
  if (!v) return undefined;
  if (v.t !== "sym") {
    ctx.bag.report(D.wrongValueKind, [key, "a role name", describeValue(v)], v.span);
    return undefined;
  }
  return v.name;
}

// ---- world ----

function intRange(ctx: LowerContext, r: BlockReader, key: string, pointer: string, def: [number, number]): { min: number; max: number } {
  const v = r.value(key, pointer);
  if (!v) return { min: def[0], max: def[1] };
  if (v.t === "num") {
    const n = expectNumber(ctx, v, key, { int: true, min: 1 });
    return n === undefined ? { min: def[0], max: def[1] } : { min: n, max: n };
  }
  if (v.t === "list" && v.items.length === 2) {
    const a = expectNumber(ctx, v.items[0]!, key, { int: true, min: 1 });
    const b = expectNumber(ctx, v.items[1]!, key, { int: true, min: 1 });
    if (a !== undefined && b !== undefined) {
      if (a > b) ctx.bag.report(D.badWorld, [`${key} range [${a}, ${b}] is empty: the first bound must not exceed the second`], v.span);
      return { min: a, max: b };
    }
    return { min: def[0], max: def[1] };
  }
  ctx.bag.report(D.wrongValueKind, [key, "a whole number or a range [min, max]", describeValue(v)], v.span);
  return { min: def[0], max: def[1] };
}

function symbolList<T extends string>(ctx: LowerContext, r: BlockReader, key: string, pointer: string, choices: readonly T[], def: T[]): T[] {
  const v = r.value(key, pointer);
  if (!v) return def;
  const items = v.t === "list" ? v.items : [v];
  const out: T[] = [];
  for (const it of items) {
    const c = expectChoice(ctx, it, key, choices);
    if (c) out.push(c);
  }
  return out.length > 0 ? out : def;
}

function intList(ctx: LowerContext, r: BlockReader, key: string, pointer: string, def: number[], min = 0): number[] {
  const v = r.value(key, pointer);
  if (!v) return def;
  const items = v.t === "list" ? v.items : [v];
  const out: number[] = [];
  for (const it of items) {
    const n = expectNumber(ctx, it, key, { int: true, min });
    if (n !== undefined) out.push(n);
  }
  if (items.length === 0) ctx.bag.report(D.outOfRange, [`${key} needs at least one value`], v.span);
  return out.length > 0 ? out : def;
}

function lowerWorld(ctx: LowerContext, r: BlockReader | undefined, root: BlockReader): P.World {
  const w = r ?? new BlockReader(ctx, { kind: "block", type: "world", span: root.span, entries: new Map() }, "world");
  const kind = w.choice("kind", "/world/kind", K.WORLD_KINDS, "sprites") ?? "sprites";
  let world: P.World;
  if (kind === "video_latent") {
    world = {
      kind,
      frames: w.num("frames", "/world/frames", { int: true, min: 1 }) ?? 1,
      height: w.num("height", "/world/height", { int: true, min: 1 }) ?? 1,
      width: w.num("width", "/world/width", { int: true, min: 1 }) ?? 1,
      channels: w.num("channels", "/world/channels", { int: true, min: 1 }) ?? 1,
      dataset: w.str("dataset", "/world/dataset", "unspecified") ?? "unspecified",
    };
  } else {
    const size = w.num("size", "/world/height", { int: true, min: 4, default: 8 }) ?? 8;
    const directions = w.num("directions", "/world/directions", { int: true, default: 4 }) ?? 4;
    if (![2, 4, 8].includes(directions)) ctx.bag.report(D.badWorld, [`directions must be 2, 4 or 8, not ${directions}`], w.block.entries.get("directions")!.span);
    world = {
      kind,
      frames: w.num("frames", "/world/frames", { int: true, min: 2, default: 6 }) ?? 6,
      height: w.num("height", "/world/height", { int: true, min: 4, default: size }) ?? size,
      width: w.num("width", "/world/width", { int: true, min: 4, default: size }) ?? size,
      channels: 3,
      sprites: intRange(ctx, w, "sprites", "/world/sprites", [1, 2]),
      spriteSize: intRange(ctx, w, "sprite_size", "/world/spriteSize", [2, 3]),
      shapes: symbolList(ctx, w, "shapes", "/world/shapes", K.SPRITE_SHAPES, ["square"]),
      palette: w.num("palette", "/world/palette", { int: true, min: 2, default: 6 }) ?? 6,
      background: w.choice("background", "/world/background", K.BACKGROUNDS, "flat") ?? "flat",
      directions: ([2, 4, 8].includes(directions) ? directions : 4) as 2 | 4 | 8,
      speeds: intList(ctx, w, "speeds", "/world/speeds", [1]),
      secondSprite: w.choice("second_sprite", "/world/secondSprite", K.SECOND_SPRITE_MOTIONS, "free") ?? "free",
      wrap: w.bool("wrap", "/world/wrap", true),
      trainClips: w.num("train_clips", "/world/trainClips", { int: true, min: 1, default: 100_000 }) ?? 100_000,
      evalClips: w.num("eval_clips", "/world/evalClips", { int: true, min: 1, default: 64 }) ?? 64,
    };
  }
  w.finish();
  return world;
}

// ---- models and samplers ----

function lowerArch(ctx: LowerContext, r: BlockReader | undefined, parent: BlockReader, world: P.World): P.Architecture {
  const a = r ?? new BlockReader(ctx, { kind: "block", type: "arch", span: parent.span, entries: new Map() }, "arch");
  const pre = "/teacher/arch";
  const patchV = a.value("patch", `${pre}/patch`);
  let patch = { frames: 1, height: 2, width: 2 };
  if (patchV) {
    const items = patchV.t === "list" ? patchV.items : [patchV];
    const nums = items.map((it) => expectNumber(ctx, it, "patch", { int: true, min: 1 }));
    if (nums.every((n) => n !== undefined)) {
      if (nums.length === 1) patch = { frames: 1, height: nums[0]!, width: nums[0]! };
      else if (nums.length === 3) patch = { frames: nums[0]!, height: nums[1]!, width: nums[2]! };
      else ctx.bag.report(D.wrongValueKind, ["patch", "a number or [frames, height, width]", `a list of ${nums.length}`], patchV.span);
    }
  }
  const width = a.num("width", `${pre}/width`, { int: true, min: 1, default: 64 }) ?? 64;
  const depth = a.num("depth", `${pre}/depth`, { int: true, min: 1, default: 4 }) ?? 4;
  const heads = a.num("heads", `${pre}/heads`, { int: true, min: 1, default: 4 }) ?? 4;
  const mlpRatio = a.num("mlp_ratio", `${pre}/mlpRatio`, { above: 0, default: 4 }) ?? 4;
  const textDim = a.num("text_dim", `${pre}/textDim`, { int: true, min: 0, default: 0 }) ?? 0;
  const crossAttention = a.bool("cross_attention", `${pre}/crossAttention`, textDim > 0);
  const arch: P.Architecture = {
    kind: "dit",
    width,
    depth,
    heads,
    mlpRatio,
    patch,
    position: a.choice("position", `${pre}/position`, K.POSITIONS, "rope3d") ?? "rope3d",
    prediction: a.choice("prediction", `${pre}/prediction`, K.PREDICTIONS, "x0") ?? "x0",
    textDim,
    crossAttention,
    modulation: a.choice("modulation", `${pre}/modulation`, K.MODULATIONS, "per_block") ?? "per_block",
    parameters: 0,
  };
  a.know("kind");
  const kind = a.value("kind", `${pre}/kind`);
  if (kind) expectChoice(ctx, kind, "kind", ["dit"] as const);
  a.finish();
  if (width % heads !== 0) ctx.bag.report(D.badArchitecture, [`width ${width} is not divisible by heads ${heads}`], ctx.map.get(`${pre}/heads`) ?? a.span);
  if (world.height % patch.height !== 0 || world.width % patch.width !== 0 || world.frames % patch.frames !== 0) {
    ctx.bag.report(
      D.badArchitecture,
      [`patch [${patch.frames}, ${patch.height}, ${patch.width}] does not divide the world's ${world.frames} x ${world.height} x ${world.width} frames`],
      ctx.map.get(`${pre}/patch`) ?? a.span,
    );
  }
  arch.parameters = ditParameterCount(arch, world);
  return arch;
}

/** Timesteps from 1 to 0 with the shift t' = s t / (1 + (s - 1) t). */
const timestepCache = new Map<string, number[]>();
/** Cached: sweeps compile the same sampler a thousand times. */
function cachedTimesteps(steps: number, shift: number): number[] {
  const key = `${steps}/${shift}`;
  let ts = timestepCache.get(key);
  if (!ts) {
    ts = samplerTimesteps(steps, shift);
    timestepCache.set(key, ts);
  }
  return [...ts];
}

function lowerSampler(ctx: LowerContext, r: BlockReader | undefined, parent: BlockReader, pointer: string, def: { steps: number; guidance: number }): P.Sampler {
  const s = r ?? new BlockReader(ctx, { kind: "block", type: "sampler", span: parent.span, entries: new Map() }, "sampler");
  const shift = s.num("shift", `${pointer}/shift`, { above: 0, default: 1 }) ?? 1;
  const guidance = s.num("guidance", `${pointer}/guidance`, { min: 0, default: def.guidance }) ?? def.guidance;
  const tsV = s.value("timesteps", `${pointer}/timesteps`);
  let steps = s.num("steps", `${pointer}/steps`, { int: true, min: 1, default: def.steps }) ?? def.steps;
  let timesteps = cachedTimesteps(steps, shift);
  if (tsV) {
    const items = tsV.t === "list" ? tsV.items : [tsV];
    const ts = items.map((it) => expectNumber(ctx, it, "timesteps", { min: 0, max: 1 }));
    if (ts.every((x) => x !== undefined)) {
      const list = [...(ts as number[])];
      if (list[list.length - 1] !== 0) list.push(0);
      const descending = list.every((x, i) => i === 0 || x < list[i - 1]!);
      if (!descending || list.length < 2) ctx.bag.report(D.outOfRange, ["timesteps must be strictly descending from at most 1 (a final 0 is added)"], tsV.span);
      if (s.has("steps") && steps !== list.length - 1) {
        ctx.bag.report(D.outOfRange, [`steps = ${steps} disagrees with the ${list.length - 1} steps that timesteps describe`], tsV.span);
      }
      steps = list.length - 1;
      timesteps = list;
    }
  }
  s.finish();
  return { steps, timesteps, shift, guidance, nfe: steps * (guidance !== 1 ? 2 : 1) };
}

function lowerTeacher(ctx: LowerContext, r: BlockReader, world: P.World, entryFile: string): P.Teacher {
  let init: P.Teacher["init"] = { kind: "scratch" };
  const iv = r.value("init", "/teacher/init");
  if (iv) {
    if (iv.t === "sym" && iv.name === "scratch") init = { kind: "scratch" };
    else if (iv.t === "call" && iv.name === "checkpoint") {
      const p = iv.args.get("path")!;
      // Written relative to the file that sets it; stored relative to the compiled (entry) file.
      const from = r.attrNode("init")?.scope.file ?? entryFile;
      const resolved = nodePath.relative(nodePath.dirname(entryFile), nodePath.join(nodePath.dirname(from), p.t === "str" ? p.v : ""));
      if (p.t === "str" && p.v.length > 0) init = { kind: "checkpoint", path: nodePath.isAbsolute(p.v) ? p.v : resolved.split(nodePath.sep).join("/") };
      else ctx.bag.report(D.wrongValueKind, ["checkpoint(path)", "a non-empty string", describeValue(p)], p.span);
    } else ctx.bag.report(D.wrongValueKind, ["init", "scratch or checkpoint(\"path\")", describeValue(iv)], iv.span);
  }
  const arch = lowerArch(ctx, r.child("arch"), r, world);
  const sampler = lowerSampler(ctx, r.child("sampler"), r, "/teacher/sampler", { steps: 50, guidance: 3 });
  const condDropout = r.num("cond_dropout", "/teacher/condDropout", { min: 0, max: 1, default: 0.1 }) ?? 0.1;
  r.finish();
  return { arch, init, sampler, condDropout };
}

function lowerStudent(ctx: LowerContext, r: BlockReader): P.Student {
  const init = r.choice("init", "/student/init", K.STUDENT_INITS, "teacher") ?? "teacher";
  const sampler = lowerSampler(ctx, r.child("sampler"), r, "/student/sampler", { steps: 1, guidance: 1 });
  r.finish();
  return { init, sampler };
}

function lowerFakeScore(ctx: LowerContext, name: string, r: BlockReader, i: number): P.FakeScore {
  const pre = `/fakeScores/${i}`;
  ctx.map.set(pre, r.span);
  const kind = r.choice("kind", `${pre}/kind`, K.FAKE_SCORE_KINDS, "lora") ?? "lora";
  const rank = kind === "copy" ? 0 : (r.num("rank", `${pre}/rank`, { int: true, min: 1, default: 8 }) ?? 8);
  const alpha = r.num("alpha", `${pre}/alpha`, { min: 0, default: rank }) ?? rank;
  const init = r.choice("init", `${pre}/init`, K.FAKE_SCORE_INITS, kind === "lora" ? "zero" : "teacher") ?? "zero";
  if (kind === "copy") r.know("rank");
  r.finish();
  return { name, kind, rank, alpha, init };
}

function lowerDiscriminator(ctx: LowerContext, name: string, r: BlockReader, i: number, depth: number): { d: P.Discriminator; reg?: { loss: Omit<P.Loss, "name" | "discriminator">; span: Span } } {
  const pre = `/discriminators/${i}`;
  ctx.map.set(pre, r.span);
  let backbone: P.Backbone = { kind: "teacher" };
  const bv = r.value("backbone", `${pre}/backbone`);
  if (!bv) {
    if (!r.has("backbone")) ctx.bag.report(D.missingAttribute, ["'backbone'", `discriminator ${name}`], r.span, { hint: "e.g. backbone = ema(student, 0.995)" });
  } else if (bv.t === "sym" && bv.name === "teacher") backbone = { kind: "teacher" };
  else if (bv.t === "sym" && bv.name === "student") {
    ctx.bag.report(D.wrongValueKind, ["backbone", "ema(student, decay) (the student itself changes under the generator's own update)", "the student"], bv.span, { hint: "backbone = ema(student, 0.995) is V-PAE's self-discriminator" });
  } else if (bv.t === "sym") backbone = { kind: "fake_score", name: bv.name };
  else if (bv.t === "call" && bv.name === "ema") {
    const of = roleName(ctx, bv.args.get("of"), "ema(of)");
    const decay = expectNumber(ctx, bv.args.get("decay")!, "ema(decay)");
    if (of !== undefined && of !== "student") ctx.bag.report(D.badRoleKind, [`ema() backbones follow the student, not '${of}'`], bv.args.get("of")!.span);
    ctx.map.set(`${pre}/backbone/decay`, bv.args.get("decay")!.span);
    backbone = { kind: "ema", of: "student", decay: decay ?? 0.995 };
  } else if (bv.t === "call" && bv.name === "copy") {
    const of = roleName(ctx, bv.args.get("of"), "copy(of)");
    if (of !== undefined && of !== "teacher") ctx.bag.report(D.badRoleKind, [`copy() backbones are initialised from the teacher, not '${of}'`], bv.args.get("of")!.span);
    backbone = { kind: "copy", of: "teacher" };
  } else ctx.bag.report(D.wrongValueKind, ["backbone", "ema(student, decay), teacher, copy(teacher) or a fake score name", describeValue(bv)], bv.span);

  const tapsDefault = depth > 1 ? [Math.floor((depth - 1) / 2), depth - 1] : [0];
  const taps = intList(ctx, r, "taps", `${pre}/taps`, tapsDefault, -1_000_000);
  const tapsV = r.value("taps", `${pre}/taps`);
  if (tapsV && tapsV.t === "list") tapsV.items.forEach((it, j) => ctx.map.set(`${pre}/taps/${j}`, it.span));

  // Without a head entry: the language's default head with its documented defaults.
  let head = defaultHead(DEFAULT_HEAD);
  const hv = r.value("head", `${pre}/head`);
  if (hv) {
    const c = call(hv);
    if (c && K.isKind(HEAD_KINDS, c.name)) {
      const args: Record<string, { type: "int" | "bool" }> = HEAD_ARGS[c.name];
      head = makeHead(c.name, (k) => {
        const x = c.args.get(k)!;
        if (args[k]!.type === "bool") {
          if (x.t !== "bool") ctx.bag.report(D.wrongValueKind, [`${c.name}(${k})`, "true or false", describeValue(x)], x.span);
          return x.t === "bool" ? x.v : true;
        }
        return expectNumber(ctx, x, `${c.name}(${k})`, { int: true, min: 1 }) ?? 1;
      });
      const problem = headKind(head).problem?.(head as never);
      if (problem) ctx.bag.report(D.badArchitecture, [problem], hv.span);
    } else ctx.bag.report(D.wrongValueKind, ["head", `${HEAD_KINDS.slice(0, -1).map((h) => `${h}(...)`).join(", ")} or ${HEAD_KINDS.at(-1)}(...)`, describeValue(hv)], hv.span);
  }
  const loss = r.choice("loss", `${pre}/loss`, K.ADVERSARIAL_LOSSES, "hinge") ?? "hinge";
  const tv = r.value("t", `${pre}/t`);
  const t = (tv && toDistribution(ctx, tv, "t", `${pre}/t`)) || { kind: "uniform" as const, low: 0, high: 1 };
  const sharedT = r.bool("shared_t", `${pre}/sharedT`, true);
  const sharedNoise = r.bool("shared_noise", `${pre}/sharedNoise`, false);

  let reg: { loss: Omit<P.Loss, "name" | "discriminator">; span: Span } | undefined;
  const rv = r.value("regularizer");
  if (rv && !(rv.t === "none")) {
    const c = call(rv);
    if (c && K.isKind(REGULARIZERS, c.name)) {
      const weight = toSchedule(ctx, c.args.get("weight")!, `${c.name}(weight)`, `${pre}/regularizer/weight`);
      const loss: Record<string, unknown> = { kind: c.name };
      for (const a of regularizerArgs(c.name)) loss[a.key] = expectNumber(ctx, c.args.get(a.name)!, `${c.name}(${a.name})`) ?? 0;
      loss["weight"] = weight;
      if (weight) reg = { loss: loss as Omit<P.Loss, "name" | "discriminator">, span: rv.span };
    } else ctx.bag.report(D.wrongValueKind, ["regularizer", `${REGULARIZERS.map((r) => `${r}(...)`).join(", ")} or none`, describeValue(rv)], rv.span);
  }
  r.finish();
  const d: P.Discriminator = { name, backbone, taps, head, loss, t, sharedT, sharedNoise };
  return reg ? { d, reg } : { d };
}

// ---- discriminator heads ----

/** The head a discriminator gets without a `head` entry (docs/language.md section 7.6). */
const DEFAULT_HEAD: HeadKind = "semantic";

// ---- phases ----

interface RoleInfo {
  teacher: P.Teacher | null;
  fakeScores: P.FakeScore[];
  discriminators: P.Discriminator[];
}

/** A loss block -> its plan entry: every setting of its kind (compiler/plan/losses.ts), defaults filled in. */
function lowerLoss(ctx: LowerContext, name: string, r: BlockReader, pointer: string, roles: RoleInfo): P.Loss | undefined {
  ctx.map.set(pointer, r.span);
  const kindDefault = K.isKind(LOSS_KINDS, name) ? name : undefined;
  const kv = r.value("kind", `${pointer}/kind`);
  let kind: LossKind | undefined = kindDefault;
  if (kv) {
    const k = kv.t === "sym" ? kv.name : undefined;
    if (k && K.isKind(LOSS_KINDS, k)) kind = k;
    else {
      const hint = k ? suggest.didYouMean(k, LOSS_KINDS) : undefined;
      ctx.bag.report(D.unknownLossKind, [`'${k ?? describeValue(kv)}'`], kv.span, hint ? { hint } : undefined);
      return undefined;
    }
  } else if (!kind) {
    const hint = suggest.didYouMean(name, LOSS_KINDS);
    ctx.bag.report(D.unknownLossKind, [`'${name}'`], r.span, { hint: hint ? `${hint} (or set kind = ... in the block)` : "set `kind = ...` in the block, or name the block after its kind" });
    return undefined;
  }
  const rc: RoleContext = {
    teacherGuidance: roles.teacher?.sampler.guidance ?? 1,
    teacherSteps: roles.teacher?.sampler.steps,
    teacherFromScratch: roles.teacher?.init.kind === "scratch",
    fakeScores: roles.fakeScores.map((f) => f.name),
    discriminators: roles.discriminators.map((d) => d.name),
  };
  const loss: Record<string, unknown> = { name, kind };
  for (const [key, s] of Object.entries(lossSettings(kind))) {
    loss[key] = lowerSetting(ctx, r, s, languageKey(key), `${pointer}/${key}`, `loss ${name}`, kind, rc);
  }
  const wv = r.value("weight", `${pointer}/weight`);
  loss["weight"] = (wv && toSchedule(ctx, wv, "weight", `${pointer}/weight`)) || { kind: "constant" as const, value: 1 };
  r.finish();
  return loss as P.Loss;
}

/** One loss setting from its block (reported and replaced by its default when wrong). */
function lowerSetting(ctx: LowerContext, r: BlockReader, s: Setting, key: string, pointer: string, what: string, kind: LossKind, rc: RoleContext): unknown {
  switch (s.type) {
    case "ref": {
      const v = r.value(key, pointer);
      const n = v ? roleName(ctx, v, key) : s.default(rc);
      if (n === undefined && !v) ctx.bag.report(D.missingAttribute, [`'${key}'`, what], r.span);
      return n ?? "";
    }
    case "num": {
      const def = typeof s.default === "number" ? s.default : s.default(rc);
      return r.num(key, pointer, { default: def, ...(s.int ? { int: true } : {}), min: s.min, max: s.max, above: s.above, below: s.below }) ?? def;
    }
    case "dist": {
      const v = r.value(key, pointer);
      return (v && toDistribution(ctx, v, key, pointer)) || s.default;
    }
    case "choice":
      return r.choice(key, pointer, s.values, s.default) ?? s.default;
    case "times": {
      const v = r.value(key, pointer);
      if (!v) return [...s.default];
      const items = v.t === "list" ? v.items : [v];
      const nums = items.map((x) => expectNumber(ctx, x, key, { min: 0, max: 1 }));
      const times = nums.every((x) => x !== undefined) ? (nums as number[]) : [...s.default];
      if (times.length < 2 || !times.every((x, i) => i === 0 || x < times[i - 1]!)) {
        ctx.bag.report(D.outOfRange, [`${kind} ${key} must be at least two times, strictly descending (e.g. [1, 0.5, 0])`], v.span);
      }
      return times;
    }
  }
}

function lowerOptimizer(ctx: LowerContext, role: string, r: BlockReader, pointer: string): P.Optimizer {
  ctx.map.set(pointer, r.span);
  const kind = r.choice("kind", `${pointer}/kind`, K.OPTIMIZER_KINDS, "adam") ?? "adam";
  const lv = r.value("lr", `${pointer}/lr`);
  if (!lv && !r.has("lr")) ctx.bag.report(D.missingAttribute, ["'lr'", `optimizer ${role}`], r.span);
  const lr = (lv && toSchedule(ctx, lv, "lr", `${pointer}/lr`)) || { kind: "constant" as const, value: 1e-4 };
  let betas: [number, number] = kind === "rmsprop" ? [0, 0.99] : [0.9, 0.999];
  const bv = r.value("betas", `${pointer}/betas`);
  if (bv) {
    if (bv.t === "list" && bv.items.length === 2) {
      const a = expectNumber(ctx, bv.items[0]!, "betas");
      const b = expectNumber(ctx, bv.items[1]!, "betas");
      if (a !== undefined && b !== undefined) betas = [a, b];
    } else ctx.bag.report(D.wrongValueKind, ["betas", "a list of two numbers", describeValue(bv)], bv.span);
  }
  const eps = r.num("eps", `${pointer}/eps`, { above: 0, default: 1e-8 }) ?? 1e-8;
  const weightDecay = r.num("weight_decay", `${pointer}/weightDecay`, { min: 0, default: kind === "adamw" ? 0.01 : 0 }) ?? 0;
  const cv = r.value("grad_clip", `${pointer}/gradClip`);
  let gradClip: number | null = null;
  if (cv && cv.t !== "none") gradClip = expectNumber(ctx, cv, "grad_clip", { above: 0 }) ?? null;
  r.finish();
  return { role, kind, lr, betas, eps, weightDecay, gradClip };
}

function lowerPhase(ctx: LowerContext, name: string, r: BlockReader, index: number, batch: number, roles: RoleInfo, regs: Map<string, { loss: Omit<P.Loss, "name" | "discriminator">; span: Span }>): P.Phase {
  const pre = `/phases/${index}`;
  ctx.map.set(pre, r.span);
  const steps = r.num("steps", `${pre}/steps`, { int: true, min: 1 }) ?? 1;
  const phaseBatch = r.num("batch", `${pre}/batch`, { int: true, min: 1, default: batch }) ?? batch;
  let input: P.Phase["input"] = { kind: "noise" };
  const iv = r.value("input", `${pre}/input`);
  if (iv) {
    if (iv.t === "call" && iv.name === "noised_real") {
      const s = toDistribution(ctx, iv.args.get("s")!, "noised_real(s)", `${pre}/input/s`);
      if (s) input = { kind: "noised_real", s };
    } else if (!(iv.t === "call" && iv.name === "noise") && !(iv.t === "sym" && iv.name === "noise")) {
      ctx.bag.report(D.wrongValueKind, ["input", "noise or noised_real(s)", describeValue(iv)], iv.span);
    }
  }
  const optimizers = r.labeled("optimizer").map((o, j) => lowerOptimizer(ctx, o.name, o.reader, `${pre}/optimizers/${j}`));
  const losses: P.Loss[] = [];
  for (const l of r.labeled("loss")) {
    const loss = lowerLoss(ctx, l.name, l.reader, `${pre}/losses/${losses.length}`, roles);
    if (loss) losses.push(loss);
  }
  // A discriminator's `regularizer` joins every phase that trains that discriminator, unless the phase
  // states a regulariser term for it itself.
  for (const l of [...losses]) {
    if (l.kind !== "gan_discriminator") continue;
    const reg = regs.get(l.discriminator);
    const explicit = losses.some((x) => (x.kind === "r1" || x.kind === "approx_r1" || x.kind === "str1") && x.discriminator === l.discriminator);
    if (!reg || explicit) continue;
    const regName = losses.some((x) => x.name === reg.loss.kind) ? `${l.discriminator}_${reg.loss.kind}` : reg.loss.kind;
    ctx.map.set(`${pre}/losses/${losses.length}`, reg.span);
    losses.push({ ...reg.loss, name: regName, discriminator: l.discriminator } as P.Loss);
  }
  const updates: { role: string; count: number }[] = [];
  const ub = r.child("updates");
  if (ub) {
    for (const [key, node] of ub.block.entries) {
      ub.know(key);
      if (node.kind !== "attr") continue;
      const v = ctx.ev.attr(node);
      const ptr = `${pre}/updates/${updates.length}/count`;
      ctx.map.set(ptr, node.span);
      ctx.map.set(`${pre}/updates/${updates.length}`, node.span);
      updates.push({ role: key, count: v && v.t === "num" ? v.v : v ? NaN : 1 });
      if (v && v.t !== "num") ctx.bag.report(D.wrongValueKind, [`updates.${key}`, "a whole number", describeValue(v)], v.span);
    }
    ub.finish();
  }
  for (const o of optimizers) if (!updates.some((u) => u.role === o.role)) updates.push({ role: o.role, count: 1 });
  const ema: { role: string; decay: number }[] = [];
  const eb = r.child("ema");
  if (eb) {
    for (const [key, node] of eb.block.entries) {
      eb.know(key);
      if (node.kind !== "attr") continue;
      const v = ctx.ev.attr(node);
      ctx.map.set(`${pre}/ema/${ema.length}`, node.span);
      ctx.map.set(`${pre}/ema/${ema.length}/decay`, node.span);
      if (v && v.t === "num") ema.push({ role: key, decay: v.v });
      else if (v) ctx.bag.report(D.wrongValueKind, [`ema.${key}`, "a number", describeValue(v)], v.span);
    }
    eb.finish();
  }
  const onEnter: P.Phase["onEnter"] = [];
  const av = r.value("on_enter", `${pre}/onEnter`);
  if (av) {
    const items = av.t === "list" ? av.items : [av];
    for (const it of items) {
      if (it.t === "call" && (it.name === "reset_optimizer" || it.name === "freeze" || it.name === "unfreeze")) {
        const role = roleName(ctx, it.args.get("role"), `${it.name}(role)`);
        ctx.map.set(`${pre}/onEnter/${onEnter.length}`, it.span);
        if (role) onEnter.push({ action: it.name, role });
      } else ctx.bag.report(D.wrongValueKind, ["on_enter", "a list of reset_optimizer(role), freeze(role), unfreeze(role)", describeValue(it)], it.span);
    }
  }
  r.finish();
  return { name, hash: "", steps, batch: phaseBatch, input, optimizers, updates, losses, ema, onEnter, trains: optimizers.map((o) => o.role) };
}

// ---- experiment ----

export function lowerExperiment(ctx: LowerContext, root: BlockReader, entryFile: string): PlanBody {
  const seed = root.num("seed", "/seed", { int: true, min: 0, default: 0 }) ?? 0;
  const backend = root.choice("backend", "/backend", K.BACKENDS, "auto") ?? "auto";
  const batch = root.num("batch", "/batch", { int: true, min: 1, default: 8 }) ?? 8;
  const world = lowerWorld(ctx, root.child("world"), root);
  const tr = root.child("teacher");
  if (tr) ctx.map.set("/teacher", tr.span);
  const teacher = tr ? lowerTeacher(ctx, tr, world, entryFile) : null;
  const sr = root.child("student");
  if (sr) ctx.map.set("/student", sr.span);
  const student = sr ? lowerStudent(ctx, sr) : null;
  const fakeScores = root.labeled("fake_score").map((f, i) => lowerFakeScore(ctx, f.name, f.reader, i));
  const depth = teacher?.arch.depth ?? 1;
  const regs = new Map<string, { loss: Omit<P.Loss, "name" | "discriminator">; span: Span }>();
  const discriminators = root.labeled("discriminator").map((d, i) => {
    const out = lowerDiscriminator(ctx, d.name, d.reader, i, depth);
    if (out.reg) regs.set(d.name, out.reg);
    return out.d;
  });
  const roles: RoleInfo = { teacher, fakeScores, discriminators };
  const phases = root.labeled("phase").map((p, i) => lowerPhase(ctx, p.name, p.reader, i, batch, roles, regs));

  const er = root.child("eval");
  const defaultNfe = student ? [student.sampler.nfe] : teacher ? [teacher.sampler.nfe] : [1];
  const evalPlan: P.Plan["eval"] = {
    every: er?.num("every", "/eval/every", { int: true, min: 0, default: 0 }) ?? 0,
    samples: er?.num("samples", "/eval/samples", { int: true, min: 1, default: 16 }) ?? 16,
    nfe: er ? intList(ctx, er, "nfe", "/eval/nfe", defaultNfe, 1) : defaultNfe,
    metrics: er
      ? symbolList(ctx, er, "metrics", "/eval/metrics", K.METRICS, [...K.METRICS])
      : [...K.METRICS],
  };
  er?.finish();
  const cr = root.child("checkpoint");
  const checkpoint = {
    every: cr?.num("every", "/checkpoint/every", { int: true, min: 0, default: 100 }) ?? 100,
    keep: cr?.num("keep", "/checkpoint/keep", { int: true, min: 1, default: 3 }) ?? 3,
  };
  cr?.finish();
  const hr = root.child("hardware");
  let hardware: P.Plan["hardware"] = null;
  if (hr) {
    ctx.map.set("/hardware", hr.span);
    hardware = {
      gpus: hr.num("gpus", "/hardware/gpus", { int: true, min: 1, default: 1 }) ?? 1,
      memoryGb: hr.num("memory_gb", "/hardware/memoryGb", { above: 0, default: 80 }) ?? 80,
      precision: hr.choice("precision", "/hardware/precision", K.PRECISIONS, "bf16") ?? "bf16",
      sharding: hr.choice("sharding", "/hardware/sharding", K.SHARDINGS, "fsdp") ?? "fsdp",
      checkpointing: hr.bool("checkpointing", "/hardware/checkpointing", true),
      sequenceParallel: hr.bool("sequence_parallel", "/hardware/sequenceParallel", false),
    };
    hr.finish();
  }
  root.know("param");
  root.finish();
  return { seed, backend, world, teacher, student, fakeScores, discriminators, phases, eval: evalPlan, checkpoint, hardware };
}
