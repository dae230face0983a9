// vpae command line: argv -> command -> exit code. 0 ok, 1 diagnostics (the input is wrong),
// 2 usage errors and vpae's own bugs. No input, however broken, prints a JavaScript stack trace.
import { helpFor, type OptionSpec } from "./args.js";
import { processIo, type Io } from "./common.js";
import { EXIT_OK, EXIT_USAGE, UsageError } from "./errors.js";
import { COMPILER_VERSION } from "../../compiler/version.js";

interface Command {
  summary: string;
  /** Loaded on demand, so `vpae check` never loads what `vpae run` needs. */
  load: () => Promise<{ run: (argv: string[], io: Io) => Promise<number>; usage: string; summary: string; spec: Record<string, OptionSpec> }>;
}

const commands: Record<string, Command> = {
  check: {
    summary: "check .vpae files and every sweep member; print problems",
    load: async () => {
      const m = await import("./commands/check.js");
      return { run: m.runCheck, usage: m.checkUsage, summary: m.checkSummary, spec: m.checkSpec };
    },
  },
  compile: {
    summary: "compile to an execution plan (JSON/YAML); --list shows sweep members",
    load: async () => {
      const m = await import("./commands/compile.js");
      return { run: m.runCompile, usage: m.compileUsage, summary: m.compileSummary, spec: m.compileSpec };
    },
  },
  fmt: {
    summary: "print .vpae files in canonical form (--check: only report, --write: rewrite in place)",
    load: async () => {
      const m = await import("./commands/fmt.js");
      return { run: m.runFmt, usage: m.fmtUsage, summary: m.fmtSummary, spec: m.fmtSpec };
    },
  },
  plan: {
    summary: "one-screen summary of what a run would do; --diff A B shows what changed and what re-runs",
    load: async () => {
      const m = await import("./commands/plan.js");
      return { run: m.runPlan, usage: m.planUsage, summary: m.planSummary, spec: m.planSpec };
    },
  },
  run: {
    summary: "execute a plan on real tensors (checkpoints, evaluation, resume)",
    load: async () => {
      const m = await import("./commands/run.js");
      return { run: m.runRun, usage: m.runUsage, summary: m.runSummary, spec: m.runSpec };
    },
  },
  eval: {
    summary: "score a trained run or checkpoint at several NFE, with latency",
    load: async () => {
      const m = await import("./commands/eval.js");
      return { run: m.runEval, usage: m.evalUsage, summary: m.evalSummary, spec: m.evalSpec };
    },
  },
  sample: {
    summary: "write GIF grids of generated clips beside their condition frames",
    load: async () => {
      const m = await import("./commands/sample.js");
      return { run: m.runSample, usage: m.sampleUsage, summary: m.sampleSummary, spec: m.sampleSpec };
    },
  },
  export: {
    summary: "write one role's trained weights as a standalone safetensors file",
    load: async () => {
      const m = await import("./commands/export.js");
      return { run: m.runExport, usage: m.exportUsage, summary: m.exportSummary, spec: m.exportSpec };
    },
  },
  doctor: {
    summary: "which tensor backends work here and which one `auto` picks",
    load: async () => {
      const m = await import("./commands/doctor.js");
      return { run: m.runDoctor, usage: m.doctorUsage, summary: m.doctorSummary, spec: m.doctorSpec };
    },
  },
};

export function registerCommand(name: string, command: Command): void {
  commands[name] = command;
}

function topHelp(): string {
  const lines = [
    `vpae ${COMPILER_VERSION}: declare, compile and run one-step video diffusion distillation experiments`,
    "",
    "usage: vpae <command> [options]     (vpae <command> --help for its options)",
    "",
    "commands:",
    ...Object.entries(commands).map(([n, c]) => `  ${n.padEnd(10)} ${c.summary}`),
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
