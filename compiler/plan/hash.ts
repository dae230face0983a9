// Content hashes. Canonical JSON (sorted keys, no whitespace) makes a hash independent of key order,
// comments, formatting and where the source files live.
import { createHash } from "node:crypto";
import type { Plan } from "./schema.js";

export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(",")}}`;
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

export function planHash(plan: Omit<Plan, "hash"> | Plan): string {
  return sha256(canonicalJson(planContent(plan)));
}

/**
 * Chained phase hashes: phase i depends on the world, the models, the seed and every earlier phase, so a
 * change forces a re-run of the first phase whose hash changes and of all phases after it.
 */
export function phaseHashes(plan: Pick<Plan, "world" | "teacher" | "student" | "fakeScores" | "discriminators" | "seed" | "phases">): string[] {
  const context = canonicalJson({ world: plan.world, teacher: plan.teacher, student: plan.student, fakeScores: plan.fakeScores, discriminators: plan.discriminators, seed: plan.seed });
  let prev = sha256(context);
  return plan.phases.map((p) => {
    const { hash: _h, ...rest } = p;
    prev = sha256(prev + canonicalJson(rest));
    return prev;
  });
}

export function shortHash(h: string): string {
  return h.slice(0, 12);
}
