// A small, strict argv parser: every command declares its options; anything else is a usage error.
import { UsageError } from "./errors.js";

export interface OptionSpec {
  /** Takes a value (`--set a=b`, `-o file`). */
  value?: boolean;
  /** May be given several times (values collect in order). */
  repeat?: boolean;
  short?: string;
  help: string;
  valueName?: string;
}

export interface ParsedArgs {
  positionals: string[];
  flags: Map<string, string[]>;
}

export function parseArgs(command: string, argv: readonly string[], spec: Record<string, OptionSpec>): ParsedArgs {
  const positionals: string[] = [];
  const flags = new Map<string, string[]>();
  const byShort = new Map(Object.entries(spec).filter(([, s]) => s.short).map(([k, s]) => [s.short!, k]));
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith("-") || arg === "-") {
      positionals.push(arg);
      continue;
    }
    let name: string;
    let inline: string | undefined;
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
      inline = eq >= 0 ? arg.slice(eq + 1) : undefined;
    } else {
      const long = byShort.get(arg.slice(1));
      if (!long) throw new UsageError(`unknown option ${arg}`, command);
      name = long;
    }
    const s = spec[name];
    if (!s) throw new UsageError(`unknown option --${name}`, command);
    let value = "true";
    if (s.value) {
      if (inline !== undefined) value = inline;
      else {
        const next = argv[i + 1];
        if (next === undefined) throw new UsageError(`--${name} needs a value (${s.valueName ?? "VALUE"})`, command);
        value = next;
        i++;
      }
    } else if (inline !== undefined) throw new UsageError(`--${name} takes no value`, command);
    const list = flags.get(name) ?? [];
    if (list.length > 0 && !s.repeat) throw new UsageError(`--${name} is given twice`, command);
    list.push(value);
    flags.set(name, list);
  }
  return { positionals, flags };
}

export function flag(args: ParsedArgs, name: string): boolean {
  return args.flags.has(name);
}

export function option(args: ParsedArgs, name: string): string | undefined {
  return args.flags.get(name)?.[0];
}

export function options(args: ParsedArgs, name: string): string[] {
  return args.flags.get(name) ?? [];
}

export function helpFor(usage: string, summary: string, spec: Record<string, OptionSpec>): string {
  const lines = [`usage: ${usage}`, "", summary, ""];
  const entries = Object.entries(spec);
  if (entries.length > 0) lines.push("options:");
  for (const [name, s] of entries) {
    const left = `${s.short ? `-${s.short}, ` : "    "}--${name}${s.value ? ` ${s.valueName ?? "VALUE"}` : ""}`;
    lines.push(`  ${left.padEnd(30)} ${s.help}`);
  }
  return lines.join("\n") + "\n";
}
