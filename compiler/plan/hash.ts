// Content hashes. Canonical JSON (sorted keys, no whitespace) makes a hash independent of key order,
// comments, formatting and where the source files live.
import { createHash } from "node:crypto";
import type { Plan } from "./schema.js";

export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) {
    let s = "[";
    for (let i = 0; i < value.length; i++) s += (i > 0 ? "," : "") + canonicalJson(value[i]);
    return s + "]";
  }
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj).sort();
  let s = "{";
  let first = true;
  for (const k of keys) {
    const v = obj[k];
    if (v === undefined) continue;
    s += (first ? "" : ",") + JSON.stringify(k) + ":" + canonicalJson(v);
    first = false;
  }
  return s + "}";
}

export function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** Fields that describe where a plan came from, not what it runs. They stay out of the hash. */
const PROVENANCE = ["hash", "compilerVersion", "experiment", "source", "sweep", "sourceMap"] as const;

export function planContent(plan: Omit<Plan, "hash"> | Plan): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...plan };
  for (const k of PROVENANCE) delete copy[k];
  return copy;
}

/**
 * Chained phase hashes: phase i depends on the world, the models, the seed and every earlier phase, so a
 * change forces a re-run of the first phase whose hash changes and of all phases after it.
 */
export function phaseChain(plan: Pick<Plan, "world" | "teacher" | "student" | "fakeScores" | "discriminators" | "seed" | "phases">): { context: string; phases: string[] } {
  const context = sha256(canonicalJson({ world: plan.world, teacher: plan.teacher, student: plan.student, fakeScores: plan.fakeScores, discriminators: plan.discriminators, seed: plan.seed }));
  let prev = context;
  const phases = plan.phases.map((p) => {
    const { hash: _h, ...rest } = p;
    prev = sha256(prev + canonicalJson(rest));
    return prev;
  });
  return { context, phases };
}

export function phaseHashes(plan: Parameters<typeof phaseChain>[0]): string[] {
  return phaseChain(plan).phases;
}

const CHAINED = ["world", "teacher", "student", "fakeScores", "discriminators", "seed", "phases"] as const;

/**
 * The plan hash covers the whole content: the chained phase hashes (which cover the world, the models,
 * the seed and every phase) plus the canonical JSON of every other content field (backend, eval,
 * checkpoint, hardware, formatVersion). Provenance fields are excluded.
 */
export function planHash(plan: Omit<Plan, "hash"> | Plan, chain = phaseChain(plan)): string {
  const rest = planContent(plan);
  for (const k of CHAINED) delete rest[k];
  return sha256(`${canonicalJson(rest)}|${chain.context}|${chain.phases.join(",")}`);
}

export function shortHash(h: string): string {
  return h.slice(0, 12);
}
