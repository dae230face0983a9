// A typed diff of two plans: what changed (added, removed, changed values, with named paths such as
// phases.equilibrium.losses.c_sds.weight.value) and which phases the change forces to re-run, read off
// the chained phase hashes.
import type { Plan } from "./schema.js";
import { planContent } from "./hash.js";

export interface Change {
  op: "+" | "-" | "~";
  path: string;
  before?: unknown;
  after?: unknown;
}

export interface PlanDiff {
  changes: Change[];
  /** Phases of the new plan whose chained hash matches the old plan at the same position. */
  reusable: string[];
  /** Phases of the new plan that must run again (their hash is new). */
  rerun: string[];
  /** Only evaluation / checkpoint / hardware / backend changed: nothing trains differently. */
  trainingUnchanged: boolean;
}

/** Arrays whose elements have a natural name, so that a reordering is not a change of every element. */
const KEYS: Record<string, string> = { phases: "name", losses: "name", optimizers: "role", updates: "role", ema: "role", fakeScores: "name", discriminators: "name" };

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

function walk(a: unknown, b: unknown, path: string, field: string, out: Change[]): void {
  if (Array.isArray(a) && Array.isArray(b) && KEYS[field]) {
    const key = KEYS[field]!;
    const name = (x: unknown) => String((x as Record<string, unknown>)[key]);
    const am = new Map(a.map((x) => [name(x), x]));
    const bm = new Map(b.map((x) => [name(x), x]));
    for (const [k, v] of am) if (!bm.has(k)) out.push({ op: "-", path: `${path}.${k}`, before: v });
    for (const [k, v] of bm) {
      if (!am.has(k)) out.push({ op: "+", path: `${path}.${k}`, after: v });
      else walk(am.get(k), v, `${path}.${k}`, "", out);
    }
    const order = (m: Map<string, unknown>) => [...m.keys()].filter((k) => am.has(k) && bm.has(k));
    if (order(am).join() !== order(bm).join()) out.push({ op: "~", path: `${path} (order)`, before: order(am), after: order(bm) });
    return;
  }
  if (isObject(a) && isObject(b)) {
    if (a["kind"] !== b["kind"]) {
      out.push({ op: "~", path, before: a, after: b });
      return;
    }
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
      if (k === "hash") continue;
      const p = path ? `${path}.${k}` : k;
      if (!(k in b)) out.push({ op: "-", path: p, before: a[k] });
      else if (!(k in a)) out.push({ op: "+", path: p, after: b[k] });
      else walk(a[k], b[k], p, k, out);
    }
    return;
  }
  if (JSON.stringify(a) !== JSON.stringify(b)) out.push({ op: "~", path, before: a, after: b });
}

export function diffPlans(a: Plan, b: Plan): PlanDiff {
  const changes: Change[] = [];
  walk(planContent(a), planContent(b), "", "", changes);
  const reusable: string[] = [];
  const rerun: string[] = [];
  let diverged = false;
  b.phases.forEach((p, i) => {
    if (!diverged && a.phases[i]?.hash === p.hash) reusable.push(p.name);
    else {
      diverged = true;
      rerun.push(p.name);
    }
  });
  const trainingUnchanged = changes.every((c) => /^(eval|checkpoint|hardware|backend)\b/.test(c.path));
  return { changes, reusable, rerun, trainingUnchanged };
}

export function formatValue(v: unknown): string {
  if (v === undefined) return "";
  const s = JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
