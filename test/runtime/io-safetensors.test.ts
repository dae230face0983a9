// safetensors: round trips, the exact layout, validation of broken files, half-precision rounding, and
// byte-level compatibility with an independent reader and writer in Python (standard library only).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { tempDir } from "../helpers.js";
import { IoError } from "../../runtime/engine/io/errors.js";
import {
  decodeSafetensors,
  encodeSafetensors,
  fromBfloat16Bits,
  fromFloat16Bits,
  readSafetensors,
  toBfloat16Bits,
  toFloat16Bits,
  writeSafetensors,
  type WritableTensor,
} from "../../runtime/engine/io/safetensors.js";

function sample(): Map<string, WritableTensor> {
  return new Map<string, WritableTensor>([
    ["student/blocks.0.attn.qkv.w", { dtype: "F32", shape: [2, 3], data: Float32Array.from([1, -2.5, 3.25, 0, -0, 1e-30]) }],
    ["opt/student/step", { dtype: "I32", shape: [], data: Int32Array.from([-7]) }],
    ["rng/noise", { dtype: "U32", shape: [4], data: Uint32Array.from([0, 1, 0xffffffff, 0x80000000]) }],
    ["half", { dtype: "F16", shape: [3], data: Float32Array.from([1, 0.5, -65504]) }],
    ["brain", { dtype: "BF16", shape: [1, 2], data: Float32Array.from([1.5, -3]) }],
    ["empty", { dtype: "F32", shape: [0, 4], data: new Float32Array(0) }],
  ]);
}

/** An IoError whose message names the file and contains `fragment`. */
function ioError(file: string, fragment: string | RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof IoError, `expected an IoError, got ${String(err)}`);
    assert.ok(err.message.startsWith(file), `message should name ${file}: ${err.message}`);
    if (typeof fragment === "string") assert.ok(err.message.includes(fragment), `message should mention "${fragment}": ${err.message}`);
    else assert.match(err.message, fragment);
    return true;
  };
}

/** A well-formed file built by hand from a header object and a data section. */
function handMade(header: unknown, data: Uint8Array = new Uint8Array(0), pad = true): Uint8Array {
  let json = Buffer.from(typeof header === "string" ? header : JSON.stringify(header), "utf8");
  if (pad) json = Buffer.concat([json, Buffer.alloc((8 - (json.length % 8)) % 8, 0x20)]);
  const out = Buffer.alloc(8 + json.length + data.length);
  out.writeBigUInt64LE(BigInt(json.length), 0);
  json.copy(out, 8);
  Buffer.from(data).copy(out, 8 + json.length);
  return out;
}

test("write then read gives back every tensor, dtype, shape and the metadata, in order", () => {
  const dir = tempDir({});
  const file = join(dir, "a.safetensors");
  const meta = { vpae: '{"step":3}', "naïve ✓": "ünïcode", __proto__: "kept" } as Record<string, string>;
  Object.defineProperty(meta, "__proto__", { value: "kept", enumerable: true });
  const sha = writeSafetensors(file, sample(), meta);
  assert.equal(sha, createHash("sha256").update(readFileSync(file)).digest("hex"));
  const back = readSafetensors(file);
  assert.equal(back.sha256, sha);
  assert.deepEqual([...back.tensors.keys()], [...sample().keys()]);
  const t = back.tensors;
  assert.deepEqual(t.get("student/blocks.0.attn.qkv.w"), { dtype: "F32", shape: [2, 3], data: Float32Array.from([1, -2.5, 3.25, 0, -0, 1e-30]) });
  assert.ok(Object.is(t.get("student/blocks.0.attn.qkv.w")!.data[4], -0));
  assert.deepEqual(t.get("opt/student/step"), { dtype: "I32", shape: [], data: Int32Array.from([-7]) });
  assert.deepEqual(t.get("rng/noise"), { dtype: "U32", shape: [4], data: Uint32Array.from([0, 1, 0xffffffff, 0x80000000]) });
  assert.deepEqual(t.get("half"), { dtype: "F16", shape: [3], data: Float32Array.from([1, 0.5, -65504]) });
  assert.deepEqual(t.get("brain"), { dtype: "BF16", shape: [1, 2], data: Float32Array.from([1.5, -3]) });
  assert.deepEqual(t.get("empty"), { dtype: "F32", shape: [0, 4], data: new Float32Array(0) });
  assert.equal(back.metadata["naïve ✓"], "ünïcode");
  assert.equal(back.metadata.vpae, '{"step":3}');
  assert.equal(Object.getOwnPropertyDescriptor(back.metadata, "__proto__")?.value, "kept");
});

