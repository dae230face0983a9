// Plan validation with a validator that ajv generated at build time from the schema
// (scripts/gen-plan-artifacts.js -> validate-plan.generated.js beside this file): loading it costs a
// few milliseconds, where compiling the schema with ajv at start-up cost about half a second.
import type { Plan } from "./schema.js";

interface AjvError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}
type GeneratedValidator = ((value: unknown) => boolean) & { errors?: AjvError[] | null };

const generated = new URL("./validate-plan.generated.js", import.meta.url);
const validator = ((await import(generated.href)) as { default: GeneratedValidator }).default;

export interface PlanSchemaError {
  /** JSON pointer of the offending value. */
  pointer: string;
  message: string;
}

export function validatePlan(value: unknown): { ok: true; plan: Plan } | { ok: false; errors: PlanSchemaError[] } {
  if (validator(value)) return { ok: true, plan: value as Plan };
  return { ok: false, errors: simplify(validator.errors ?? []) };
}

/** anyOf failures produce one error per branch; keep one message per pointer, skipping the anyOf summary. */
function simplify(errors: readonly AjvError[]): PlanSchemaError[] {
  const byPointer = new Map<string, string>();
  for (const e of errors) {
    if (e.keyword === "anyOf") continue;
    const extra = e.keyword === "additionalProperties" ? ` '${String(e.params["additionalProperty"])}'` : "";
    if (!byPointer.has(e.instancePath)) byPointer.set(e.instancePath, `${e.message ?? "is invalid"}${extra}`);
  }
  if (byPointer.size === 0 && errors.length > 0) byPointer.set(errors[0]!.instancePath, errors[0]!.message ?? "is invalid");
  return [...byPointer].map(([pointer, message]) => ({ pointer, message }));
}
