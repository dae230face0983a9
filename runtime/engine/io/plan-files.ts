import { dirname, resolve } from "node:path";
import type { Plan } from "../../../compiler/plan/schema.js";

/**
 * Paths written in a plan (a teacher's `init` checkpoint) are relative to the folder of the `.vpae`
 * file the plan was compiled from. This is that folder, absolute, for a process whose working folder
 * is `cwd` (a sweep worker passes the sweep's own working folder).
 */
export function planDir(plan: Plan, cwd = "."): string {
  return resolve(cwd, dirname(plan.source.file));
}

/** The checkpoint file the plan's teacher starts from, or null when it starts from random weights. */
export function teacherInitFile(plan: Plan, baseDir: string): string | null {
  const init = plan.teacher?.init;
  return init && init.kind === "checkpoint" ? resolve(baseDir, init.path) : null;
}