test("layout: u64 LE header length, compact JSON padded with spaces to 8 bytes, contiguous little-endian data", () => {
  const bytes = Buffer.from(
    encodeSafetensors(new Map<string, WritableTensor>([["a", { dtype: "F32", shape: [2], data: Float32Array.from([1, 2]) }], ["b", { dtype: "I32", shape: [1], data: Int32Array.from([-1]) }]]), {
      k: "v",
    }),
  );
  const n = Number(bytes.readBigUInt64LE(0));
  const json = '{"__metadata__":{"k":"v"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"I32","shape":[1],"data_offsets":[8,12]}}';
  assert.equal(n % 8, 0);
  assert.equal(n, json.length + ((8 - (json.length % 8)) % 8));
  assert.equal(bytes.subarray(8, 8 + n).toString("utf8"), json.padEnd(n, " "));
  assert.deepEqual([...bytes.subarray(8 + n)], [0, 0, 0x80, 0x3f, 0, 0, 0, 0x40, 0xff, 0xff, 0xff, 0xff]);
  // no metadata: no __metadata__ key at all
  const plain = Buffer.from(encodeSafetensors(new Map([["x", { dtype: "U32", shape: [], data: Uint32Array.from([5]) } as WritableTensor]])));
  assert.ok(!plain.toString("latin1").includes("__metadata__"));
});

test("float16 and bfloat16: round to nearest even, subnormals, overflow, NaN", () => {
  const cases: [number, number][] = [
    [0, 0x0000],
    [-0, 0x8000],
    [1, 0x3c00],
    [-2, 0xc000],
    [65504, 0x7bff],
    [65519, 0x7bff], // below the halfway point to 65536
    [65520, 0x7c00], // halfway: ties to even, which is infinity
    [1e6, 0x7c00],
    [-Infinity, 0xfc00],
    [2 ** -14, 0x0400], // smallest normal
    [2 ** -24, 0x0001], // smallest subnormal
    [2 ** -25, 0x0000], // halfway between 0 and the smallest subnormal: even is 0
    [3 * 2 ** -25, 0x0002], // halfway between 1 and 2 subnormal units: even is 2
    [1 + 2 ** -11, 0x3c00], // halfway between 1 and 1 + 2^-10: even is 1
    [1 + 3 * 2 ** -11, 0x3c02], // halfway: even is 1 + 2^-9
    [2 ** -14 - 2 ** -25, 0x0400], // the largest subnormal rounds up into the normals
  ];
  for (const [v, bits] of cases) assert.equal(toFloat16Bits(v), bits, `f16(${v})`);
  assert.equal(toFloat16Bits(NaN) & 0x7c00, 0x7c00);
  assert.notEqual(toFloat16Bits(NaN) & 0x3ff, 0);
  for (const [v, bits] of cases) if (Number.isFinite(v) && Math.abs(v) <= 65504 && bits !== 0x7c00) assert.equal(fromFloat16Bits(bits), Math.fround(fromFloat16Bits(bits)));
  assert.equal(fromFloat16Bits(0x0001), 2 ** -24);
  assert.equal(fromFloat16Bits(0x7bff), 65504);
  assert.ok(Number.isNaN(fromFloat16Bits(0x7e00)));
  assert.equal(fromFloat16Bits(0xfc00), -Infinity);
  // bfloat16 keeps the top 16 bits of the float32, rounded
  assert.equal(toBfloat16Bits(1), 0x3f80);
  assert.equal(toBfloat16Bits(1 + 2 ** -8), 0x3f80); // halfway, even
  assert.equal(toBfloat16Bits(1 + 3 * 2 ** -8), 0x3f82); // halfway, even
  assert.equal(fromBfloat16Bits(0xc040), -3);
  assert.ok(Number.isNaN(fromBfloat16Bits(toBfloat16Bits(NaN))));
});

