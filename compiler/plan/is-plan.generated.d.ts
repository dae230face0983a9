// Types of is-plan.generated.js, which the build writes beside validate.js (scripts/gen-plan-artifacts.js).
/** Whether a value is a valid plan (no errors: validate.ts asks ajv's validator for them). */
export default function isPlan(value: unknown): boolean;
