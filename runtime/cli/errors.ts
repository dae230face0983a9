// Who is at fault decides the exit code: 1 = the user's input (diagnostics), 2 = usage or a vpae bug.

/** Wrong command-line usage: printed with the command's usage line, exit 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly command?: string,
  ) {
    super(message);
  }
}

export const EXIT_OK = 0;
export const EXIT_DIAGNOSTICS = 1;
export const EXIT_USAGE = 2;