test("the writer refuses data it cannot write faithfully", () => {
  const bad: [string, WritableTensor, string][] = [
    ["x", { dtype: "F32", shape: [3], data: new Float32Array(2) }, "holds 3 elements but the data has 2"],
    ["x", { dtype: "I32", shape: [2], data: new Float32Array(2) }, "needs a Int32Array"],
    ["x", { dtype: "F64" as "F32", shape: [1], data: new Float32Array(1) }, "cannot be written"],
    ["x", { dtype: "F32", shape: [-1], data: new Float32Array(0) }, "non-negative integers"],
    ["__metadata__", { dtype: "F32", shape: [1], data: new Float32Array(1) }, "cannot name a tensor"],
  ];
  for (const [name, t, msg] of bad) assert.throws(() => encodeSafetensors(new Map([[name, t]]), {}, "f.st"), ioError("f.st", msg));
  assert.throws(() => encodeSafetensors(new Map(), { k: 1 as unknown as string }, "f.st"), ioError("f.st", "must be a string"));
});

test("the reader rejects every kind of broken file with an IoError naming the file and the problem", () => {
  const f32 = (n: number) => new Uint8Array(n * 4);
  const cases: [string, Uint8Array, string | RegExp][] = [
    ["short", new Uint8Array(5), "too short"],
    ["huge header", (() => { const b = Buffer.alloc(16); b.writeBigUInt64LE(2n ** 40n, 0); return b; })(), "exceeds the limit"],
    ["header past end", (() => { const b = Buffer.alloc(16); b.writeBigUInt64LE(64n, 0); return b; })(), "runs past the end"],
    ["empty header", Buffer.alloc(8), "header is empty"],
    ["bad utf8", handMade(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]).toString("latin1")).map((b, i, a) => (i === 9 ? 0xff : i === 10 ? 0xfe : a[i]!)), "UTF-8"],
    ["not json", handMade("{not json}"), "not valid JSON"],
    ["array", handMade("[1,2]"), "does not start with '{'"],
    ["unknown dtype", handMade({ a: { dtype: "F17", shape: [1], data_offsets: [0, 4] } }, f32(1)), "unknown dtype 'F17'"],
    ["no dtype", handMade({ a: { shape: [1], data_offsets: [0, 4] } }, f32(1)), '"dtype" is missing'],
    ["bad shape", handMade({ a: { dtype: "F32", shape: [1.5], data_offsets: [0, 4] } }, f32(1)), '"shape"'],
    ["bad offsets", handMade({ a: { dtype: "F32", shape: [1], data_offsets: [0] } }, f32(1)), '"data_offsets"'],
    ["reversed offsets", handMade({ a: { dtype: "F32", shape: [0], data_offsets: [4, 0] } }, f32(1)), "end before they begin"],
    ["size mismatch", handMade({ a: { dtype: "F32", shape: [2, 2], data_offsets: [0, 12] } }, f32(3)), "needs 16 bytes but data_offsets [0, 12] span 12"],
    ["gap", handMade({ a: { dtype: "F32", shape: [1], data_offsets: [0, 4] }, b: { dtype: "F32", shape: [1], data_offsets: [8, 12] } }, f32(3)), "a gap"],
    ["overlap", handMade({ a: { dtype: "F32", shape: [2], data_offsets: [0, 8] }, b: { dtype: "F32", shape: [1], data_offsets: [4, 8] } }, f32(2)), "overlaps"],
    ["not from 0", handMade({ a: { dtype: "F32", shape: [1], data_offsets: [4, 8] } }, f32(2)), "a gap"],
    ["truncated data", handMade({ a: { dtype: "F32", shape: [4], data_offsets: [0, 16] } }, f32(3)), "the file is truncated"],
    ["trailing bytes", handMade({ a: { dtype: "F32", shape: [1], data_offsets: [0, 4] } }, f32(2)), "unexplained bytes"],
    ["metadata not strings", handMade({ __metadata__: { a: 1 } }), "metadata 'a' is not a string"],
    ["entry not object", handMade({ a: 3 }), "its entry is not an object"],
    ["bool out of range", handMade({ a: { dtype: "BOOL", shape: [1], data_offsets: [0, 1] } }, Uint8Array.from([2])), "not 0 or 1"],
    ["i64 too big", handMade({ a: { dtype: "I64", shape: [1], data_offsets: [0, 8] } }, Uint8Array.from([0, 0, 0, 0, 1, 0, 0, 0])), "does not fit in 32 bits"],
    ["f8", handMade({ a: { dtype: "F8_E4M3", shape: [1], data_offsets: [0, 1] } }, Uint8Array.from([0])), "not supported"],
  ];
  for (const [what, bytes, msg] of cases) {
    assert.throws(() => decodeSafetensors(bytes, `case-${what}.safetensors`), ioError(`case-${what}.safetensors`, msg), what);
  }
  // and through the file system: a missing file is an IoError of kind not-found, not an ENOENT
  const dir = tempDir({});
  assert.throws(() => readSafetensors(join(dir, "nope.safetensors")), (e: unknown) => e instanceof IoError && e.kind === "not-found" && e.message.includes("no such file"));
});

