// metrics.jsonl: appends, a reader that survives a kill mid-write, non-finite values, truncation for resumes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { join } from "node:path";
import { tempDir } from "../helpers.js";
import { IoError } from "../../runtime/engine/io/errors.js";
import { appendMetrics, readMetrics, truncateMetrics, type MetricsRecord } from "../../runtime/engine/io/metrics.js";

function rec(step: number, loss = step / 10): MetricsRecord {
  return { step, phase: "distill", phaseStep: step, time: step * 0.5, losses: { c_sds: loss }, stats: { gradNorm: 1 + step } };
}

test("records append one line each and read back in order", () => {
  const file = join(tempDir({}), "metrics.jsonl");
  assert.deepEqual(readMetrics(file), [], "a missing file has no records");
  for (let s = 1; s <= 3; s++) appendMetrics(file, rec(s));
  const text = readFileSync(file, "utf8");
  assert.equal(text.split("\n").length, 4);
  assert.deepEqual(JSON.parse(text.split("\n")[1]!), rec(2));
  assert.deepEqual(readMetrics(file), [rec(1), rec(2), rec(3)]);
});

test("NaN and infinities survive as strings in the file and numbers in the reader", () => {
  const file = join(tempDir({}), "metrics.jsonl");
  appendMetrics(file, { ...rec(1), losses: { a: NaN, b: Infinity, c: -Infinity, d: 0.25 } });
  assert.match(readFileSync(file, "utf8"), /"a":"NaN","b":"Infinity","c":"-Infinity","d":0.25/);
  const [r] = readMetrics(file);
  assert.ok(Number.isNaN(r!.losses.a));
  assert.equal(r!.losses.b, Infinity);
  assert.equal(r!.losses.c, -Infinity);
});

test("a line cut short by a kill is dropped with a warning; a bad line in the middle is an error", () => {
  const file = join(tempDir({}), "metrics.jsonl");
  appendMetrics(file, rec(1));
  appendMetrics(file, rec(2));
  appendFileSync(file, JSON.stringify(rec(3)).slice(0, 25));
  const seen: string[] = [];
  assert.deepEqual(readMetrics(file, { warn: (m) => seen.push(m) }), [rec(1), rec(2)]);
  assert.match(seen[0]!, /truncated last line/);
  // a complete record whose newline was cut off is kept
  const whole = join(tempDir({}), "m.jsonl");
  writeFileSync(whole, JSON.stringify(rec(1)) + "\n" + JSON.stringify(rec(2)));
  assert.deepEqual(readMetrics(whole), [rec(1), rec(2)]);
  const bad = join(tempDir({}), "bad.jsonl");
  writeFileSync(bad, JSON.stringify(rec(1)) + "\n{oops\n" + JSON.stringify(rec(3)) + "\n");
  assert.throws(() => readMetrics(bad), (e: unknown) => e instanceof IoError && e.message.startsWith(bad) && /line 2 is not valid JSON/.test(e.message));
  const missing = join(tempDir({}), "x.jsonl");
  writeFileSync(missing, JSON.stringify({ step: 1, phase: "p" }) + "\n");
  assert.throws(() => readMetrics(missing), /line 1 lacks step, phase, phaseStep or time/);
});

test("truncation keeps the records up to a step, byte for byte, and removes a torn tail", () => {
  const file = join(tempDir({}), "metrics.jsonl");
  for (let s = 1; s <= 6; s++) appendMetrics(file, rec(s));
  const upTo4 = readFileSync(file, "utf8").split("\n").slice(0, 4).join("\n") + "\n";
  appendFileSync(file, '{"step":7,"pha');
  assert.deepEqual(truncateMetrics(file, 4), { kept: 4, dropped: 2 });
  assert.equal(readFileSync(file, "utf8"), upTo4);
  // appending after truncation gives clean lines again
  appendMetrics(file, rec(5, 9));
  assert.deepEqual(readMetrics(file).map((r) => [r.step, r.losses.c_sds]), [[1, 0.1], [2, 0.2], [3, 0.3], [4, 0.4], [5, 9]]);
  assert.deepEqual(truncateMetrics(file, -1), { kept: 0, dropped: 5 });
  assert.equal(readFileSync(file, "utf8"), "");
});

test("a summary's gzip-compressed log reads like the plain one; the plain file wins when both exist", () => {
  const dir = tempDir({});
  const file = join(dir, "metrics.jsonl");
  const records = [rec(1), rec(2), { ...rec(3), losses: { g: NaN } }];
  for (const r of records) appendMetrics(file, r);
  const plain = readMetrics(file);
  writeFileSync(`${file}.gz`, gzipSync(readFileSync(file)));
  unlinkSync(file);
  assert.deepEqual(readMetrics(file), plain);
  assert.equal(readMetrics(file).length, 3);
  // a stale compressed copy does not shadow a live log
  appendMetrics(file, rec(7));
  assert.deepEqual(readMetrics(file).map((r) => r.step), [7]);
  // a damaged archive is an IoError naming it, not a crash
  writeFileSync(`${file}.gz`, "not gzip");
  unlinkSync(file);
  assert.throws(() => readMetrics(file), (e: unknown) => e instanceof IoError && /metrics\.jsonl\.gz/.test(e.message));
});
