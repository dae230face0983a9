// Placeholder while the command is being written in this session; replaced before any commit that ships.
import type { OptionSpec } from "../args.js";
import type { Io } from "../common.js";
import { UsageError } from "../errors.js";

export const planSpec: Record<string, OptionSpec> = {};
export const planUsage = "vpae plan";
export const planSummary = "(being written)";
export async function runPlan(_argv: string[], _io: Io): Promise<number> {
  throw new UsageError("not available yet", "plan");
}
