// Shared test helpers. Tests run from dist/test/** with the repository root as working directory.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import * as path from "node:path";
import { compileFile, type CompileResult } from "../compiler/program.js";
import type { Host } from "../compiler/load.js";
import type { Diagnostic } from "../compiler/diagnostics/diagnostic.js";
import type { SpritesSettings } from "../runtime/engine/world/sprites.js";
import { readSafetensors } from "../runtime/engine/io/safetensors.js";

/** The repository root (dist/test/helpers.js -> ../..). */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

export function fromRoot(...parts: string[]): string {
  return path.join(repoRoot, ...parts);
}

/** Every .vpae file under dir (absolute paths), depth first, names sorted; none when dir is missing. */
export function vpaeFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) out.push(...vpaeFiles(p));
    else if (name.endsWith(".vpae")) out.push(p);
  }
  return out;
}

/** An in-memory file system for compiling snippets: { "main.vpae": "...", "lib/base.vpae": "..." }. */
export function memoryHost(files: Record<string, string>): Host {
  return { readFile: (p) => files[path.normalize(p)] };
}

/** Compiles `text` as main.vpae (plus any other in-memory files). */
export function compileText(text: string, others: Record<string, string> = {}, options: Parameters<typeof compileFile>[1] = {}): CompileResult {
  return compileFile("main.vpae", { host: memoryHost({ "main.vpae": text, ...others }), ...options });
}

export function errors(r: CompileResult): Diagnostic[] {
  return r.diagnostics.filter((d) => d.severity === "error");
}

export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs the real CLI in a child process (bin/vpae.js), like a user would. */
export function runCli(args: string[], options: { cwd?: string; env?: Record<string, string>; input?: string } = {}): CliResult {
  const r = spawnSync(process.execPath, [fromRoot("bin", "vpae.js"), ...args], {
    cwd: options.cwd ?? repoRoot,
    env: { ...process.env, NO_COLOR: "1", ...options.env },
    input: options.input ?? "",
    encoding: "utf8",
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** A fresh temporary folder holding the given files (name -> text). */
export function tempDir(files: Record<string, string>, prefix = "vpae-test-"): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

/** A small two-sprite world with an open speed, for world and metric tests. */
export const SPRITES_WORLD: SpritesSettings = {
  kind: "sprites",
  frames: 6,
  height: 8,
  width: 8,
  channels: 3,
  sprites: { min: 1, max: 2 },
  spriteSize: { min: 2, max: 3 },
  shapes: ["square"],
  palette: 6,
  background: "flat",
  directions: 4,
  speeds: [1, 2],
  secondSprite: "free",
  wrap: true,
  trainClips: 1000,
  evalClips: 32,
};

/** A minimal valid experiment, for tests that tweak one thing. */
export const MINIMAL = `experiment tiny {
  world { frames = 4  size = 8 }
  teacher {
    init = checkpoint("teacher.safetensors")
    arch { width = 32  depth = 2  heads = 2 }
  }
  student { init = teacher }
  phase distill {
    steps = 10
    optimizer student { lr = 1e-4 }
    loss c_sds { }
  }
}
`;

/**
 * Runs `vpae run ARGS` in a child process and SIGKILLs it as soon as `ready()` holds (polled every
 * 5 ms: e.g. a mid-phase checkpoint exists); fails after `timeoutMs`. Resolves once the child is gone.
 */
export async function runAndKillWhen(args: string[], ready: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const { spawn } = await import("node:child_process");
  const child = spawn(process.execPath, [fromRoot("bin", "vpae.js"), ...args], { cwd: fromRoot(), stdio: "ignore" });
  await new Promise<void>((resolve, reject) => {
    const started = Date.now();
    const poll = setInterval(() => {
      if (ready()) {
        clearInterval(poll);
        child.kill("SIGKILL");
        resolve();
      } else if (Date.now() - started > timeoutMs) {
        clearInterval(poll);
        child.kill("SIGKILL");
        reject(new Error(`the run never reached ${what}`));
      }
    }, 5);
  });
  await new Promise((r) => child.on("exit", r));
}

/** Every tensor of a checkpoint file as base64, by name (for bit-for-bit comparisons). */
export function checkpointTensors(file: string): Map<string, string> {
  const c = readSafetensors(file);
  return new Map([...c.tensors].map(([k, t]) => [k, Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).toString("base64")]));
}

/** Each logged step of a run folder's metrics.jsonl as `step {losses}` (times left out). */
export function lossesByStep(runDir: string): string[] {
  return readFileSync(path.join(runDir, "metrics.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => {
      const r = JSON.parse(l) as { step: number; losses: Record<string, number> };
      return `${r.step} ${JSON.stringify(r.losses)}`;
    });
}