test("the reader accepts other writers' choices: unpadded headers, any tensor order, integer dtypes", () => {
  // tensors listed in the header in the reverse of their data order, and no padding
  const data = Buffer.alloc(4 + 2 + 8 + 1);
  data.writeInt32LE(-5, 0);
  data.writeInt16LE(-300, 4);
  data.writeBigInt64LE(-2n, 6);
  data.writeUInt8(1, 14);
  const bytes = handMade(
    {
      z: { dtype: "BOOL", shape: [1], data_offsets: [14, 15] },
      y: { dtype: "I64", shape: [1], data_offsets: [6, 14] },
      x: { dtype: "I16", shape: [1], data_offsets: [4, 6] },
      w: { dtype: "I32", shape: [1], data_offsets: [0, 4] },
    },
    data,
    false,
  );
  const r = decodeSafetensors(bytes, "other.safetensors");
  assert.deepEqual([...r.tensors.keys()], ["w", "x", "y", "z"]);
  assert.deepEqual([...r.tensors.values()].map((t) => [t.dtype, [...t.data]]), [["I32", [-5]], ["I16", [-300]], ["I64", [-2]], ["BOOL", [1]]]);
});

test("an interrupted write leaves the old file readable and only a dot-named temp file behind", () => {
  const dir = tempDir({});
  const file = join(dir, "w.safetensors");
  writeSafetensors(file, sample(), { v: "1" });
  // what a crash between creating the temp file and renaming it leaves behind
  writeFileSync(join(dir, `.w.safetensors.99999.deadbeef.tmp`), Buffer.from("half a fi"));
  assert.equal(readSafetensors(file).metadata.v, "1");
  // a new write replaces the file in one step and leaves no temp file of its own
  writeSafetensors(file, sample(), { v: "2" });
  assert.equal(readSafetensors(file).metadata.v, "2");
  assert.deepEqual(readdirSync(dir).sort(), [".w.safetensors.99999.deadbeef.tmp", "w.safetensors"]);
});

// ---- Python, standard library only ----

