// The one place that loads TensorFlow.js and picks a backend. Model and loss code use the tfjs-core API
// only, so they run unchanged on every backend.
//
//   tensorflow-gpu  @tensorflow/tfjs-node-gpu (CUDA), an optional dependency: present only where its
//                   install step could download libtensorflow (not on machines without that access)
//   webgpu          @tensorflow/tfjs-backend-webgpu on Dawn (the `webgpu` package, from npm alone):
//                   a GPU through Vulkan, or Mesa's llvmpipe on the CPU (webgpu.ts); `auto` takes it
//                   only with a hardware adapter
//   tensorflow      @tensorflow/tfjs-node (CPU libtensorflow), likewise optional
//   wasm            @tensorflow/tfjs-backend-wasm: ships in npm; the default everything is tested on
//   cpu             @tensorflow/tfjs-backend-cpu: plain JavaScript, slow; a reference
import * as tf from "@tensorflow/tfjs-core";
import { registerModelGradients } from "./model/gradients.js";
import { firstLine } from "./error-text.js";
import { BACKENDS, type Backend } from "../../compiler/plan/kinds.js";

export { tf };

// tfjs-core ships the kernels' forward code but no gradients: without these, tf.grads fails
// ("gradient function not found"). Registered once, only where no gradient is registered yet
// (tfjs-node's own ones win when it is loaded).
registerModelGradients();

export type BackendPreference = Backend;

export interface BackendProbe {
  name: Exclude<BackendPreference, "auto">;
  usable: boolean;
  /** Why not, or what it runs on. */
  detail: string;
  /** webgpu: the adapter it runs on. */
  adapter?: import("./webgpu.js").AdapterReport;
}

export interface BackendInfo {
  name: Exclude<BackendPreference, "auto">;
  /** The tfjs backend name ("wasm", "cpu", "tensorflow"). */
  tfjsBackend: string;
  detail: string;
  /** Why `auto` chose it (or "requested"). */
  reason: string;
}

async function tryImport(spec: string): Promise<{ ok: true } | { ok: false; error: string }> {
  try {
    await import(spec);
    return { ok: true };
  } catch (err) {
    if ((err as { code?: string }).code === "ERR_MODULE_NOT_FOUND" && String((err as Error).message).includes(spec)) return { ok: false, error: "not installed" };
    const msg = firstLine(err);
    return { ok: false, error: `installed but does not load: ${msg}` };
  }
}

/**
 * The webgpu backend's state: usable with a hardware adapter, or with any adapter when `softwareToo`
 * (asked for by name, or `vpae doctor`, which shows both).
 */
async function probeWebgpu(softwareToo: boolean): Promise<BackendProbe> {
  const { findAdapter, describeAdapter } = await import("./webgpu.js");
  const f = await findAdapter(softwareToo);
  if (!f.ok) return { name: "webgpu", usable: false, detail: f.reason };
  return { name: "webgpu", usable: softwareToo || !f.report.software, detail: describeAdapter(f.report), adapter: f.report };
}

/**
 * Which backends this machine can use, without switching to any of them. `softwareToo`: count a
 * software WebGPU adapter (llvmpipe) as usable, as a request for `webgpu` by name does; `auto` does not.
 */
export async function probeBackends(softwareToo = false): Promise<BackendProbe[]> {
  const out: BackendProbe[] = [];
  const gpu = await tryImport("@tensorflow/tfjs-node-gpu");
  out.push({
    name: "tensorflow-gpu",
    usable: gpu.ok,
    detail: gpu.ok ? "CUDA libtensorflow loaded" : gpu.error,
  });
  const webgpu = await probeWebgpu(softwareToo);
  out.push(webgpu);
  const node = gpu.ok ? { ok: false as const, error: "tensorflow-gpu takes precedence" } : await tryImport("@tensorflow/tfjs-node");
  out.push({ name: "tensorflow", usable: node.ok, detail: node.ok ? "CPU libtensorflow loaded" : node.error });
  const wasm = await tryImport("@tensorflow/tfjs-backend-wasm");
  out.push({ name: "wasm", usable: wasm.ok, detail: wasm.ok ? "WebAssembly (XNNPACK), one thread per process" : wasm.error });
  const cpu = await tryImport("@tensorflow/tfjs-backend-cpu");
  out.push({ name: "cpu", usable: cpu.ok, detail: cpu.ok ? "plain JavaScript kernels (slow; a reference)" : cpu.error });
  return out;
}

