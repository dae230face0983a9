// `vpae sweep --only ...`: which members to run. Each value is `failed`, `missing` (not finished),
// indices and ranges (`0,3,5-7`) or `axis=value` (`variant=conv_head`, `seed=1`); several values, or
// several --only flags, select the union.
import type { PlannedMember } from "./status.js";

export class SelectionError extends Error {}

function label(v: unknown): string {
  return typeof v === "string" ? v : typeof v === "number" ? String(v) : JSON.stringify(v);
}

export function selectMembers(planned: readonly PlannedMember[], only: readonly string[]): Set<number> {
  if (only.length === 0) return new Set(planned.map((m) => m.spec.index));
  const out = new Set<number>();
  const max = planned.length - 1;
  for (const raw of only.flatMap((o) => o.split(",")).map((s) => s.trim()).filter(Boolean)) {
    if (raw === "failed") planned.filter((m) => m.state.kind === "failed").forEach((m) => out.add(m.spec.index));
    else if (raw === "missing") planned.filter((m) => m.state.kind !== "finished").forEach((m) => out.add(m.spec.index));
    else if (/^\d+(-\d+)?$/.test(raw)) {
      const [a, b = a] = raw.split("-").map(Number) as [number, number?];
      if (a > b! || b! > max) throw new SelectionError(`--only ${raw}: members are numbered 0 to ${max}`);
      for (let i = a; i <= b!; i++) out.add(i);
    } else if (raw.includes("=")) {
      const eq = raw.indexOf("=");
      const axis = raw.slice(0, eq).trim();
      const value = raw.slice(eq + 1).trim();
      const axes = new Set(planned.flatMap((m) => m.spec.changes.map((c) => c.path)));
      if (!axes.has(axis)) throw new SelectionError(`--only ${raw}: the sweep has no axis '${axis}' (axes: ${[...axes].join(", ") || "none"})`);
      const hits = planned.filter((m) => m.spec.changes.some((c) => c.path === axis && (label(c.value) === value || (Number.isFinite(Number(value)) && Number(value) === c.value))));
      if (hits.length === 0) {
        const values = [...new Set(planned.flatMap((m) => m.spec.changes.filter((c) => c.path === axis).map((c) => label(c.value))))];
        throw new SelectionError(`--only ${raw}: no member has ${axis}=${value} (values: ${values.join(", ")})`);
      }
      hits.forEach((m) => out.add(m.spec.index));
    } else throw new SelectionError(`--only takes failed, missing, member indices (0,3,5-7) or axis=value, not '${raw}'`);
  }
  return out;
}
