// The safetensors format (https://github.com/huggingface/safetensors), read and written byte for byte:
//
//   [8 bytes]  N, the header length, an unsigned 64-bit little-endian integer
//   [N bytes]  the header: UTF-8 JSON {"__metadata__": {str: str}, NAME: {"dtype": "F32",
//              "shape": [2, 3], "data_offsets": [BEGIN, END]}, ...}, padded with spaces so that the
//              data starts at a multiple of 8 (as the reference writer does)
//   [rest]     the data: every tensor's elements, little-endian, row-major; offsets count from the
//              start of this section, tensors are contiguous and cover it exactly
//
// The writer lays tensors out in the order given (the reference sorts by dtype and name; readers
// accept either). The reader checks everything the reference reader checks and reports problems as
// IoErrors naming the file. No tfjs here: tensors are plain typed arrays.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { writeFileAtomic } from "./atomic.js";
import { IoError, guard } from "./errors.js";

/** Every dtype of the format. */
export const DTYPE_SIZES = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E5M2: 1,
  F8_E4M3: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  F64: 8,
  I64: 8,
  U64: 8,
} as const;
export type Dtype = keyof typeof DTYPE_SIZES;

/** The dtypes vpae writes: floats from a Float32Array (F16 and BF16 rounded to nearest even), integers from their own arrays. */
export type WritableDtype = "F32" | "F16" | "BF16" | "I32" | "U32";
export type TensorData = Float32Array | Int32Array | Uint32Array;

export interface TensorRecord {
  dtype: Dtype;
  shape: number[];
  /**
   * Elements in row-major order. On reading: F32, F16, BF16 and F64 give a Float32Array; I32, I16, I8,
   * U16, U8 and BOOL an Int32Array; U32 a Uint32Array; I64 and U64 an Int32Array or Uint32Array when
   * every value fits (an error otherwise). F8 dtypes are refused.
   */
  data: TensorData;
}

export interface WritableTensor {
  dtype: WritableDtype;
  shape: readonly number[];
  data: TensorData;
}

export interface SafetensorsContent {
  /** In the order of the data section (the order they were written). */
  tensors: Map<string, TensorRecord>;
  metadata: Record<string, string>;
  /** SHA-256 (hex) of the whole file. */
  sha256: string;
  /** SHA-256 (hex) of the data section alone (the bytes after the header). */
  dataSha256: string;
  /** N, the header length (including padding). */
  headerLength: number;
}

/** The reference implementation's limit on the header length. */
export const MAX_HEADER_LENGTH = 100_000_000;
const METADATA_KEY = "__metadata__";

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

// ---- half-precision conversions ----

const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);

/** float32 -> IEEE 754 binary16 bits, rounding to nearest, ties to even. */
export function toFloat16Bits(value: number): number {
  f32Scratch[0] = value;
  const x = u32Scratch[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    // A subnormal half (or zero): the value is m * 2^(e - 14 - 10) with the implicit bit restored.
    if (e < -10) return sign;
    const m = mant | 0x800000;
    const shift = 14 - e;
    let q = m >>> shift;
    const rem = m & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && (q & 1) === 1)) q++;
    return sign | q;
  }
  let h = sign | (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  // A carry out of the mantissa moves into the exponent, up to infinity: exactly right.
  if (rem > 0x1000 || (rem === 0x1000 && (h & 1) === 1)) h++;
  return h;
}

