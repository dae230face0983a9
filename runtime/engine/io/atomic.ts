// Crash-safe file replacement: write a temp file in the same folder, fsync it, rename it over the
// target, fsync the folder (so that the rename itself survives a power cut). A reader sees the old
// file or the new one, never half of one; an interrupted write leaves only a dot-named temp file
// (`.NAME.PID.RANDOM.tmp`) that no reader looks at.
import { randomBytes } from "node:crypto";
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { guard } from "./errors.js";

function writeAll(fd: number, data: Uint8Array): void {
  let done = 0;
  while (done < data.length) done += writeSync(fd, data, done, data.length - done);
}

/** fsync a folder so that entries created, renamed or removed in it are durable. Best effort where the OS cannot (Windows). */
export function fsyncDir(dir: string): void {
  let fd: number;
  try {
    fd = openSync(dir, "r");
  } catch {
    return;
  }
  try {
    fsyncSync(fd);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== "EINVAL" && code !== "EPERM" && code !== "EISDIR" && code !== "EBADF") throw err;
  } finally {
    closeSync(fd);
  }
}

/**
 * Replaces `path` with `data` atomically (see the top of the file). Failures are IoErrors about `path`
 * (the operating system's error is their cause). The folder is created unless `createFolder` is false.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array, options: { createFolder?: boolean } = {}): void {
  const dir = dirname(path);
  const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
  guard(path, "cannot write", () => {
    if (options.createFolder !== false) mkdirSync(dir, { recursive: true });
    const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
    const fd = openSync(tmp, "wx");
    try {
      writeAll(fd, bytes);
      fsyncSync(fd);
      closeSync(fd);
      renameSync(tmp, path);
    } catch (err) {
      try {
        closeSync(fd);
      } catch {
        // already closed
      }
      try {
        unlinkSync(tmp);
      } catch {
        // nothing left to clean up
      }
      throw err;
    }
    fsyncDir(dir);
  });
}
