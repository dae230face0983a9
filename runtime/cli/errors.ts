// Who is at fault decides the exit code: 1 = the user's input, files or machine (diagnostics, or an
// expected failure such as a missing backend or an unreadable run folder), 2 = the command line itself,
// 3 = a bug in vpae (an internal error, with a report file to attach to the bug report).

/** Wrong command-line usage: printed with the command's usage line, exit 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly command?: string,
  ) {
    super(message);
  }
}

/**
 * An expected failure that is not a bug: its message is for the user, with an optional hint. Errors of
 * the engine that mean the same (IoError, RunError, BackendError) carry `expected = true` instead of
 * importing this module.
 */
export interface ExpectedError extends Error {
  expected: true;
  hint?: string;
}

export function isExpected(err: unknown): err is ExpectedError {
  return err instanceof Error && (err as { expected?: unknown }).expected === true;
}

export const EXIT_OK = 0;
export const EXIT_DIAGNOSTICS = 1;
export const EXIT_USAGE = 2;
export const EXIT_BUG = 3;
