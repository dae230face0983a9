// The webgpu backend: @tensorflow/tfjs-backend-webgpu on Dawn, Chrome's WebGPU implementation, which
// the `webgpu` npm package ships as a prebuilt Node addon (dist/<platform>/dawn.node). Nothing is
// downloaded at install or run time. Dawn reaches a GPU through Vulkan; on a machine without one it
// can run on Mesa's llvmpipe (a software rasteriser on the CPU) through OpenGL ES, at WebGPU's
// "compatibility" feature level (lavapipe, Mesa's software Vulkan, lacks a feature Dawn needs).
//
// Two facts of tfjs-backend-webgpu under Node shape the runtime: it reads tensors back only
// asynchronously (`dataSync` needs a browser canvas), so the runtime uses `await t.data()`; and its own
// backend factory asks for a full-feature adapter, so this file registers a factory that passes the
// adapter found here.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import * as tf from "@tensorflow/tfjs-core";
import { firstLine } from "./error-text.js";

export interface AdapterReport {
  /** The adapter's device name (e.g. "NVIDIA H100 80GB HBM3", "llvmpipe (LLVM 15.0.6, 256 bits)"). */
  name: string;
  vendor: string;
  architecture: string;
  description: string;
  /** How Dawn reaches it. */
  via: "vulkan" | "opengles";
  featureLevel: "core" | "compatibility";
  /** A CPU implementation (llvmpipe, lavapipe, SwiftShader): usable, but `auto` does not pick it. */
  software: boolean;
  /** The limits that bound tensor sizes and kernels. */
  limits: Record<string, number>;
  features: string[];
}

export type AdapterFinding = { ok: true; report: AdapterReport } | { ok: false; reason: string };

/** The subset of the WebGPU API used here (the `webgpu` package's types are not a dependency of the build). */
interface GpuAdapter {
  readonly info: { vendor: string; architecture: string; device: string; description: string };
  readonly isFallbackAdapter?: boolean;
  readonly features: Set<string>;
  readonly limits: Record<string, number>;
  requestDevice(d: { requiredFeatures?: string[]; requiredLimits?: Record<string, number> }): Promise<unknown>;
}
interface Gpu {
  requestAdapter(o?: { powerPreference?: string; featureLevel?: string }): Promise<GpuAdapter | null>;
}
interface DawnModule {
  create(flags: string[]): Gpu;
  globals: Record<string, unknown>;
}

const LIMITS = ["maxBufferSize", "maxStorageBufferBindingSize", "maxComputeWorkgroupStorageSize", "maxComputeInvocationsPerWorkgroup", "maxComputeWorkgroupSizeX", "maxComputeWorkgroupsPerDimension", "maxStorageBuffersPerShaderStage"] as const;
const SOFTWARE = /llvmpipe|lavapipe|softpipe|swiftshader/i;

/** Whether a Vulkan loader is where the dynamic linker looks (without it Dawn prints a warning and finds nothing). */
function vulkanLoaderPresent(): boolean {
  const dirs = [...(process.env["LD_LIBRARY_PATH"] ?? "").split(":").filter(Boolean), "/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib", "/usr/local/lib"];
  if (dirs.some((d) => existsSync(`${d}/libvulkan.so.1`))) return true;
  // elsewhere (e.g. /usr/local/nvidia/lib64 in NVIDIA's containers) the dynamic linker's cache knows it
  for (const ldconfig of ["ldconfig", "/sbin/ldconfig"]) {
    try {
      return /\blibvulkan\.so\.1\b/.test(execFileSync(ldconfig, ["-p"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], timeout: 5000 }));
    } catch {
      // not on PATH: try the next
    }
  }
  return false;
}

function report(adapter: GpuAdapter, via: AdapterReport["via"], featureLevel: AdapterReport["featureLevel"]): AdapterReport {
  const i = adapter.info;
  const name = i.device || i.description || "unnamed adapter";
  const limits: Record<string, number> = {};
  for (const k of LIMITS) limits[k] = adapter.limits[k] ?? 0;
  return {
    name,
    vendor: i.vendor,
    architecture: i.architecture,
    description: i.description,
    via,
    featureLevel,
    software: Boolean(adapter.isFallbackAdapter) || SOFTWARE.test(`${i.device} ${i.description}`),
    limits,
    features: [...adapter.features].sort(),
  };
}

let dawn: Promise<DawnModule | string> | undefined;
function loadDawn(): Promise<DawnModule | string> {
  dawn ??= (async () => {
    try {
      const spec = "webgpu"; // an optional dependency: resolved at run time only
      return (await import(spec)) as DawnModule;
    } catch (err) {
      const code = (err as { code?: string }).code;
      return code === "ERR_MODULE_NOT_FOUND" ? "not installed (npm package webgpu)" : `the webgpu package does not load: ${firstLine(err)}`;
    }
  })();
  return dawn;
}

let found: { gpu: Gpu; adapter: GpuAdapter; report: AdapterReport } | undefined;
const searched = new Map<boolean, Promise<AdapterFinding>>();

/**
 * The best adapter this machine has: a hardware one through Vulkan, else (with `softwareToo`) llvmpipe
 * through OpenGL ES. Searched once per process and kind of search.
 */
export function findAdapter(softwareToo: boolean): Promise<AdapterFinding> {
  let p = searched.get(softwareToo);
  // Dawn may throw where it finds no driver it can use: that is a reason, not a crash (auto goes on to wasm)
  if (!p) searched.set(softwareToo, (p = search(softwareToo).catch((err: unknown) => ({ ok: false as const, reason: `Dawn failed: ${firstLine(err)}` }))));
  return p;
}

