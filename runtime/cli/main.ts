// vpae command line: argv -> command -> exit code. 0 ok, 1 the input is wrong (diagnostics, or an
// expected failure with its reason), 2 usage errors, 3 vpae's own bugs (with a report file). No input,
// however broken, prints a JavaScript stack trace.
import { helpFor, type OptionSpec } from "./args.js";
import { processIo, type Io } from "./common.js";
import { EXIT_BUG, EXIT_DIAGNOSTICS, EXIT_OK, EXIT_USAGE, UsageError, isExpected } from "./errors.js";
import { COMPILER_VERSION } from "../../compiler/version.js";

export interface CommandModule {
  run: (argv: string[], io: Io) => Promise<number>;
  usage: string;
  summary: string;
  spec: Record<string, OptionSpec>;
}

interface Command {
  summary: string;
  /** Loaded on demand, so `vpae check` never loads what `vpae run` needs. */
  load: () => Promise<CommandModule>;
}

const commands: Record<string, Command> = {
  check: { summary: "check .vpae files and every sweep member; print problems", load: async () => (await import("./commands/check.js")).command },
  compile: { summary: "compile to an execution plan (JSON/YAML); --list shows sweep members", load: async () => (await import("./commands/compile.js")).command },
  fmt: { summary: "print .vpae files in canonical form (--check: only report, --write: rewrite in place)", load: async () => (await import("./commands/fmt.js")).command },
  plan: { summary: "one-screen summary of what a run would do; --diff A B shows what changed and what re-runs", load: async () => (await import("./commands/plan.js")).command },
  run: { summary: "execute a plan on real tensors (checkpoints, evaluation, resume)", load: async () => (await import("./commands/run.js")).command },
  watch: { summary: "follow a running or finished run on the live screen (or as plain lines)", load: async () => (await import("./commands/watch.js")).command },
  eval: { summary: "score a trained run or checkpoint at several NFE, with latency", load: async () => (await import("./commands/eval.js")).command },
  sample: { summary: "write GIF grids of generated clips beside their condition frames", load: async () => (await import("./commands/sample.js")).command },
  sweep: { summary: "run every member of a sweep (local worker pool or a Slurm job array); cached, shared, resumable", load: async () => (await import("./commands/sweep.js")).command },
  "sweep-member": { summary: "run one member of a prepared sweep (what sweep's workers and Slurm tasks call)", load: async () => (await import("./commands/sweep-member.js")).command },
  report: { summary: "tables (terminal, Markdown, CSV, JSON) and plots of a sweep's results, seeds aggregated", load: async () => (await import("./commands/report.js")).command },
  export: { summary: "write one role's trained weights as a standalone safetensors file", load: async () => (await import("./commands/export.js")).command },
  doctor: { summary: "which tensor backends work here and which one `auto` picks", load: async () => (await import("./commands/doctor.js")).command },
};

/** A command's module (its usage, options and code), or undefined when there is no such command. */
export async function commandModule(name: string): Promise<CommandModule | undefined> {
  return Object.hasOwn(commands, name) ? commands[name]!.load() : undefined;
}

function topHelp(): string {
  const lines = [
    `vpae ${COMPILER_VERSION}: declare, compile and run one-step video diffusion distillation experiments`,
    "",
    "usage: vpae <command> [options]     (vpae <command> --help for its options)",
    "",
    "commands:",
    ...Object.entries(commands).map(([n, c]) => `  ${n.padEnd(13)} ${c.summary}`),
    "",
    "exit codes: 0 ok, 1 problems in the input, its files or this machine, 2 usage errors, 3 a bug in vpae",
  ];
  return lines.join("\n") + "\n";
}

export async function main(argv: string[], io: Io = processIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    const target = name === "help" ? rest[0] : undefined;
    if (target === undefined) {
      io.stdout(topHelp());
      return EXIT_OK;
    }
    if (!commands[target]) return noSuchCommand(target, io);
    const c = await commands[target]!.load();
    io.stdout(helpFor(c.usage, c.summary, c.spec));
    return EXIT_OK;
  }
  if (name === "--version" || name === "-V" || name === "-v") {
    io.stdout(`${COMPILER_VERSION}\n`);
    return EXIT_OK;
  }
  const command = commands[name];
  if (!command) return noSuchCommand(name, io);
  const c = await command.load();
  if (rest.includes("--help") || rest.includes("-h")) {
    io.stdout(helpFor(c.usage, c.summary, c.spec));
    return EXIT_OK;
  }
  return runCommand(name, c, rest, io);
}

/**
 * Runs one command and turns what it throws into the exit code: a usage error (2, with the usage
 * line), an expected failure (1, with its hint), anything else a bug (3, with a report file).
 */
export async function runCommand(name: string, c: CommandModule, rest: string[], io: Io): Promise<number> {
  try {
    return await c.run(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`vpae ${name}: ${err.message}\nusage: ${c.usage}\n`);
      return EXIT_USAGE;
    }
    if (isExpected(err)) {
      io.stderr(`vpae ${name}: ${err.message}\n${err.hint ? `  hint: ${err.hint}\n` : ""}`);
      return EXIT_DIAGNOSTICS;
    }
    const message = err instanceof Error ? err.message : String(err);
    const report = await bugReport(name, rest, err);
    io.stderr(`vpae ${name}: internal error (this is a bug in vpae, not in your input): ${message}\n${report ? `  the details are in ${report}; please attach it to a bug report\n` : ""}`);
    if (process.env["VPAE_DEBUG"] && err instanceof Error) io.stderr(`${err.stack ?? ""}\n`);
    return EXIT_BUG;
  }
}

async function noSuchCommand(name: string, io: Io): Promise<number> {
  const { didYouMean } = await import("../../compiler/diagnostics/suggest.js");
  const hint = didYouMean(name, Object.keys(commands));
  io.stderr(`vpae: no such command '${name}'${hint ? ` (${hint})` : ""}; \`vpae help\` lists the commands\n`);
  return EXIT_USAGE;
}

/** Writes what a bug report needs (version, command line, stack) to a file; its path, or null if it cannot be written. */
async function bugReport(command: string, args: string[], err: unknown): Promise<string | null> {
  const { writeFileSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const { join } = await import("node:path");
  const file = join(tmpdir(), `vpae-bug-${new Date().toISOString().replace(/[:.]/g, "-")}-${process.pid}.txt`);
  const text = [`vpae ${COMPILER_VERSION}, node ${process.version}, ${process.platform} ${process.arch}`, `command: vpae ${[command, ...args].join(" ")}`, `cwd: ${process.cwd()}`, "", err instanceof Error ? (err.stack ?? err.message) : String(err), ""].join("\n");
  try {
    writeFileSync(file, text);
    return file;
  } catch {
    return null;
  }
}
