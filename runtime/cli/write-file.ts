// Atomic writes of the compiler commands' outputs (`compile -o`, `fmt --write`): a temporary file in the
// same folder, fsync, rename. A crash never leaves half a file, and a failed write leaves no temporary
// file behind. Folders are not created: a missing one is the user's to make (a typo in -o should not
// silently make a tree of folders).
import { closeSync, fsyncSync, openSync, renameSync, statSync, unlinkSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
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
  const tmp = join(dir, `.${basename(path)}.${process.pid}.tmp`);
  try {
    const fd = openSync(tmp, "w");
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      // never created
    }
    const code = (err as NodeJS.ErrnoException).code ?? "";
    throw new OutputError(`cannot write ${path}: ${REASONS[code] ?? (err instanceof Error ? err.message : String(err))}`);
  }
}
