// The two plan validators the build generates from one schema (scripts/gen-plan-artifacts.js) must
// agree: the compact one answers every `vpae check` and sweep member, ajv's names the problems of a
// plan that fails. Mutated copies of the committed golden plans probe the boundary between them.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import isPlan from "../../compiler/plan/is-plan.generated.js";
import { fromRoot } from "../helpers.js";

const ajv = createRequire(import.meta.url)("../../compiler/plan/validate-plan.generated.cjs") as (value: unknown) => boolean;

const dir = fromRoot("test", "baselines", "reference");
const plans: unknown[] = readdirSync(dir)
  .filter((n) => n.endsWith(".plan.json"))
  .map((n) => JSON.parse(readFileSync(join(dir, n), "utf8")));

// a small deterministic generator (the harness must be reproducible)
let seed = 20261126;
const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)]!;
const strings = ["", "x", "constant", "uniform", "logit_normal", "discrete", "shifted", "cosine", "ema", "teacher", "copy", "fake_score", "conv", "semantic", "sprites", "video_latent", "flow_matching", "vsd", "diffusion", "gan_generator", "str1", "c_sds", "consistency", "regression", "checkpoint", "adam", "huber", "hinge", "auto", "x0", "per_block", "lora", "zero", "\ud800", "__proto__"];
const numbers = [0, -0, 1, -1, 0.5, 1.5, 2, 3, 8, 0.999, 1e-300, NaN, Infinity, -Infinity, 1e300, 0.3];

function randomValue(depth = 0): unknown {
  const r = rnd();
  if (r < 0.35) return pick(numbers);
  if (r < 0.6) return pick(strings);
  if (r < 0.68) return rnd() < 0.5;
  if (r < 0.76) return null;
  if (r < 0.9 && depth < 2) return Array.from({ length: Math.floor(rnd() * 3) }, () => randomValue(depth + 1));
  if (depth < 2) return Object.fromEntries(Array.from({ length: Math.floor(rnd() * 3) }, () => [pick(["kind", "value", "name", "low", "high"]), randomValue(depth + 1)]));
  return 0;
}

function paths(v: unknown, p: string[] = [], out: string[][] = []): string[][] {
  out.push(p);
  if (v && typeof v === "object") for (const k of Object.keys(v)) paths((v as Record<string, unknown>)[k], [...p, k], out);
  return out;
}

function mutate(plan: unknown): void {
  const p = pick(paths(plan).filter((x) => x.length > 0));
  let parent = plan as Record<string, unknown>;
  for (const k of p.slice(0, -1)) parent = parent[k] as Record<string, unknown>;
  const key = p[p.length - 1]!;
  const cur = parent[key];
  const r = rnd();
  if (r < 0.2) {
    if (Array.isArray(parent)) parent.splice(Number(key), 1);
    else delete parent[key];
  } else if (r < 0.3 && !Array.isArray(parent)) parent[pick(["extra", "kind", "minT", "value", "name"])] = randomValue();
  else if (r < 0.4 && Array.isArray(cur)) cur.length = Math.floor(rnd() * (cur.length + 1));
  else if (r < 0.5 && Array.isArray(cur)) cur.push(cur.length ? structuredClone(pick(cur)) : randomValue());
  else if (r < 0.6 && typeof cur === "number") parent[key] = cur + pick([-1, 1, 0.5, -0.5, 1e-9, -1e-9]);
  else if (r < 0.7 && cur && typeof cur === "object" && !Array.isArray(cur) && "kind" in cur) (cur as Record<string, unknown>)["kind"] = pick(strings);
  else parent[key] = randomValue();
}

test("the compact validator and ajv's agree on the golden plans and 4000 mutations of them", () => {
  assert.ok(plans.length >= 8);
  for (const p of plans) {
    assert.equal(isPlan(p), true);
    assert.equal(ajv(p), true);
  }
  let valid = 0;
  for (let i = 0; i < 4000; i++) {
    const p = structuredClone(pick(plans));
    for (let j = 1 + Math.floor(rnd() * 3); j > 0; j--) mutate(p);
    const a = isPlan(p);
    assert.equal(a, ajv(p), `mutation ${i}: compact says ${a}`);
    if (a) valid++;
  }
  // both sides of the boundary are exercised
  assert.ok(valid > 100 && valid < 3900, `${valid} of 4000 mutated plans valid`);
});
