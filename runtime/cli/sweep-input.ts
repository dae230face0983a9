// What `vpae sweep` and `vpae report` share: compiling a .vpae file's sweeps with the command's
// overrides, choosing among them (--sweep), and planning their members against the runs folder.
import { resolve } from "node:path";
import type { ParsedArgs } from "./args.js";
import { option, options } from "./args.js";
import { compileWithFlags, printDiagnostics, type Io } from "./common.js";
import { UsageError } from "./errors.js";
import { callsPerUpdate } from "../../compiler/estimate.js";
import type { Plan } from "../../compiler/plan/schema.js";
import type { MemberSpec, PlannedMember } from "../sweep/status.js";
import type { MemberTable, RecordLine } from "../sweep/record.js";
import type { RunIndex } from "../sweep/runs.js";

export interface LoadedSweep {
  name: string;
  /** The .vpae file (absolute). */
  source: string;
  dir: string;
  runsDir: string;
  members: MemberSpec[];
  planned: PlannedMember[];
  previous: MemberTable | null;
  record: RecordLine[];
}

/** Network evaluations per step of a phase: the student's own pass plus every teacher, fake-score and discriminator call. */
export function evalsPerStep(plan: Plan, phase: number): number {
  const p = plan.phases[phase]!;
  const c = callsPerUpdate(plan, p);
  return 1 + c.teacher + c.fakeScore + c.discriminator;
}

/** The sweep names --sweep selects (repeatable, or comma-separated); all of the file's when absent. */
function selectSweeps<T extends { name: string }>(all: readonly T[], args: ParsedArgs, file: string, command: string): T[] {
  const wanted = options(args, "sweep").flatMap((s) => s.split(",")).map((s) => s.trim()).filter(Boolean);
  if (all.length === 0) throw new UsageError(`${file} declares no sweep (see \`vpae compile ${file} --list\`)`, command);
  if (wanted.length === 0) return [...all];
  return wanted.map((w) => {
    const s = all.find((x) => x.name === w);
    if (!s) throw new UsageError(`${file} has no sweep '${w}' (it has ${all.map((x) => x.name).join(", ")})`, command);
    return s;
  });
}

/**
 * Compiles FILE and plans the members of the selected sweeps. Diagnostics are printed; undefined
 * when the file has errors. `runs` is the runs folder's index, shared by every sweep of the call.
 */
export async function loadSweeps(file: string, args: ParsedArgs, io: Io, command: string, index: (runsDir: string) => RunIndex): Promise<LoadedSweep[] | undefined> {
  const { result, diagnostics, sources } = await compileWithFlags(file, args);
  printDiagnostics(io, diagnostics, sources);
  if (diagnostics.some((d) => d.severity === "error")) return undefined;
  const chosen = selectSweeps(result.sweeps, args, file, command);
  const runsDir = resolve(option(args, "runs-dir") ?? "runs");
  const { sweepDir, checkOwner, readMemberTable, readRecord } = await import("../sweep/record.js");
  const { planMembers } = await import("../sweep/status.js");
  const runs = index(runsDir);
  return chosen.map((s) => {
    const dir = sweepDir(runsDir, s.name);
    checkOwner(dir, s.name, resolve(file));
    const members: MemberSpec[] = s.members.map((m) => ({ index: m.index, name: m.name, changes: m.changes, plan: m.plan! }));
    const previous = readMemberTable(dir);
    const record = readRecord(dir);
    const planned = planMembers(members, runs, record, runsDir, { evalsPerStep, previous: new Map((previous?.members ?? []).map((m) => [m.name, m.hash])), share: !args.flags.has("no-share") });
    return { name: s.name, source: resolve(file), dir, runsDir, members, planned, previous, record };
  });
}
