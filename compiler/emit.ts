// Lowering a finished tree into a plan: values evaluated and checked, the plan hashed and validated
// against the schema. The last phase of compiler/program.ts.
import type { Span } from "./syntax/ast.js";
import { D, DiagnosticBag } from "./diagnostics/diagnostic.js";
import { didYouMean } from "./diagnostics/suggest.js";
import type { ExperimentTree } from "./tree.js";
import { Evaluator } from "./eval.js";
import { BlockReader, type LowerContext } from "./reader.js";
import { lowerExperiment, type PlanBody } from "./lower.js";
import { checkMemory, checkPlan, locate } from "./check.js";
import type { Plan, SourceLocation } from "./plan/schema.js";
import { PLAN_FORMAT_VERSION } from "./plan/version.js";
import { phaseChain, planHash } from "./plan/hash.js";
import { validatePlan } from "./plan/validate.js";
import { COMPILER_VERSION } from "./version.js";

export interface CompiledPlan {
  name: string;
  plan: Plan;
  /** Spans of the plan's values (the serialisable form is plan.sourceMap). */
  spans: Map<string, Span>;
}

// ---- lowering a tree into a plan ----

export interface PlanMeta {
  experiment: string;
  sourceFile: string;
  sweep: Plan["sweep"];
  /** Collects the parameters the experiment's expressions read. */
  usedParams?: Set<string>;
  /** No content hashes and no source map (CompileOptions.checkOnly). */
  checkOnly?: boolean;
}

export function planFromTree(tree: ExperimentTree, meta: PlanMeta, bag: DiagnosticBag): CompiledPlan | undefined {
  // This plan's diagnostics are collected in a bag of its own, then handed on. The shared bag drops
  // repeats, and sweep members repeat each other's problems: counting errors there would miss a member's
  // errors and go on to check (and schema-validate) a broken plan.
  const local = new DiagnosticBag();
  try {
    return lowerToPlan(tree, meta, local);
  } finally {
    for (const d of local.items) bag.add(d);
  }
}

function lowerToPlan(tree: ExperimentTree, meta: PlanMeta, bag: DiagnosticBag): CompiledPlan | undefined {
  const before = bag.errorCount;
  for (const p of tree.params.values()) {
    const type = p.decl.type;
    if (type && !["number", "int", "bool", "string"].includes(type.text)) {
      const hint = didYouMean(type.text, ["number", "int", "bool", "string"]);
      bag.report(D.unknownChoice, [`type '${type.text}'`, "number, int, bool or string"], type.span, hint ? { hint } : undefined);
    }
  }
  const ev = new Evaluator(tree, bag);
  const ctx: LowerContext = { bag, ev, map: new Map() };
  try {
    const body = lowerExperiment(ctx, new BlockReader(ctx, tree.root, `experiment ${meta.experiment}`), meta.sourceFile);
    if (bag.errorCount > before) return undefined; // semantic checks on a half-lowered plan would mislead
    checkPlan(body, ctx.map, bag, tree.root.span, meta.experiment);
    checkMemory(body, ctx.map, bag, tree.root.span);
    return finishPlan(tree, meta, bag, before, body, ctx);
  } finally {
    for (const name of ev.usedParams) meta.usedParams?.add(name);
    // Parameters of the experiment body; file-level ones are judged over the whole file (compileFile).
    // Sweep members are exempt: an alternative may remove the only use of a parameter the base uses.
    for (const [name, p] of tree.params) {
      if (meta.sweep === null && !p.fileLevel && !ev.usedParams.has(name) && !p.override) bag.report(D.unusedParam, [`'${name}'`], p.decl.name.span);
    }
  }
}

/**
 * The keys of a plan's source map (JSON pointers) in sorted order. Sweep members mostly have the same
 * pointers in the same order: then the last sorted list is reused. (Sorting fresh pointer strings and
 * making them property names took a tenth of a large sweep's time.) The list is shared: do not change it.
 */
let lastPointers: { inOrder: string[]; sorted: string[] } = { inOrder: [], sorted: [] };
function sortedPointers(map: ReadonlyMap<string, Span>): readonly string[] {
  const last = lastPointers;
  if (map.size === last.inOrder.length) {
    let i = 0;
    let same = true;
    for (const ptr of map.keys()) {
      if (ptr !== last.inOrder[i++]) {
        same = false;
        break;
      }
    }
    if (same) return last.sorted;
  }
  const inOrder = [...map.keys()];
  lastPointers = { inOrder, sorted: [...inOrder].sort() };
  return lastPointers.sorted;
}

function finishPlan(tree: ExperimentTree, meta: PlanMeta, bag: DiagnosticBag, before: number, body: PlanBody, ctx: LowerContext): CompiledPlan | undefined {
  // A plan that breaks a semantic rule is not a plan; validating it against the schema would only
  // repeat the same problem as VPAE3001 (e.g. no phases -> "/phases must not have fewer than 1 items").
  if (bag.errorCount > before) return undefined;
  const hashed = meta.checkOnly !== true;
  const chain = hashed ? phaseChain(body) : undefined;
  if (chain) body.phases.forEach((p, i) => (p.hash = chain.phases[i]!));
  const sourceMap: Record<string, SourceLocation> = {};
  if (hashed) for (const ptr of sortedPointers(ctx.map)) {
    const s = ctx.map.get(ptr)!;
    sourceMap[ptr] = { file: s.file, line: s.line, col: s.col, endLine: s.endLine, endCol: s.endCol };
  }
  const partial: Omit<Plan, "hash"> = {
    formatVersion: PLAN_FORMAT_VERSION,
    compilerVersion: COMPILER_VERSION,
    experiment: meta.experiment,
    source: { file: meta.sourceFile, experiment: meta.experiment },
    sweep: meta.sweep,
    ...body,
    sourceMap,
  };
  const plan = { ...partial, hash: chain ? planHash(partial, chain) : "" } as Plan;
  const valid = validatePlan(plan);
  if (!valid.ok) {
    for (const e of valid.errors) bag.report(D.planSchema, [e.pointer || "/", e.message], locate(ctx.map, e.pointer, tree.root.span));
  }
  if (bag.errorCount > before) return undefined;
  return { name: meta.experiment, plan, spans: ctx.map };
}

