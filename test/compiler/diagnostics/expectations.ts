// Reading the diagnostics suite's cases (test/compiler/diagnostics/cases/*.vpae). Each case's header
// lists the diagnostics it must produce, one per line:
//
//   // expect: VPAE2101 14:11                         code, then line:col in the case file
//   // expect: VPAE2002 helpers/cycle-b.vpae:2:8      a position in another file (relative to cases/)
//   // expect: VPAE2004 12:25 hint: did you mean 'x'?  the hint must contain the text after `hint:`
//
// Files under cases/helpers/ are imported by cases and are not cases themselves.
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { fromRoot } from "../../helpers.js";

export const casesDir = fromRoot("test", "compiler", "diagnostics", "cases");

export interface Expectation {
  code: string;
  /** `file:line:col`, the file relative to the cases folder (for the case itself: its own name). */
  where: string;
  hint?: string;
}

const EXPECT = /^\/\/ expect: (VPAE\d{4}) (?:(\S+):)?(\d+):(\d+)(?: hint: (.+))?$/;

/** The expectations in a case's header (the comment lines at its top). Malformed lines throw. */
export function parseExpectations(name: string, text: string): Expectation[] {
  const out: Expectation[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (!line.startsWith("//")) break;
    if (!line.startsWith("// expect:")) continue;
    const m = EXPECT.exec(line.trimEnd());
    if (!m) throw new Error(`${name}: malformed expectation line: ${line}`);
    const e: Expectation = { code: m[1]!, where: `${m[2] ?? name}:${m[3]}:${m[4]}` };
    if (m[5] !== undefined) e.hint = m[5];
    out.push(e);
  }
  return out;
}

/** The case files' names, sorted. */
export function caseNames(): string[] {
  return readdirSync(casesDir)
    .filter((f) => f.endsWith(".vpae"))
    .sort();
}

export function readCase(name: string): { file: string; text: string; expected: Expectation[] } {
  const file = path.join(casesDir, name);
  const text = readFileSync(file, "utf8");
  return { file, text, expected: parseExpectations(name, text) };
}
