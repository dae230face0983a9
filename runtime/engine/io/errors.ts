import { readFileSync } from "node:fs";

// The one error type of runtime/engine/io: every failure names the file and says what is wrong with it,
// so that a command can print it as is. `kind` lets callers tell the cases apart without parsing text.

export type IoErrorKind =
  | "io" // the operating system refused (permissions, disk full, missing folder, ...)
  | "format" // a file exists but its content is not what vpae wrote (corrupt, truncated, foreign)
  | "argument" // the caller passed something that cannot be written
  | "not-found" // no such run, checkpoint or file
  | "exists" // a new run was asked for where one already exists (use --resume)
  | "plan-mismatch" // the run folder belongs to a different plan
  | "locked"; // another live process is using the run

export class IoError extends Error {
  override readonly name = "IoError";
  /** A problem with the user's files, not a bug: the CLI prints the message and exits 1. */
  readonly expected = true;

  constructor(
    /** The file or folder the problem is about. */
    readonly file: string,
    /** What is wrong, without the file name. */
    readonly problem: string,
    readonly kind: IoErrorKind = "format",
    options?: { cause?: unknown },
  ) {
    super(`${file}: ${problem}`, options);
  }
}

/** The message of an operating-system error without Node's "ENOENT: ..., open '...'" repetition of the path. */
export function describeSystemError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    const syscall = (err as NodeJS.ErrnoException).syscall;
    if (code) {
      const plain: Record<string, string> = {
        ENOENT: "no such file or folder",
        EACCES: "permission denied",
        EPERM: "operation not permitted",
        ENOSPC: "no space left on the device",
        EISDIR: "is a folder, not a file",
        ENOTDIR: "a part of the path is not a folder",
        EEXIST: "already exists",
        EROFS: "the file system is read-only",
        EMFILE: "too many open files",
      };
      return `${plain[code] ?? err.message.split(",")[0]}${syscall ? ` (${syscall}, ${code})` : ` (${code})`}`;
    }
    return err.message;
  }
  return String(err);
}

/** Runs `fn`, turning any non-IoError exception into an IoError about `file`. */
export function guard<T>(file: string, what: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof IoError) throw err;
    const code = (err as NodeJS.ErrnoException | null)?.code;
    throw new IoError(file, `${what}: ${describeSystemError(err)}`, code === "ENOENT" ? "not-found" : "io", { cause: err });
  }
}

/** JSON text parsed; text that is not JSON is an IoError about `label`. */
export function parseJson(text: string, label: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new IoError(label, `not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
}

/** A JSON file, read and parsed; every problem (missing, unreadable, not JSON) is an IoError about it. */
export function readJsonFile(path: string, what: string): unknown {
  return parseJson(guard(path, what, () => readFileSync(path, "utf8")), path);
}