export function fromFloat16Bits(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant !== 0 ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** float32 -> bfloat16 bits (the upper half of the float32), rounding to nearest, ties to even. */
export function toBfloat16Bits(value: number): number {
  f32Scratch[0] = value;
  const x = u32Scratch[0]!;
  if ((x & 0x7f800000) === 0x7f800000 && (x & 0x7fffff) !== 0) return ((x >>> 16) & 0x8000) | 0x7fc0;
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

export function fromBfloat16Bits(b: number): number {
  u32Scratch[0] = (b & 0xffff) << 16;
  return f32Scratch[0]!;
}

// ---- writing ----

function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

function describeArray(data: unknown): string {
  return data && typeof data === "object" ? (data.constructor?.name ?? "object") : typeof data;
}

/** The little-endian bytes of one tensor as stored in the file. */
export function tensorBytes(name: string, t: WritableTensor, label = "safetensors"): Uint8Array {
  const fail = (problem: string): never => {
    throw new IoError(label, `tensor '${name}': ${problem}`, "argument");
  };
  if (!Array.isArray(t.shape) || t.shape.some((d) => !Number.isSafeInteger(d) || d < 0)) fail(`shape ${JSON.stringify(t.shape)} is not a list of non-negative integers`);
  const n = elementCount(t.shape);
  const expected: Record<WritableDtype, string> = { F32: "Float32Array", F16: "Float32Array", BF16: "Float32Array", I32: "Int32Array", U32: "Uint32Array" };
  const want = expected[t.dtype];
  if (want === undefined) fail(`dtype '${String(t.dtype)}' cannot be written (vpae writes ${Object.keys(expected).join(", ")})`);
  const ok = want === "Float32Array" ? t.data instanceof Float32Array : want === "Int32Array" ? t.data instanceof Int32Array : t.data instanceof Uint32Array;
  if (!ok) fail(`dtype ${t.dtype} needs a ${want}, got a ${describeArray(t.data)}`);
  if (t.data.length !== n) fail(`shape [${t.shape.join(", ")}] holds ${n} elements but the data has ${t.data.length}`);
  if (t.dtype === "F16" || t.dtype === "BF16") {
    const out = new Uint8Array(n * 2);
    const view = new DataView(out.buffer);
    const conv = t.dtype === "F16" ? toFloat16Bits : toBfloat16Bits;
    for (let i = 0; i < n; i++) view.setUint16(i * 2, conv(t.data[i]!), true);
    return out;
  }
  if (LITTLE_ENDIAN) return new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  const out = new Uint8Array(n * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < n; i++) {
    if (t.dtype === "F32") view.setFloat32(i * 4, t.data[i]!, true);
    else if (t.dtype === "I32") view.setInt32(i * 4, t.data[i]!, true);
    else view.setUint32(i * 4, t.data[i]!, true);
  }
  return out;
}

/** The whole file as bytes. Tensors keep the map's order; metadata values must be strings. */
export function encodeSafetensors(tensors: ReadonlyMap<string, WritableTensor>, metadata: Readonly<Record<string, string>> = {}, label = "safetensors"): Uint8Array {
  const parts: string[] = [];
  const metaEntries = Object.entries(metadata);
  for (const [k, v] of metaEntries) {
    if (typeof v !== "string") throw new IoError(label, `metadata '${k}' must be a string, got ${typeof v}`, "argument");
  }
  // Keys are serialised one by one (never through an object), so that a name such as "__proto__" is kept.
  if (metaEntries.length > 0) parts.push(`${JSON.stringify(METADATA_KEY)}:{${metaEntries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(",")}}`);
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of tensors) {
    if (name === "" || name === METADATA_KEY) throw new IoError(label, `'${name}' cannot name a tensor`, "argument");
    const bytes = tensorBytes(name, t, label);
    parts.push(`${JSON.stringify(name)}:{"dtype":${JSON.stringify(t.dtype)},"shape":[${t.shape.join(",")}],"data_offsets":[${offset},${offset + bytes.length}]}`);
    chunks.push(bytes);
    offset += bytes.length;
  }
  const json = Buffer.from(`{${parts.join(",")}}`, "utf8");
  const padded = json.length + ((8 - (json.length % 8)) % 8);
  const out = new Uint8Array(8 + padded + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(padded), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + padded);
  let at = 8 + padded;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/**
 * Writes a safetensors file atomically (temp file in the same folder, fsync, rename, fsync of the
 * folder) and returns the SHA-256 (hex) of the file.
 */
export function writeSafetensors(path: string, tensors: ReadonlyMap<string, WritableTensor>, metadata: Readonly<Record<string, string>> = {}): string {
  const bytes = encodeSafetensors(tensors, metadata, path);
  writeFileAtomic(path, bytes);
  return sha256Hex(bytes);
}

// ---- reading ----

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function decodeData(label: string, name: string, dtype: Dtype, bytes: Uint8Array, n: number): TensorData {
  // `bytes` is a fresh copy at offset 0 of its own buffer, so typed views on it are aligned.
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fail = (problem: string): never => {
    throw new IoError(label, `tensor '${name}': ${problem}`);
  };
  switch (dtype) {
    case "F32":
      if (LITTLE_ENDIAN) return new Float32Array(bytes.buffer, bytes.byteOffset, n);
      return Float32Array.from({ length: n }, (_, i) => view.getFloat32(i * 4, true));
    case "I32":
      if (LITTLE_ENDIAN) return new Int32Array(bytes.buffer, bytes.byteOffset, n);
      return Int32Array.from({ length: n }, (_, i) => view.getInt32(i * 4, true));
    case "U32":
      if (LITTLE_ENDIAN) return new Uint32Array(bytes.buffer, bytes.byteOffset, n);
      return Uint32Array.from({ length: n }, (_, i) => view.getUint32(i * 4, true));
    case "F16":
      return Float32Array.from({ length: n }, (_, i) => fromFloat16Bits(view.getUint16(i * 2, true)));
    case "BF16":
      return Float32Array.from({ length: n }, (_, i) => fromBfloat16Bits(view.getUint16(i * 2, true)));
    case "F64":
      return Float32Array.from({ length: n }, (_, i) => view.getFloat64(i * 8, true));
    case "I16":
      return Int32Array.from({ length: n }, (_, i) => view.getInt16(i * 2, true));
    case "U16":
      return Int32Array.from({ length: n }, (_, i) => view.getUint16(i * 2, true));
    case "I8":
      return Int32Array.from({ length: n }, (_, i) => view.getInt8(i));
    case "U8":
      return Int32Array.from({ length: n }, (_, i) => view.getUint8(i));
    case "BOOL":
      return Int32Array.from({ length: n }, (_, i) => {
        const b = view.getUint8(i);
        if (b > 1) fail(`BOOL element ${i} is ${b} (not 0 or 1)`);
        return b;
      });
    case "I64": {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const v = view.getBigInt64(i * 8, true);
        if (v < -2147483648n || v > 2147483647n) fail(`I64 element ${i} (${v}) does not fit in 32 bits`);
        out[i] = Number(v);
      }
      return out;
    }
    case "U64": {
      const out = new Uint32Array(n);
      for (let i = 0; i < n; i++) {
        const v = view.getBigUint64(i * 8, true);
        if (v > 4294967295n) fail(`U64 element ${i} (${v}) does not fit in 32 bits`);
        out[i] = Number(v);
      }
      return out;
    }
    case "F8_E4M3":
    case "F8_E5M2":
      return fail(`dtype ${dtype} is not supported by vpae`);
  }
}

/** Parses and validates a whole file held in memory; `label` (the path) names it in errors. */
export function decodeSafetensors(bytes: Uint8Array, label: string): SafetensorsContent {
  const fail = (problem: string): never => {
    throw new IoError(label, problem);
  };
  if (bytes.length < 8) fail(`not a safetensors file: ${bytes.length} bytes is too short for the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const big = view.getBigUint64(0, true);
  if (big > BigInt(MAX_HEADER_LENGTH)) fail(`not a safetensors file: header length ${big} exceeds the limit of ${MAX_HEADER_LENGTH} bytes`);
  const n = Number(big);
  if (8 + n > bytes.length) fail(`header length ${n} runs past the end of the file (${bytes.length} bytes): the file is truncated or not safetensors`);
  if (n === 0) fail("the header is empty");
  const headerBytes = bytes.subarray(8, 8 + n);
  let text = "";
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(headerBytes);
  } catch {
    fail("the header is not valid UTF-8");
  }
  if (!text.startsWith("{")) fail("the header does not start with '{' (not a safetensors file)");
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (err) {
    fail(`the header is not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  if (!isPlainObject(header)) return fail("the header is not a JSON object");

  const metadata: Record<string, string> = {};
  const entries: { name: string; dtype: Dtype; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, value] of Object.entries(header)) {
    if (name === METADATA_KEY) {
      if (!isPlainObject(value)) fail(`"${METADATA_KEY}" is not an object of strings`);
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (typeof v !== "string") fail(`metadata '${k}' is not a string`);
        Object.defineProperty(metadata, k, { value: v, enumerable: true, writable: true, configurable: true });
      }
      continue;
    }
    if (!isPlainObject(value)) return fail(`tensor '${name}': its entry is not an object`);
    const { dtype, shape, data_offsets: offsets } = value;
    if (typeof dtype !== "string") return fail(`tensor '${name}': "dtype" is missing or not a string`);
    if (!Object.prototype.hasOwnProperty.call(DTYPE_SIZES, dtype)) return fail(`tensor '${name}': unknown dtype '${dtype}'`);
    if (!Array.isArray(shape) || shape.some((d) => !Number.isSafeInteger(d) || (d as number) < 0)) return fail(`tensor '${name}': "shape" is not a list of non-negative integers`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || offsets.some((o) => !Number.isSafeInteger(o) || (o as number) < 0))
      return fail(`tensor '${name}': "data_offsets" is not a pair of non-negative integers`);
    const [begin, end] = offsets as [number, number];
    if (end < begin) fail(`tensor '${name}': data_offsets [${begin}, ${end}] end before they begin`);
    const size = DTYPE_SIZES[dtype as Dtype];
    const count = elementCount(shape as number[]);
    if (!Number.isSafeInteger(count * size) || count * size !== end - begin)
      fail(`tensor '${name}': shape [${shape.join(", ")}] of ${dtype} needs ${count * size} bytes but data_offsets [${begin}, ${end}] span ${end - begin}`);
    entries.push({ name, dtype: dtype as Dtype, shape: shape as number[], begin, end });
  }

  const dataStart = 8 + n;
  const dataLength = bytes.length - dataStart;
  const ordered = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  for (const e of ordered) {
    if (e.begin !== at) {
      if (e.begin > at) fail(`tensor '${e.name}' starts at byte ${e.begin} of the data but the previous tensor ends at ${at}: a gap`);
      fail(`tensor '${e.name}' (bytes ${e.begin}..${e.end}) overlaps the tensor before it (which ends at ${at})`);
    }
    at = e.end;
  }
  if (at > dataLength) fail(`the tensors need ${at} bytes of data but the file holds ${dataLength}: the file is truncated`);
  if (at < dataLength) fail(`the tensors cover ${at} bytes of data but the file holds ${dataLength}: ${dataLength - at} unexplained bytes at the end`);

  const tensors = new Map<string, TensorRecord>();
  for (const e of ordered) {
    // A fresh, aligned copy (Buffer#slice would share the file's buffer at an arbitrary offset).
    const copy = new Uint8Array(e.end - e.begin);
    copy.set(bytes.subarray(dataStart + e.begin, dataStart + e.end));
    tensors.set(e.name, { dtype: e.dtype, shape: [...e.shape], data: decodeData(label, e.name, e.dtype, copy, elementCount(e.shape)) });
  }
  return { tensors, metadata, sha256: sha256Hex(bytes), dataSha256: sha256Hex(bytes.subarray(dataStart)), headerLength: n };
}

/** Reads and validates a safetensors file. Every problem, including a missing file, is an IoError. */
export function readSafetensors(path: string): SafetensorsContent {
  const bytes = guard(path, "cannot read", () => readFileSync(path));
  return decodeSafetensors(bytes, path);
}