async function search(softwareToo: boolean): Promise<AdapterFinding> {
  const vulkan = vulkanLoaderPresent();
  // without a Vulkan loader there is no hardware adapter: `auto` does not even load Dawn
  if (!vulkan && !softwareToo) return { ok: false, reason: "no GPU adapter: no Vulkan loader (libvulkan.so.1; Debian: libvulkan1)" };
  const m = await loadDawn();
  if (typeof m === "string") return { ok: false, reason: m };
  const reasons: string[] = [];
  if (found && (softwareToo || !found.report.software)) return { ok: true, report: found.report };
  if (vulkan) {
    const gpu = m.create([]);
    const adapter = await gpu.requestAdapter({ powerPreference: "high-performance" });
    if (adapter) {
      const r = report(adapter, "vulkan", "core");
      if (!r.software || softwareToo) {
        found = { gpu, adapter, report: r };
        return { ok: true, report: r };
      }
      reasons.push(`the Vulkan adapter is ${r.name}, a software one`);
    } else reasons.push("Vulkan finds no adapter");
  } else reasons.push("no Vulkan loader (libvulkan.so.1; Debian: libvulkan1)");
  if (!softwareToo) return { ok: false, reason: `no GPU adapter: ${reasons.join("; ")}` };
  // EGL without a display: llvmpipe renders off-screen
  process.env["EGL_PLATFORM"] ??= "surfaceless";
  const gpu = m.create(["backend=opengles"]);
  const adapter = await gpu.requestAdapter({ featureLevel: "compatibility" });
  if (!adapter) return { ok: false, reason: `no adapter: ${reasons.join("; ")}; OpenGL ES finds none either (Debian: libegl1 libegl-mesa0 libgles2 libgl1-mesa-dri)` };
  const r = report(adapter, "opengles", "compatibility");
  found = { gpu, adapter, report: r };
  return { ok: true, report: r };
}

/** One line for `vpae doctor` and the run's header. */
export function describeAdapter(r: AdapterReport): string {
  const who = [r.vendor, r.architecture].filter(Boolean).join(" ");
  return `${r.name}${who ? ` (${who})` : ""} via ${r.via === "vulkan" ? "Vulkan" : "OpenGL ES"}, ${r.featureLevel} feature level${r.software ? ", software (runs on the CPU)" : ""}`;
}

let registered = false;
/** Why the device failed to start, or the first error it raised later (WebGPU reports errors as events, not exceptions). */
let deviceFault: string | undefined;

/** Registers tfjs's `webgpu` backend on the adapter `findAdapter` found (call that first); once per process (an adapter makes one device). */
export async function registerWebgpu(): Promise<void> {
  if (registered) return;
  const m = await loadDawn();
  if (typeof m === "string" || !found) throw new Error("registerWebgpu before an adapter was found");
  const adapter = found.adapter;
  let backendModule: { WebGPUBackend: new (device: unknown, info: unknown) => tf.KernelBackend };
  try {
    const spec = "@tensorflow/tfjs-backend-webgpu"; // an optional dependency: resolved at run time only
    // tfjs-backend-webgpu looks for `navigator.gpu` (and registers its own factory on import when it
    // finds one; ours replaces it) and uses the WebGPU constants as globals, as in a browser
    Object.assign(globalThis, m.globals);
    const nav = (globalThis as unknown as { navigator?: object }).navigator;
    if (nav) Object.defineProperty(nav, "gpu", { value: found.gpu, configurable: true });
    else Object.defineProperty(globalThis, "navigator", { value: { gpu: found.gpu }, configurable: true, writable: true });
    backendModule = (await import(spec)) as typeof backendModule;
  } catch (err) {
    throw new Error(`@tensorflow/tfjs-backend-webgpu does not load: ${firstLine(err)}`);
  }
  if (tf.findBackendFactory("webgpu")) tf.removeBackend("webgpu");
  tf.registerBackend("webgpu", async () => {
    try {
      const limits: Record<string, number> = {};
      for (const k of LIMITS) limits[k] = adapter.limits[k]!;
      const device = (await adapter.requestDevice({ requiredFeatures: adapter.features.has("timestamp-query") ? ["timestamp-query"] : [], requiredLimits: limits })) as GpuDevice;
      // out of memory, a broken limit or a lost device skip the work silently: remember the first one
      // so that the next read-back fails (checkDevice) instead of returning a stale buffer
      device.addEventListener("uncapturederror", (e) => {
        deviceFault ??= `the GPU reported an error: ${firstLine(e.error?.message ?? "unknown")}`;
      });
      void device.lost.then((info) => {
        if (info.reason !== "destroyed") deviceFault ??= `the GPU device was lost: ${firstLine(info.message || info.reason)}`;
      });
      return new backendModule.WebGPUBackend(device, adapter.info);
    } catch (err) {
      // tfjs swallows a factory's failure (a warning at most): keep the reason for the caller
      deviceFault = `the device did not start: ${firstLine(err)}`;
      throw err;
    }
  });
  registered = true;
}

/** The reason the webgpu device failed, if it has (initBackend and checkDevice report it). */
export function webgpuFault(): string | undefined {
  return deviceFault;
}

interface GpuDevice {
  addEventListener(type: "uncapturederror", listener: (e: { error?: { message?: string } }) => void): void;
  readonly lost: Promise<{ reason: string; message: string }>;
}