const PY_READ = String.raw`
import json, math, struct, sys
path = sys.argv[1]
with open(path, "rb") as f:
    raw = f.read()
(n,) = struct.unpack("<Q", raw[:8])
header_bytes = raw[8:8 + n]
text = header_bytes.decode("utf-8")
stripped = text.rstrip(" ")
header = json.loads(text)
data = raw[8 + n:]
sizes = {"F32": 4, "I32": 4, "U32": 4, "F16": 2, "BF16": 2}
fmt = {"F32": "f", "I32": "i", "U32": "I", "F16": "e"}
def clean(v):
    if isinstance(v, float) and not math.isfinite(v):
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")
    return v
out = {"n": n, "aligned": (8 + n) % 8 == 0, "padding": len(text) - len(stripped), "compact": stripped == json.dumps(header, separators=(",", ":"), ensure_ascii=False),
       "metadata": header.get("__metadata__"), "tensors": []}
end = 0
for name, info in header.items():
    if name == "__metadata__":
        continue
    b, e = info["data_offsets"]
    assert b == end, ("not contiguous in header order", name, b, end)
    count = 1
    for d in info["shape"]:
        count *= d
    assert e - b == count * sizes[info["dtype"]], ("size", name)
    chunk = data[b:e]
    if info["dtype"] == "BF16":
        values = [struct.unpack("<f", struct.pack("<I", h << 16))[0] for (h,) in struct.iter_unpack("<H", chunk)]
    else:
        values = list(struct.unpack("<%d%s" % (count, fmt[info["dtype"]]), chunk))
    out["tensors"].append({"name": name, "dtype": info["dtype"], "shape": info["shape"], "values": [clean(v) for v in values]})
    end = e
assert end == len(data), ("data length", end, len(data))
print(json.dumps(out))
`;

const PY_WRITE = String.raw`
import json, struct, sys
spec = json.load(open(sys.argv[1], encoding="utf-8"))
fmt = {"F32": "f", "I32": "i", "U32": "I", "F16": "e"}
header = {}
if spec["metadata"]:
    header["__metadata__"] = spec["metadata"]
chunks = []
offset = 0
for t in spec["tensors"]:
    if t["dtype"] == "BF16":
        words = []
        for v in t["values"]:
            (x,) = struct.unpack("<I", struct.pack("<f", v))
            words.append(((x + 0x7FFF + ((x >> 16) & 1)) >> 16) & 0xFFFF)
        chunk = struct.pack("<%dH" % len(words), *words)
    else:
        values = t["values"]
        if t["dtype"] == "F16":
            values = [struct.unpack("<f", struct.pack("<f", v))[0] for v in values]
        chunk = struct.pack("<%d%s" % (len(values), fmt[t["dtype"]]), *values)
    header[t["name"]] = {"dtype": t["dtype"], "shape": t["shape"], "data_offsets": [offset, offset + len(chunk)]}
    chunks.append(chunk)
    offset += len(chunk)
text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
text += b" " * ((8 - len(text) % 8) % 8)
with open(sys.argv[2], "wb") as f:
    f.write(struct.pack("<Q", len(text)) + text + b"".join(chunks))
`;

function python(): string | null {
  const r = spawnSync("python3", ["-c", "import struct, json"], { encoding: "utf8" });
  return r.status === 0 ? "python3" : null;
}

function runPython(script: string, args: string[]): string {
  const dir = tempDir({ "s.py": script });
  const r = spawnSync("python3", [join(dir, "s.py"), ...args], { encoding: "utf8" });
  assert.equal(r.status, 0, `python failed: ${r.stderr}`);
  return r.stdout;
}

