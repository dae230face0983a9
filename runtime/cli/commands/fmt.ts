// Placeholder while the command is being written in this session; replaced before any commit that ships.
import type { OptionSpec } from "../args.js";
import type { Io } from "../common.js";
import { UsageError } from "../errors.js";

export const fmtSpec: Record<string, OptionSpec> = {};
export const fmtUsage = "vpae fmt";
export const fmtSummary = "(being written)";
export async function runFmt(_argv: string[], _io: Io): Promise<number> {
  throw new UsageError("not available yet", "fmt");
}
