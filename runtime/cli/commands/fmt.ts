// vpae fmt <files...>: print .vpae files in canonical form (compiler/format.ts). One file without flags
// prints the formatted text; --check only reports files that are not canonical; --write rewrites them.
// A file with syntax errors is reported like `vpae check` reports it and is never written. `-` reads
// the text from standard input (named <stdin> in messages) and prints it formatted.
import { readFileSync } from "node:fs";
import { flag, parseArgs, type OptionSpec } from "../args.js";
import { printDiagnostics, type Io } from "../common.js";
import { EXIT_DIAGNOSTICS, EXIT_OK, UsageError } from "../errors.js";
import { writeFileAtomic } from "../write-file.js";
import { D, DiagnosticBag, type Diagnostic } from "../../../compiler/diagnostics/diagnostic.js";
import { formatText } from "../../../compiler/format.js";

export const fmtSpec: Record<string, OptionSpec> = {
  check: { help: "print the files that are not in canonical form and exit 1 if there are any; change nothing" },
  write: { short: "w", help: "rewrite files that are not in canonical form in place (atomically) and list them" },
};
export const fmtUsage = "vpae fmt <file.vpae|-> | vpae fmt --check <file.vpae...> | vpae fmt --write <file.vpae...>";
export const fmtSummary =
  "Print .vpae files in canonical form: two-space indentation, one entry per line, comments kept. Without flags, prints the one file given.";

interface Outcome {
  file: string;
  source?: string;
  formatted?: string;
  diagnostics: Diagnostic[];
}

/** Standard input's name in messages. */
const STDIN = "<stdin>";

function formatFile(file: string): Outcome {
  let source: string;
  try {
    source = readFileSync(file === STDIN ? 0 : file, "utf8");
  } catch {
    const bag = new DiagnosticBag();
    bag.report(D.fileNotFound, [`'${file}'`]);
    return { file, diagnostics: bag.items };
  }
  const result = formatText(file, source);
  const outcome: Outcome = { file, source, diagnostics: result.diagnostics };
  if (result.text !== undefined) outcome.formatted = result.text;
  return outcome;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

export async function runFmt(argv: string[], io: Io): Promise<number> {
  const args = parseArgs("fmt", argv, fmtSpec);
  const check = flag(args, "check");
  const write = flag(args, "write");
  const files = args.positionals.map((f) => (f === "-" ? STDIN : f));
  if (files.length === 0) throw new UsageError("fmt needs at least one .vpae file (or - for standard input)", "fmt");
  if (files.includes(STDIN) && (write || files.length > 1)) throw new UsageError("- (standard input) is formatted alone and printed; --write needs files", "fmt");
  if (check && write) throw new UsageError("--check and --write exclude each other", "fmt");
  if (!check && !write && files.length > 1) {
    throw new UsageError(`fmt prints one file to stdout; for ${files.length} files use --check or --write`, "fmt");
  }

  let failed = 0;
  const changed: string[] = [];
  for (const file of files) {
    const o = formatFile(file);
    if (o.diagnostics.length > 0) printDiagnostics(io, o.diagnostics, new Map(o.source !== undefined ? [[file, o.source]] : []));
    if (o.formatted === undefined || o.source === undefined) {
      if (o.diagnostics.length === 0) io.stderr(`${file}: syntax errors, not formatted\n`);
      failed++;
      continue;
    }
    if (!check && !write) {
      io.stdout(o.formatted);
      continue;
    }
    if (o.formatted === o.source) continue;
    changed.push(file);
    if (write) writeFileAtomic(file, o.formatted, "--write");
    io.stdout(`${file}\n`);
  }

  if (check && changed.length > 0) {
    io.stderr(`${plural(changed.length, "file")} of ${files.length} not in canonical form (vpae fmt --write fixes them)\n`);
  }
  if (write && changed.length > 0) io.stderr(`formatted ${plural(changed.length, "file")}\n`);
  if (failed > 0 && files.length > 1) io.stderr(`${plural(failed, "file")} not formatted because of errors\n`);
  if (failed > 0) return EXIT_DIAGNOSTICS;
  return check && changed.length > 0 ? EXIT_DIAGNOSTICS : EXIT_OK;
}

/** What main.ts loads: the command's entry point, usage line, summary and options. */
export const command = { run: runFmt, usage: fmtUsage, summary: fmtSummary, spec: fmtSpec };
