// A sweep's own folder, <runs>/sweeps/<sweep name>/:
//
//   members.json        the member table: index, name, changed values, plan hash, plan file, run folder,
//                       and the prefix each member shares. Replaced atomically whenever it changes;
//                       Slurm array tasks read their member from it by SLURM_ARRAY_TASK_ID.
//   plans/<hash>.json   every plan a member of this sweep ever had (old ones stay, for diffs)
//   record.jsonl        append-only history: member tables as they change, and each member's state
//                       transitions with times, exit codes and where they ran. One write per line, so
//                       a killed writer leaves at most a cut last line, which readers skip.
//   logs/<index>-<hash>.log   each local member's plain progress and errors (Slurm: %A_%a.out here)
//   slurm/              the generated submit.sh and job.sh (launcher slurm, --emit-only)
//
// The run folders themselves are ordinary runs under <runs>/, content-addressed by plan hash.
import { appendFileSync, existsSync, mkdirSync, readFileSync, realpathSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Plan } from "../../compiler/plan/schema.js";
import { writeFileAtomic } from "../engine/io/atomic.js";
import { IoError, guard, readJsonFile } from "../engine/io/errors.js";
import { readPlanFile } from "../engine/io/run-dir.js";

export const SWEEPS_DIR = "sweeps";
export const MEMBERS_FILE = "members.json";
export const RECORD_FILE = "record.jsonl";
export const MEMBER_TABLE_VERSION = 1;

/** Where a member starts from when it shares leading phases with another run. */
export interface ShareSpec {
  /** The member of this sweep that trains the shared phases (null: an existing run, `run`). */
  member: number | null;
  /** The source run folder (absolute). */
  run: string;
  /** Leading phases shared, and the global step at which the last of them ends. */
  phases: number;
  step: number;
}

export interface MemberEntry {
  index: number;
  /** `variant=conv_head,seed=1` */
  name: string;
  changes: { path: string; value: unknown }[];
  hash: string;
  /** Relative to the sweep folder. */
  plan: string;
  /** The member's run folder (absolute): an existing run of the same plan, or runs/<experiment>-<hash>. */
  runDir: string;
  share: ShareSpec | null;
}

export interface MemberTable {
  formatVersion: typeof MEMBER_TABLE_VERSION;
  sweep: string;
  /** The .vpae file the sweep comes from (absolute). */
  source: string;
  /** The runs folder (absolute). */
  runsDir: string;
  /** The working folder the sweep was compiled in: plans' relative paths resolve against it. */
  cwd: string;
  updatedAt: string;
  members: MemberEntry[];
}

export type MemberStateName = "queued" | "started" | "finished" | "failed" | "stopped" | "cached" | "requeued";

export type RecordLine =
  | { t: "members"; time: string; members: { index: number; name: string; hash: string }[]; changed: { index: number; name: string; was: string; now: string }[] }
  | {
      t: "state";
      time: string;
      index: number;
      hash: string;
      state: MemberStateName;
      /** Exit code of the member's process (finished, failed, stopped). */
      exit?: number;
      step?: number;
      reason?: string;
      via: "local" | "slurm";
      /** Slurm: `<array job id>_<task id>`. */
      job?: string;
      log?: string;
      /** Started from another run's phase-end checkpoint: that run, the member that trained it (if any), how many phases, the last one's name. */
      from?: { run: string; member: number | null; phases: number; after: string };
      host?: string;
      pid?: number;
    }
  | { t: "submit"; time: string; job: string; indices: number[]; script: string }
  /** A `vpae sweep` process that runs members locally (watchers check whether it is alive). */
  | { t: "session"; time: string; pid: number; host: string; launcher: "local" | "slurm"; jobs: number };

export function sweepDir(runsDir: string, sweep: string): string {
  return resolve(runsDir, SWEEPS_DIR, sweep.replace(/[^A-Za-z0-9._-]/g, "_"));
}

