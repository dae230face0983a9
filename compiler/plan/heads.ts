// The discriminator head kinds, each defined once: its arguments in the language (`semantic(queries =
// 4, ...)`, with their defaults), its parameters (what the runtime builds and `vpae plan` counts), how
// `vpae plan` describes it and the rule its sizes must follow. The schema (schema.ts builds each kind's
// object from its arguments), the language's functions, lowering and the plan view derive from this table; the forward pass of each kind is the runtime's
// (runtime/engine/model/heads.ts, a Record over the same kinds). docs/contributing.md: adding a head.
import type { Head } from "./schema.js";
import { invSqrt, normal, parameterCount, specList, ditDims, type DitDims, type ParamSpec, type SpecList } from "./networks.js";
import type { Architecture, Discriminator, World } from "./schema.js";

export interface IntArg {
  readonly type: "int";
  readonly default: number;
}
export interface BoolArg {
  readonly type: "bool";
  readonly default: boolean;
  readonly description: string;
}

/** Each head kind's arguments, in the order the language takes them positionally. Integers are sizes (>= 1). */
export const HEAD_ARGS = {
  conv: { width: { type: "int", default: 32 } },
  cross_attention: { queries: { type: "int", default: 4 }, width: { type: "int", default: 32 }, heads: { type: "int", default: 2 } },
  semantic: {
    queries: { type: "int", default: 4 },
    width: { type: "int", default: 32 },
    heads: { type: "int", default: 2 },
    image: { type: "bool", default: true, description: "Condition the queries on the first-frame image embedding." },
    prompt: { type: "bool", default: true, description: "Condition the queries on the prompt embedding." },
  },
} as const satisfies Record<string, Record<string, IntArg | BoolArg>>;

export type HeadKind = keyof typeof HEAD_ARGS;
export const HEAD_KINDS = Object.keys(HEAD_ARGS) as HeadKind[];

/** A head of a kind from its arguments' values (lowering reads them from the call, with defaults filled in). */
export function makeHead(kind: HeadKind, arg: (name: string) => number | boolean): Head {
  const head: Record<string, unknown> = { kind };
  for (const name of Object.keys(HEAD_ARGS[kind])) head[name] = arg(name);
  return head as Head;
}

/** A head of a kind with every argument at its default. */
export function defaultHead(kind: HeadKind): Head {
  const args: Record<string, IntArg | BoolArg> = HEAD_ARGS[kind];
  return makeHead(kind, (name) => args[name]!.default);
}

/** What a head's parameters depend on besides its own arguments. */
export interface HeadDims {
  head: Head;
  /** Width of the backbone's hidden states. */
  width: number;
  /** Number of tapped layers. */
  taps: number;
  /** Pixels x channels of the condition image (the semantic head embeds it). */
  imageSize: number;
  /** Prompt classes; the class `promptClasses` is the null prompt. */
  promptClasses: number;
}

export function headDims(head: Head, taps: number, dit: DitDims): HeadDims {
  return { head, width: dit.arch.width, taps, imageSize: dit.height * dit.width * dit.channels, promptClasses: dit.promptClasses };
}

interface HeadKindSpec<K extends HeadKind> {
  /** The kind's layers after the tap projections, in checkpoint order. */
  layers: (head: Extract<Head, { kind: K }>, d: HeadDims, p: SpecList) => void;
  /** How `vpae plan` names it. */
  describe: (head: Extract<Head, { kind: K }>) => string;
  /** A rule its sizes must follow, as a message when broken. */
  problem?: (head: Extract<Head, { kind: K }>) => string | undefined;
}

/** Queries cross-attend into the tapped tokens, then a residual MLP. */
function attentionLayers(hw: number, p: SpecList): void {
  for (const x of ["q", "k", "v", "o"]) p.lin(`cross.${x}`, hw, hw, invSqrt(hw));
  p.lin("mlp", hw, hw, invSqrt(hw));
}

const divisibleWidth = (h: { width: number; heads: number }) => (h.width % h.heads !== 0 ? `head width ${h.width} is not divisible by its ${h.heads} heads` : undefined);

export const HEADS: { [K in HeadKind]: HeadKindSpec<K> } = {
  conv: {
    layers: (h, _d, p) => p.lin("mlp", h.width, h.width, invSqrt(h.width)),
    describe: (h) => `conv head (width ${h.width})`,
  },
  cross_attention: {
    layers: (h, _d, p) => {
      p.specs.push({ name: "queries", shape: [h.queries, h.width], init: normal(1) });
      attentionLayers(h.width, p);
    },
    describe: (h) => `cross-attention head (${h.queries} queries)`,
    problem: divisibleWidth,
  },
  semantic: {
    layers: (h, d, p) => {
      const hw = h.width;
      p.specs.push({ name: "queries", shape: [h.queries, hw], init: normal(1) });
      if (h.image) p.lin("image", d.imageSize, hw, invSqrt(d.imageSize));
      if (h.prompt) p.specs.push({ name: "prompt", shape: [d.promptClasses + 1, hw], init: normal(1) });
      for (const x of ["q", "k", "v", "o"]) p.lin(`self.${x}`, hw, hw, invSqrt(hw));
      attentionLayers(hw, p);
    },
    describe: (h) => `semantic head (${h.queries} queries${h.image ? ", image" : ""}${h.prompt ? ", prompt" : ""})`,
    problem: divisibleWidth,
  },
};

/** The entry of a head's kind, typed for any head. */
export function headKind(head: Head): HeadKindSpec<HeadKind> {
  return HEADS[head.kind] as unknown as HeadKindSpec<HeadKind>;
}

/** Every parameter of a discriminator head: a projection per tap, the kind's layers, the output logit. */
export function headParams(d: HeadDims): ParamSpec[] {
  const p = specList();
  for (let t = 0; t < d.taps; t++) p.lin(`tap${t}`, d.width, d.head.width, invSqrt(d.width));
  headKind(d.head).layers(d.head as never, d, p);
  p.lin("out", d.head.width, 1, invSqrt(d.head.width));
  return p.specs;
}

/** Parameters of a discriminator's head (its backbone is counted as the role it reads). */
export function headParameterCount(arch: Omit<Architecture, "parameters">, world: World, disc: Pick<Discriminator, "head" | "taps">): number {
  return parameterCount(headParams(headDims(disc.head, disc.taps.length, ditDims(arch, world))));
}
