// One line of an error for a message or a reason (the rest stays in --debug output).

/** The first line of an error's message (or of its string form), trimmed. */
export function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split("\n")[0]!.trim();
}