test("an independent Python reader (struct + json) reads what vpae writes", (t) => {
  if (!python()) return t.skip("python3 is not installed; the cross-implementation check did not run");
  const dir = tempDir({});
  const file = join(dir, "x.safetensors");
  const tensors = sample();
  tensors.set("specials", { dtype: "F32", shape: [3], data: Float32Array.from([NaN, Infinity, -Infinity]) });
  writeSafetensors(file, tensors, { vpae: "{}", "clé": "välue ✓" });
  const out = JSON.parse(runPython(PY_READ, [file])) as {
    n: number;
    aligned: boolean;
    padding: number;
    compact: boolean;
    metadata: Record<string, string>;
    tensors: { name: string; dtype: string; shape: number[]; values: (number | string)[] }[];
  };
  assert.equal(out.aligned, true);
  assert.ok(out.padding < 8);
  assert.equal(out.compact, true);
  assert.deepEqual(out.metadata, { vpae: "{}", "clé": "välue ✓" });
  const expected = [...tensors].map(([name, t]) => ({
    name,
    dtype: t.dtype,
    shape: [...t.shape],
    values: [...t.data].map((v) => (Number.isNaN(v) ? "nan" : v === Infinity ? "inf" : v === -Infinity ? "-inf" : v)),
  }));
  assert.deepEqual(out.tensors, expected);
});

test("vpae writes the same bytes as an independent Python writer, and reads its files", (t) => {
  if (!python()) return t.skip("python3 is not installed; the cross-implementation check did not run");
  // (no -0 here: JSON, the way the spec reaches Python, has no negative zero; -1e-8 rounds to it instead)
  const f16 = [0, 1, -2.5, 65504, 65519, 2 ** -14, 2 ** -24, 2 ** -25, 3 * 2 ** -25, 1 + 2 ** -11, 1 + 3 * 2 ** -11, 3.14159, 0.1, -1e-8];
  const spec = {
    metadata: { format: "pt", "ключ": "значение" },
    tensors: [
      { name: "a.weight", dtype: "F32", shape: [2, 2], values: [0.1, -0.2, 1e-20, 3e38] },
      { name: "half", dtype: "F16", shape: [f16.length], values: f16 },
      { name: "bf", dtype: "BF16", shape: [3], values: [1 + 2 ** -8, 1 + 3 * 2 ** -8, -123.456] },
      { name: "ids", dtype: "I32", shape: [3], values: [-2147483648, 0, 2147483647] },
      { name: "rng/x", dtype: "U32", shape: [4], values: [0, 1, 4294967295, 123456789] },
      { name: "scalar", dtype: "F32", shape: [], values: [2] },
    ],
  } as const;
  const dir = tempDir({ "spec.json": JSON.stringify(spec) });
  const pyFile = join(dir, "py.safetensors");
  runPython(PY_WRITE, [join(dir, "spec.json"), pyFile]);
  assert.ok(existsSync(pyFile));
  const ours = new Map<string, WritableTensor>(
    spec.tensors.map((s) => [
      s.name,
      { dtype: s.dtype, shape: [...s.shape], data: s.dtype === "I32" ? Int32Array.from(s.values) : s.dtype === "U32" ? Uint32Array.from(s.values) : Float32Array.from(s.values) },
    ]),
  );
  const mine = encodeSafetensors(ours, spec.metadata);
  assert.deepEqual(Buffer.from(mine), readFileSync(pyFile), "byte-identical files");
  const back = readSafetensors(pyFile);
  assert.deepEqual(back.metadata, spec.metadata);
  assert.deepEqual([...back.tensors.get("half")!.data], f16.map((v) => fromFloat16Bits(toFloat16Bits(v))));
  assert.deepEqual([...back.tensors.get("half")!.data].slice(0, 11), [0, 1, -2.5, 65504, 65504, 2 ** -14, 2 ** -24, 0, 2 * 2 ** -24, 1, 1 + 2 ** -9]);
  assert.ok(Object.is(back.tensors.get("half")!.data[f16.length - 1], -0));
  assert.deepEqual([...back.tensors.get("bf")!.data].slice(0, 2), [1, 1 + 2 ** -6]); // both halfway cases go to the even neighbour
  assert.deepEqual([...back.tensors.get("ids")!.data], [-2147483648, 0, 2147483647]);
  assert.deepEqual([...back.tensors.get("rng/x")!.data], [0, 1, 4294967295, 123456789]);
  assert.deepEqual(back.tensors.get("scalar"), { dtype: "F32", shape: [], data: Float32Array.from([2]) });
});
