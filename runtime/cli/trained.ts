// What eval, sample and export share: the options that pick trained weights, and opening them.
import { flag, option, type OptionSpec, type ParsedArgs } from "./args.js";
import { backendOption, type Io } from "./common.js";
import { UsageError, isExpected } from "./errors.js";
import type { Trained } from "../engine/inference.js";

export const trainedOptions: Record<string, OptionSpec> = {
  role: { value: true, valueName: "teacher|student", help: "which model (default: the student when the plan has one)" },
  raw: { help: "use the raw weights instead of their EMA" },
  "runs-dir": { value: true, valueName: "DIR", help: "where runs are looked up by name (default runs)" },
  backend: { value: true, valueName: "B", help: "tensor backend (default auto)" },
};

/** `--clips validation|test|seed=N`, for the commands that score or draw clips. */
export const clipsOption: Record<string, OptionSpec> = {
  clips: { value: true, valueName: "validation|test|seed=N", help: "which clip set (default validation, the set runs evaluate themselves on; test is for reported tables only; docs/metrics.md)" },
};

/** Initialises the backend and opens the weights the command's arguments name; problems are printed. */
export async function openTrainedFromArgs(args: ParsedArgs, io: Io, command: string): Promise<{ trained: Trained; backend: string; clips: import("../engine/world/clip-sets.js").ClipSet } | undefined> {
  if (args.positionals.length !== 1) throw new UsageError(`${command} takes one run (folder, name or hash prefix) or checkpoint file`, command);
  const role = option(args, "role");
  if (role !== undefined && role !== "teacher" && role !== "student") throw new UsageError("--role is teacher or student", command);
  const { parseClipSet, VALIDATION } = await import("../engine/world/clip-sets.js");
  const clipsText = option(args, "clips");
  const clips = clipsText === undefined ? VALIDATION : parseClipSet(clipsText);
  if (!clips) throw new UsageError(`--clips is validation, test or seed=N, not '${clipsText}'`, command);
  const { initBackend } = await import("../engine/tf.js");
  const info = await initBackend(backendOption(args, command) ?? "auto");
  const { openTrained } = await import("../engine/inference.js");
  try {
    const trained = await openTrained(args.positionals[0]!, { runsDir: option(args, "runs-dir") ?? "runs", ...(role ? { role } : {}), raw: flag(args, "raw"), clips });
    return { trained, backend: info.name, clips };
  } catch (err) {
    // what the user can act on (a missing plan or checkpoint, weights of another architecture); a bug goes on to main
    if (!isExpected(err)) throw err;
    io.stderr(`vpae ${command}: ${err.message}\n`);
    return undefined;
  }
}
