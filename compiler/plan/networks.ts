// The parameters of every network a plan describes, as lists of named shapes. The runtime builds its
// variables from these lists (the names are the checkpoint keys) and the compiler counts parameters
// from them (`vpae plan`, the memory estimate), so the two cannot disagree. Pure: no tensors here.
//
//   DiT        the teacher / student / EMA / copies (docs/runtime.md describes the layers)
//   LoRA       A [in, rank] and B [rank, out] on every attention and MLP projection of every block
//   heads      the discriminator heads: compiler/plan/heads.ts, with the rest of each head kind
//
// Parts the runtime does not build yet (cross-attention to text, text embeddings, shared modulation:
// compiler/plan/support.ts lists them) are still described, so paper-scale plans are counted right.
import type { Architecture, FakeScore, World } from "./schema.js";

/** How a parameter starts: zeros, normal(0, std), or the fixed 3-D sin-cos table (learned positions). */
export type ParamInit = { readonly kind: "zeros" } | { readonly kind: "normal"; readonly std: number } | { readonly kind: "sincos" };

export interface ParamSpec {
  readonly name: string;
  readonly shape: readonly number[];
  readonly init: ParamInit;
}

/** Elements of one parameter. */
function specSize(spec: ParamSpec): number {
  return spec.shape.reduce((p, d) => p * d, 1);
}

const counts = new WeakMap<readonly ParamSpec[], number>();

/** Parameters in a list of specs (remembered for the shared, frozen lists). */
export function parameterCount(specs: readonly ParamSpec[]): number {
  let n = counts.get(specs);
  if (n === undefined) {
    n = 0;
    for (const s of specs) n += specSize(s);
    if (Object.isFrozen(specs)) counts.set(specs, n);
  }
  return n;
}

// ---- the DiT ----

/** Width of the sinusoidal time features fed to the time MLP. */
export const TIME_DIM = 256;

/** What a DiT's parameters depend on: its architecture and the world's clip shape. */
export interface DitDims {
  arch: Omit<Architecture, "parameters">;
  frames: number;
  height: number;
  width: number;
  channels: number;
  /** Prompt classes of a class-prompt world (the class `promptClasses` is the null prompt); 0 when prompts are text embeddings. */
  promptClasses: number;
}

/** The DiT dimensions of a plan's architecture in its world. */
export function ditDims(arch: Omit<Architecture, "parameters">, world: World): DitDims {
  const classPrompts = world.kind === "sprites" && arch.textDim === 0;
  return {
    arch,
    frames: world.frames,
    height: world.height,
    width: world.width,
    channels: world.kind === "sprites" ? 3 : world.channels,
    promptClasses: classPrompts && world.kind === "sprites" ? world.directions : 0,
  };
}

/** Sizes derived from DitDims (grids round up; the compiler reports a patch that does not divide). */
export interface DitGeometry {
  width: number;
  heads: number;
  headDim: number;
  hidden: number;
  /** Tokens along frames, rows, columns, and in all. */
  gridF: number;
  gridH: number;
  gridW: number;
  tokens: number;
  /** Pixels per patch (frames x height x width). */
  patchSize: number;
  /** Channels per pixel at the input: noisy video, first-frame image, mask. */
  inChannels: number;
}

export function ditGeometry(d: DitDims): DitGeometry {
  const a = d.arch;
  const gridF = Math.ceil(d.frames / a.patch.frames);
  const gridH = Math.ceil(d.height / a.patch.height);
  const gridW = Math.ceil(d.width / a.patch.width);
  return {
    width: a.width,
    heads: a.heads,
    headDim: a.width / a.heads,
    hidden: Math.round(a.mlpRatio * a.width),
    gridF,
    gridH,
    gridW,
    tokens: gridF * gridH * gridW,
    patchSize: a.patch.frames * a.patch.height * a.patch.width,
    inChannels: 2 * d.channels + 1,
  };
}

/** A list of specs being built, and `lin(name, in, out, init)`: weight `<name>.w` [in, out] and zero bias `<name>.b`. */
export interface SpecList {
  specs: ParamSpec[];
  lin: (name: string, fanIn: number, fanOut: number, init: ParamInit) => void;
}

export function specList(): SpecList {
  const specs: ParamSpec[] = [];
  const lin = (name: string, fanIn: number, fanOut: number, init: ParamInit) => {
    specs.push({ name: `${name}.w`, shape: [fanIn, fanOut], init }, { name: `${name}.b`, shape: [fanOut], init: ZEROS });
  };
  return { specs, lin };
}

const ZEROS: ParamInit = { kind: "zeros" };
export const normal = (std: number): ParamInit => ({ kind: "normal", std });
const xavier = (fanIn: number, fanOut: number): ParamInit => normal(Math.sqrt(2 / (fanIn + fanOut)));
const lecun = (fanIn: number): ParamInit => normal(Math.sqrt(1 / fanIn));
/** The same scale written 1 / sqrt(fanIn), as the heads and LoRA always drew it (it can differ from `lecun` in the last bit). */
export const invSqrt = (fanIn: number): ParamInit => normal(1 / Math.sqrt(fanIn));

/** The linear layers of each block that LoRA adapts, by their name inside the block. */
export const LORA_LAYERS = ["attn.qkv", "attn.out", "mlp.fc1", "mlp.fc2"] as const;

/** Spec lists by their dimensions: a sweep compiles the same architecture hundreds of times. */
const ditCache = new Map<string, readonly ParamSpec[]>();

