// vpae doctor: which tensor backends this machine can use, which one `auto` picks and why (for webgpu:
// the adapter, how Dawn reaches it, its feature level and limits), and how to get the CUDA path.
import { flag, parseArgs, type OptionSpec } from "../args.js";
import type { Io } from "../common.js";
import { EXIT_OK } from "../errors.js";

export const doctorSpec: Record<string, OptionSpec> = {
  json: { help: "print the findings as JSON" },
};
export const doctorUsage = "vpae doctor [--json]";
export const doctorSummary = "Report the usable tensor backends (CUDA, WebGPU with its adapter, TensorFlow CPU, WebAssembly, plain JS), the one `--backend auto` picks, and how to enable CUDA.";

const CUDA_HELP = [
  "to use CUDA: on a Linux machine with an NVIDIA driver and CUDA 11.x/cuDNN 8 that can reach the",
  "TensorFlow download servers, run `npm install @tensorflow/tfjs-node-gpu@4.22.0` (its install step",
  "downloads libtensorflow); vpae picks it up automatically (`--backend auto` or `--backend tensorflow-gpu`).",
];

export async function runDoctor(argv: string[], io: Io): Promise<number> {
  const args = parseArgs("doctor", argv, doctorSpec);
  const { probeBackends, initBackend, tf } = await import("../../engine/tf.js");
  // what `auto` may take, and what a request by name would get (a software WebGPU adapter counts there)
  const probes = await probeBackends();
  const byName = (await probeBackends(true)).find((p) => p.name === "webgpu")!;
  const chosen = await initBackend("auto");
  const memory = tf.memory();
  const webgpu = { auto: probes.find((p) => p.name === "webgpu")!, byName };
  if (flag(args, "json")) {
    io.stdout(JSON.stringify({ node: process.version, platform: `${process.platform}-${process.arch}`, backends: probes, webgpu, auto: chosen, tensors: memory.numTensors }, null, 2) + "\n");
    return EXIT_OK;
  }
  io.stdout(`node ${process.version} on ${process.platform}-${process.arch}\n\nbackends:\n`);
  for (const p of probes) {
    const named = p.name === "webgpu" && !p.usable && byName.usable;
    // why npm left a tfjs-node package out
    const why = (p.name === "tensorflow-gpu" || p.name === "tensorflow") && p.detail === "not installed" ? ": its install step downloads libtensorflow, from outside the npm registry (docs/runtime.md)" : "";
    io.stdout(`  ${(p.usable ? "yes" : named ? "by name" : "no").padEnd(7)}  ${p.name.padEnd(15)} ${named ? `${byName.detail}: \`--backend webgpu\` runs on it, \`auto\` does not (${p.detail})` : p.detail + why}\n`);
    const adapter = p.name === "webgpu" ? byName.adapter : undefined;
    if (adapter) {
      io.stdout(`  ${"".padEnd(7)}  ${"".padEnd(15)} adapter ${adapter.description}; limits: ${Object.entries(adapter.limits).map(([k, v]) => `${k} ${v}`).join(", ")}\n`);
    }
  }
  io.stdout(`\nauto picks: ${chosen.name} (${chosen.reason})\n`);
  if (!probes.find((p) => p.name === "tensorflow-gpu")?.usable) io.stdout(`\n${CUDA_HELP.join("\n")}\n`);
  return EXIT_OK;
}

/** What main.ts loads: the command's entry point, usage line, summary and options. */
export const command = { run: runDoctor, usage: doctorUsage, summary: doctorSummary, spec: doctorSpec };