/** A backend that was asked for by name and cannot run here (not a bug): the CLI prints it with the hint and exits 1. */
export class BackendError extends Error {
  readonly expected = true;
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

/** What to do about a backend that is not usable, by name. */
const BACKEND_HINTS: Partial<Record<Exclude<BackendPreference, "auto">, string>> = {
  "tensorflow-gpu": "@tensorflow/tfjs-node-gpu is optional: its install step downloads libtensorflow with CUDA, which needs internet access and an NVIDIA driver; see docs/runtime.md. --backend wasm runs everywhere",
  webgpu: "npm ci installs it (the webgpu package); a GPU needs its driver and the Vulkan loader (Debian: libvulkan1), a machine without one runs it on Mesa's llvmpipe (Debian: libegl1 libegl-mesa0 libgles2 libgl1-mesa-dri); see docs/runtime.md",
  tensorflow: "@tensorflow/tfjs-node is optional: its install step downloads libtensorflow, which needs internet access; see docs/runtime.md. --backend wasm runs everywhere",
};

let current: BackendInfo | undefined;

/**
 * Switches tfjs to the preferred backend. `auto` takes the first usable of tensorflow-gpu, webgpu (on
 * a hardware adapter only), tensorflow, wasm, cpu. Throws an Error with a readable message when an explicitly requested backend is missing.
 */
export async function initBackend(preference: BackendPreference): Promise<BackendInfo> {
  if (current && (preference === "auto" || preference === current.name)) return current;
  // tfjs prints advice about tfjs-node when the cpu backend loads under Node; we make that choice ourselves.
  tf.env().set("PROD", true);
  const order: Exclude<BackendPreference, "auto">[] = preference === "auto" ? BACKENDS.filter((b) => b !== "auto") : [preference];
  const probes = await probeBackends(preference === "webgpu");
  for (const name of order) {
    const probe = probes.find((p) => p.name === name)!;
    if (!probe.usable) {
      if (preference !== "auto") throw new BackendError(`backend ${name} is not usable here: ${probe.detail}`, BACKEND_HINTS[name]);
      continue;
    }
    const tfjsBackend = name === "tensorflow-gpu" || name === "tensorflow" ? "tensorflow" : name;
    let why = "";
    let ok = false;
    try {
      if (name === "webgpu") {
        const webgpu = await import("./webgpu.js");
        await webgpu.registerWebgpu();
        deviceFault = webgpu.webgpuFault;
      }
      ok = await tf.setBackend(tfjsBackend);
      why = deviceFault?.() ?? "";
    } catch (err) {
      why = firstLine(err);
    }
    if (!ok) {
      if (preference !== "auto") throw new BackendError(`backend ${name} failed to initialise${why ? `: ${why}` : ""}`, BACKEND_HINTS[name]);
      probe.detail = `failed to initialise${why ? `: ${why}` : ""}`;
      continue;
    }
    await tf.ready();
    const skipped = probes.filter((p) => order.indexOf(p.name) < order.indexOf(name)).map((p) => `${p.name}: ${p.detail}`);
    current = { name, tfjsBackend, detail: probe.detail, reason: preference === "auto" ? (skipped.length ? `the first usable one; skipped ${skipped.join("; ")}` : "the first choice") : "requested" };
    return current;
  }
  throw new BackendError("no tfjs backend is usable (not even cpu)", "npm ci installs the wasm and cpu backends; `vpae doctor` shows what each backend lacks");
}

/** The webgpu device's first fault, once that backend runs (WebGPU reports errors as events). */
let deviceFault: (() => string | undefined) | undefined;

/** A GPU that failed while the run went on: its results are not to be trusted (the CLI prints the one line). */
export class DeviceError extends Error {
  readonly expected = true;
}

/**
 * Throws when the device has reported a fault since it started. On WebGPU an out-of-memory error or a
 * lost device does not throw where it happens: the kernels are skipped and read-backs would return
 * stale buffers, so every read-back of results calls this after it awaits.
 */
export function checkDevice(): void {
  const fault = deviceFault?.();
  if (fault && current?.name === "webgpu") throw new DeviceError(`${fault}; the run stops here (its last checkpoint is intact)`);
}

/** Inputs per AddN kernel: WebGPU binds each input as a storage buffer, and devices guarantee only 8 per shader. */
const ADD_N_INPUTS = 7;

/**
 * The sum of same-shaped tensors, added left to right as one AddN would (bit for bit on wasm and
 * cpu), in AddN calls of at most 7 inputs, each carrying the sum so far: WebGPU's AddN kernel binds
 * every input and fails beyond the device's storage-buffer limit.
 */
export function addInOrder<T extends tf.Tensor>(tensors: readonly T[]): T {
  return tf.tidy(() => {
    let sum = tensors.length <= ADD_N_INPUTS ? tf.addN([...tensors]) : tf.addN(tensors.slice(0, ADD_N_INPUTS) as T[]);
    for (let i = ADD_N_INPUTS; i < tensors.length; i += ADD_N_INPUTS - 1) sum = tf.addN([sum, ...tensors.slice(i, i + ADD_N_INPUTS - 1)]);
    return sum as T;
  });
}
