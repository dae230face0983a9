// vpae command line: argv -> command -> exit code. 0 ok, 1 diagnostics (the input is wrong),
// 2 usage errors and vpae's own bugs. No input, however broken, prints a JavaScript stack trace.
import { helpFor, type OptionSpec } from "./args.js";
import { processIo, type Io } from "./common.js";
import { EXIT_OK, EXIT_USAGE, UsageError } from "./errors.js";
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

function topHelp(): string {
  const lines = [
    `vpae ${COMPILER_VERSION}: declare, compile and run one-step video diffusion distillation experiments`,
    "",
    "usage: vpae <command> [options]     (vpae <command> --help for its options)",
    "",
    "commands:",
    ...Object.entries(commands).map(([n, c]) => `  ${n.padEnd(13)} ${c.summary}`),
    "",
    "exit codes: 0 ok, 1 problems in the input (diagnostics), 2 usage errors or a bug in vpae",
  ];
  return lines.join("\n") + "\n";
}

export async function main(argv: string[], io: Io = processIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    const target = name === "help" ? rest[0] : undefined;
    if (target && commands[target]) {
      const c = await commands[target]!.load();
      io.stdout(helpFor(c.usage, c.summary, c.spec));
    } else io.stdout(topHelp());
    return EXIT_OK;
  }
  if (name === "--version" || name === "-v") {
    io.stdout(`${COMPILER_VERSION}\n`);
    return EXIT_OK;
  }
  const command = commands[name];
  if (!command) {
    const { didYouMean } = await import("../../compiler/diagnostics/suggest.js");
    const hint = didYouMean(name, Object.keys(commands));
    io.stderr(`vpae: unknown command '${name}'${hint ? ` (${hint})` : ""}\n\n${topHelp()}`);
    return EXIT_USAGE;
  }
  const c = await command.load();
  if (rest.includes("--help") || rest.includes("-h")) {
    io.stdout(helpFor(c.usage, c.summary, c.spec));
    return EXIT_OK;
  }
  try {
    return await c.run(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`vpae ${name}: ${err.message}\nusage: ${c.usage}\n`);
      return EXIT_USAGE;
    }
    const message = err instanceof Error ? err.message : String(err);
    io.stderr(`vpae ${name}: internal error (this is a bug in vpae, not in your input): ${message}\n`);
    if (process.env["VPAE_DEBUG"] && err instanceof Error) io.stderr(`${err.stack ?? ""}\n`);
    return EXIT_USAGE;
  }
}
