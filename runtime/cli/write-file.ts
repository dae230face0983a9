// The compiler commands' output files (`compile -o`, `fmt --write`): the checks a command line needs
// (a folder given where a file was meant, a missing folder) and then the engine's atomic write
// (runtime/engine/io/atomic.ts). Folders are not created: a missing one is the user's to make (a typo in
// -o should not silently make a tree of folders).
import { statSync } from "node:fs";
import { dirname, join } from "node:path";
import { writeFileAtomic as writeAtomic } from "../engine/io/atomic.js";
import { IoError } from "../engine/io/errors.js";
import { UsageError } from "./errors.js";

/** A file that could not be written, with the reason (not a bug: exit 1). */
export class OutputError extends Error {
  readonly expected = true;
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

const REASONS: Record<string, string> = {
  EACCES: "permission denied",
  EPERM: "not permitted",
  EROFS: "the file system is read-only",
  ENOSPC: "no space left on the device",
  ENOENT: "the folder cannot hold files",
  ENOTDIR: "a part of the path is a file, not a folder",
  EISDIR: "it is a folder",
};

export function writeFileAtomic(path: string, text: string, option = "-o"): void {
  let isDir = false;
  try {
    isDir = statSync(path).isDirectory();
  } catch {
    // a new file
  }
  if (isDir) throw new UsageError(`'${path}' is a folder; ${option} takes a file name (for example ${join(path, "plan.json")})`);
  const dir = dirname(path);
  try {
    if (!statSync(dir).isDirectory()) throw new OutputError(`cannot write ${path}: ${dir} is a file, not a folder`);
  } catch (err) {
    if (err instanceof OutputError) throw err;
    throw new OutputError(`cannot write ${path}: the folder ${dir} does not exist`, "create it first; vpae does not create folders for an output file");
  }
  try {
    writeAtomic(path, text, { createFolder: false });
  } catch (err) {
    const cause = err instanceof IoError ? err.cause : err;
    const code = (cause as NodeJS.ErrnoException | undefined)?.code ?? "";
    throw new OutputError(`cannot write ${path}: ${REASONS[code] ?? (cause instanceof Error ? cause.message : String(cause))}`);
  }
}