function realish(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

/** The member table, or null where the sweep never ran. */
export function readMemberTable(dir: string): MemberTable | null {
  const path = join(dir, MEMBERS_FILE);
  if (!existsSync(path)) return null;
  const v = readJsonFile(path, "cannot read the member table");
  const t = v as Partial<MemberTable>;
  if (typeof v !== "object" || v === null || t.formatVersion !== MEMBER_TABLE_VERSION || typeof t.sweep !== "string" || !Array.isArray(t.members))
    throw new IoError(path, `not a vpae member table (format version ${MEMBER_TABLE_VERSION})`);
  return t as MemberTable;
}

/**
 * Checks that the sweep folder belongs to this sweep file: a folder made by a sweep of the same name
 * in another file is refused while that file still exists (two sweeps must not share a record).
 */
export function checkOwner(dir: string, sweep: string, source: string): void {
  const table = readMemberTable(dir);
  if (!table) return;
  if (table.sweep !== sweep) throw new IoError(dir, `this sweep folder belongs to sweep '${table.sweep}', not '${sweep}'`, "plan-mismatch");
  if (realish(table.source) !== realish(source) && existsSync(table.source))
    throw new IoError(dir, `this sweep folder belongs to sweep ${sweep} of ${table.source}, not of ${source}; rename one of the sweeps or use another --runs-dir`, "plan-mismatch");
}

/**
 * Writes the plans and the member table; appends a `members` line when the table changed. A stored plan
 * is rewritten when its text differs: the hash leaves out where a plan came from, so a renamed
 * experiment keeps its hash, and the stored plan must carry the new name that the table's run folders
 * and a new run's folder are named after.
 */
export function writeMemberTable(dir: string, table: MemberTable, plans: ReadonlyMap<string, Plan>): { changed: { index: number; name: string; was: string; now: string }[] } {
  const before = readMemberTable(dir);
  for (const [hash, plan] of plans) {
    const file = join(dir, "plans", `${hash}.json`);
    const text = JSON.stringify(plan, null, 2) + "\n";
    if (!existsSync(file) || readFileSync(file, "utf8") !== text) writeFileAtomic(file, text);
  }
  const old = new Map((before?.members ?? []).map((m) => [m.name, m.hash]));
  const changed = table.members.filter((m) => old.has(m.name) && old.get(m.name) !== m.hash).map((m) => ({ index: m.index, name: m.name, was: old.get(m.name)!, now: m.hash }));
  const same = before !== null && before.members.length === table.members.length && before.members.every((m, i) => m.name === table.members[i]!.name && m.hash === table.members[i]!.hash);
  const unchanged = same && JSON.stringify({ ...before, updatedAt: "" }) === JSON.stringify({ ...table, updatedAt: "" });
  if (!unchanged) writeFileAtomic(join(dir, MEMBERS_FILE), JSON.stringify(table, null, 2) + "\n");
  if (!same) appendRecord(dir, { t: "members", time: new Date().toISOString(), members: table.members.map((m) => ({ index: m.index, name: m.name, hash: m.hash })), changed });
  return { changed };
}

/** The plan of a member, from the sweep folder (validated and hash-checked). */
export function readMemberPlan(dir: string, entry: MemberEntry): Plan {
  const path = join(dir, entry.plan);
  const plan = readPlanFile(path, "the member's plan");
  if (plan.hash !== entry.hash) throw new IoError(path, `it is not the plan ${entry.hash.slice(0, 12)} that the member table names`, "plan-mismatch");
  return plan;
}

/** Appends one line to record.jsonl (one write: whole, or cut short by a kill). */
export function appendRecord(dir: string, line: RecordLine): void {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, RECORD_FILE);
  guard(path, "cannot append to the sweep record", () => appendFileSync(path, JSON.stringify(line) + "\n"));
}

/** Every complete line of record.jsonl, in order (a cut or unreadable line is skipped). */
export function readRecord(dir: string): RecordLine[] {
  const path = join(dir, RECORD_FILE);
  if (!existsSync(path)) return [];
  const out: RecordLine[] = [];
  for (const line of guard(path, "cannot read the sweep record", () => readFileSync(path, "utf8")).split("\n")) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as RecordLine);
    } catch {
      // a line cut short by a kill
    }
  }
  return out;
}

/** The last state line of each plan hash. */
export function lastStates(lines: readonly RecordLine[]): Map<string, Extract<RecordLine, { t: "state" }>> {
  const out = new Map<string, Extract<RecordLine, { t: "state" }>>();
  for (const l of lines) if (l.t === "state") out.set(l.hash, l);
  return out;
}