/** Every parameter of a DiT, in checkpoint order (a shared, read-only list). */
export function ditParams(d: DitDims): readonly ParamSpec[] {
  const a = d.arch;
  const key = `${a.width} ${a.depth} ${a.heads} ${a.mlpRatio} ${a.patch.frames} ${a.patch.height} ${a.patch.width} ${a.position} ${a.textDim} ${a.crossAttention} ${a.modulation} ${d.frames} ${d.height} ${d.width} ${d.channels} ${d.promptClasses}`;
  let specs = ditCache.get(key);
  if (!specs) {
    specs = Object.freeze(buildDitParams(d));
    if (ditCache.size > 64) ditCache.clear();
    ditCache.set(key, specs);
  }
  return specs;
}

function buildDitParams(d: DitDims): ParamSpec[] {
  const g = ditGeometry(d);
  const a = d.arch;
  const w = g.width;
  const { specs, lin } = specList();
  lin("patch", g.inChannels * g.patchSize, w, lecun(g.inChannels * g.patchSize));
  if (a.position === "learned") specs.push({ name: "pos", shape: [g.tokens, w], init: { kind: "sincos" } });
  // LeCun-scaled (not DiT's 0.02) so that the time embedding starts at a size comparable to the
  // std-1 prompt table it is added to; with 0.02 it would start ~50x smaller than the prompt.
  lin("time.fc1", TIME_DIM, w, lecun(TIME_DIM));
  lin("time.fc2", w, w, lecun(w));
  if (a.modulation === "shared") lin("time.modulation", w, 6 * w, ZEROS);
  if (a.textDim > 0) {
    lin("text.fc1", a.textDim, w, lecun(a.textDim));
    lin("text.fc2", w, w, lecun(w));
  }
  if (d.promptClasses > 0) {
    const classes = d.promptClasses + 1; // the last row is the null prompt
    specs.push({ name: "prompt.cond", shape: [classes, w], init: normal(1) });
    specs.push({ name: "prompt.frames", shape: [classes, g.gridF * w], init: normal(1) });
  }
  for (let i = 0; i < a.depth; i++) {
    if (a.modulation === "shared") specs.push({ name: `blocks.${i}.adaln_table`, shape: [6 * w], init: ZEROS });
    else lin(`blocks.${i}.adaln`, w, 6 * w, ZEROS);
    lin(`blocks.${i}.attn.qkv`, w, 3 * w, xavier(w, w));
    lin(`blocks.${i}.attn.out`, w, w, xavier(w, w));
    if (a.crossAttention) for (const p of ["q", "k", "v", "o"]) lin(`blocks.${i}.cross.${p}`, w, w, xavier(w, w));
    lin(`blocks.${i}.mlp.fc1`, w, g.hidden, xavier(w, g.hidden));
    lin(`blocks.${i}.mlp.fc2`, g.hidden, w, xavier(g.hidden, w));
  }
  lin("final.adaln", w, 2 * w, ZEROS);
  lin("final.out", w, g.patchSize * d.channels, ZEROS);
  return specs;
}

// ---- LoRA ----

/** The DiT weights a LoRA adapts (`blocks.<i>.<layer>.w` for every layer of LORA_LAYERS). */
function loraTargets(dit: readonly ParamSpec[]): ParamSpec[] {
  const layers = new Set<string>(LORA_LAYERS);
  return dit.filter((s) => {
    const m = /^blocks\.\d+\.(.+)\.w$/.exec(s.name);
    return m !== null && layers.has(m[1]!);
  });
}

/**
 * A LoRA's parameters: per adapted weight W [in, out], `<W>.lora_a` [in, rank] (normal, std 1/sqrt(in))
 * and `<W>.lora_b` [rank, out] (zero, so the adapter starts as the identity).
 */
export function loraParams(dit: readonly ParamSpec[], rank: number): readonly ParamSpec[] {
  let byRank = loraCache.get(dit);
  if (!byRank) loraCache.set(dit, (byRank = new Map()));
  let specs = byRank.get(rank);
  if (!specs) byRank.set(rank, (specs = Object.freeze(buildLoraParams(dit, rank))));
  return specs;
}

const loraCache = new WeakMap<readonly ParamSpec[], Map<number, readonly ParamSpec[]>>();

function buildLoraParams(dit: readonly ParamSpec[], rank: number): ParamSpec[] {
  return loraTargets(dit).flatMap((t) => {
    const [fanIn, fanOut] = t.shape as [number, number];
    return [
      { name: `${t.name}.lora_a`, shape: [fanIn, rank], init: invSqrt(fanIn) },
      { name: `${t.name}.lora_b`, shape: [rank, fanOut], init: ZEROS },
    ];
  });
}

// ---- counts of a plan's roles (vpae plan, the memory estimate) ----

/** Parameters of a DiT of this architecture in this world. */
export function ditParameterCount(arch: Omit<Architecture, "parameters">, world: World): number {
  return parameterCount(ditParams(ditDims(arch, world)));
}

/** Trainable parameters of a fake score: its LoRA, or the whole copy of the teacher. */
export function fakeScoreParameterCount(arch: Omit<Architecture, "parameters">, world: World, fake: FakeScore): number {
  const dit = ditParams(ditDims(arch, world));
  return fake.kind === "copy" ? parameterCount(dit) : parameterCount(loraParams(dit, fake.rank));
}
