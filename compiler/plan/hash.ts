// Content hashes. Canonical JSON (sorted keys, no whitespace) makes a hash independent of key order,
// comments, formatting and where the source files live.
import * as crypto from "node:crypto";
import type { Plan } from "./schema.js";
import { lossRefs } from "./losses.js";

/** JSON.stringify of each key with its colon (`"name":`): plans use a small, fixed set of keys. */
const quotedKeys = new Map<string, string>();

export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) {
    // A list of plain values (timesteps, betas, taps, ...) serialises the same natively, and faster.
    if (value.every((v) => v === null || typeof v !== "object")) return JSON.stringify(value);
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
    let quoted = quotedKeys.get(k);
    if (quoted === undefined) quotedKeys.set(k, (quoted = JSON.stringify(k) + ":"));
    s += (first ? "" : ",") + quoted + canonicalJson(v);
    first = false;
  }
  return s + "}";
}

// crypto.hash (Node >= 20.12) hashes in one call, without a Hash object: a sweep hashes thousands of texts.
const oneShot = (crypto as { hash?: (algorithm: string, data: string) => string }).hash;

export function sha256(text: string): string {
  return oneShot ? oneShot("sha256", text) : crypto.createHash("sha256").update(text).digest("hex");
}

/** Fields that describe where a plan came from, not what it runs. They stay out of the hash. */
const PROVENANCE = ["hash", "compilerVersion", "experiment", "source", "sweep", "sourceMap"] as const;

export function planContent(plan: Omit<Plan, "hash"> | Plan): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...plan };
  for (const k of PROVENANCE) delete copy[k];
  return copy;
}

/** Names of the fake scores and discriminators a phase's losses use (directly or as a backbone). */
function rolesOf(plan: Pick<Plan, "discriminators">, phase: Plan["phases"][number]): Set<string> {
  const names = new Set<string>();
  for (const l of phase.losses) for (const r of lossRefs(l)) names.add(r.name);
  for (const d of plan.discriminators) if (names.has(d.name) && d.backbone.kind === "fake_score") names.add(d.backbone.name);
  return names;
}

/**
 * Chained phase hashes. Phase i's hash covers the world, the seed, the teacher and the student, every
 * earlier phase, and the fake scores and discriminators that phase i (or an earlier one) uses: a
 * change forces a re-run of the first phase whose hash changes and of all later phases, and sweep
 * members that differ only in a later phase (a discriminator head, say) share the earlier ones.
 * (The runtime keeps its side of this: a role's initial weights depend only on the seed and the
 * role's own definition.)
 */
export function phaseChain(plan: Pick<Plan, "world" | "teacher" | "student" | "fakeScores" | "discriminators" | "seed" | "phases">): { context: string; phases: string[] } {
  const context = sha256(canonicalJson({ world: plan.world, teacher: plan.teacher, student: plan.student, seed: plan.seed }));
  let prev = context;
  const seen = new Set<string>();
  const phases = plan.phases.map((p) => {
    const { hash: _h, ...rest } = p;
    const fresh = [...rolesOf(plan, p)].filter((n) => !seen.has(n)).sort();
    fresh.forEach((n) => seen.add(n));
    const roles = {
      fakeScores: plan.fakeScores.filter((f) => fresh.includes(f.name)),
      discriminators: plan.discriminators.filter((d) => fresh.includes(d.name)),
    };
    prev = sha256(prev + canonicalJson(rest) + canonicalJson(roles));
    return prev;
  });
  return { context, phases };
}


const CHAINED = ["world", "teacher", "student", "seed", "phases"] as const;

/**
 * The plan hash covers the whole content: the chained phase hashes (world, teacher, student, seed,
 * every phase and the roles they use) plus the canonical JSON of every other content field (all
 * fake scores and discriminators, backend, eval, checkpoint, hardware, formatVersion). Provenance
 * fields (hash, compilerVersion, experiment, source, sweep, sourceMap) are excluded.
 */
export function planHash(plan: Omit<Plan, "hash"> | Plan, chain = phaseChain(plan)): string {
  const rest = planContent(plan);
  for (const k of CHAINED) delete rest[k];
  return sha256(`${canonicalJson(rest)}|${chain.context}|${chain.phases.join(",")}`);
}

