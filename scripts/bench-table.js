// Writes the runtime benchmark's tables into the docs from the JSON that `node scripts/bench-runtime.js`
// saved (BENCH_JSON=FILE), so that no figure is typed by hand. A page marks each place with
//   <!-- bench: FILE -->  ...  <!-- /bench -->
// (FILE relative to the page's folder, e.g. bench/cpu-2026-12-08.json in docs/runtime.md); everything
// between the two markers is replaced by the tables of FILE.
// Usage: node scripts/bench-table.js [--check] [PAGE ...]   (default: docs/runtime.md). --check changes
// nothing and exits 1 when a page is not what its files give.
import { readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const check = args.includes("--check");
const pages = args.filter((a) => a !== "--check");
if (pages.length === 0) pages.push(path.join(root, "docs", "runtime.md"));

const ms = (x) => (x >= 100 ? Math.round(x).toLocaleString("en-US") : x.toFixed(1)) + " ms";
const ratio = (a, b) => `${(a / b).toFixed(2)}x`;
const table = (head, rows) => [`| ${head.join(" | ")} |`, `|${head.map(() => "---").join("|")}|`, ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n");

/** The markdown of one benchmark file. */
function benchTables(bench) {
  const out = [];
  out.push(`\`BENCH_STEPS=${bench.steps} node scripts/bench-runtime.js\` on ${bench.machine}, ${bench.date.slice(0, 10)} (load average ${bench.load.toFixed(2)} at the start). WebGPU adapter: ${bench.adapter ?? "none"}.`);

  const widths = [...new Set(bench.train.map((r) => r.width))];
  const backends = [...new Set(bench.train.map((r) => r.backend))];
  const step = (backend, width) => bench.train.find((r) => r.backend === backend && r.width === width);
  if (widths.length) {
    out.push("", `The teacher's training step (batch ${bench.train[0].batch}; data, noise, forward, backward, Adam, EMA): the median of the last ${bench.train[0].steps} steps of each run (the first ones compile kernels).`, "");
    const others = backends.filter((b) => b !== "wasm");
    const head = ["width", "parameters", ...backends, ...(backends.includes("wasm") ? others.map((b) => `wasm / ${b}`) : [])];
    const rows = widths.map((w) => {
      const any = bench.train.find((r) => r.width === w);
      const cells = backends.map((b) => (step(b, w) ? ms(step(b, w).msPerStep) : "failed"));
      const ratios = backends.includes("wasm") ? others.map((b) => (step("wasm", w) && step(b, w) ? ratio(step("wasm", w).msPerStep, step(b, w).msPerStep) : "")) : [];
      return [String(w), `${(any.parameters / 1e6).toFixed(2)}M`, ...cells, ...ratios];
    });
    out.push(table(head, rows));
  }

  if (bench.torch.length) {
    const torch = bench.torch[0].torch;
    out.push("", `The same step in the PyTorch reference (torch ${torch}; scripts/reference/dit_torch.py). Each ratio is the other's time over PyTorch's, from this run.`, "");
    const rows = bench.torch.map((r) => {
      const where = r.device === "cpu" || r.device === undefined ? `CPU, ${r.threads} thread${r.threads > 1 ? "s" : ""}` : `GPU (${r.device})`;
      const wasm = step("wasm", r.width);
      const webgpu = step("webgpu", r.width);
      return [String(r.width), where, ms(r.msPerStep), wasm ? ratio(wasm.msPerStep, r.msPerStep) : "", webgpu ? ratio(webgpu.msPerStep, r.msPerStep) : ""];
    });
    out.push(table(["width", "PyTorch on", "step", "wasm / PyTorch", "webgpu / PyTorch"], rows));
  }

  if (bench.sampling.length) {
    out.push("", `Sampling with the model of width ${widths[0]} (16 clips at once; the latency per video).`, "");
    const nfes = [...new Set(bench.sampling.map((r) => r.nfe))].sort((a, b) => a - b);
    const rows = [...new Set(bench.sampling.map((r) => r.backend))].map((b) => {
      const at = (n) => bench.sampling.find((r) => r.backend === b && r.nfe === n);
      const [lo, hi] = [at(nfes[0]), at(nfes.at(-1))];
      return [b, ...nfes.map((n) => (at(n) ? ms(at(n).msPerVideo) : "")), lo && hi ? ratio(hi.msPerVideo, lo.msPerVideo) : ""];
    });
    out.push(table(["backend", ...nfes.map((n) => `${n} NFE`), `${nfes.at(-1)} NFE / ${nfes[0]} NFE`], rows));
  }
  return out.join("\n");
}

const MARK = /<!-- bench: (\S+) -->\n[\s\S]*?<!-- \/bench -->/g;
let stale = 0;
for (const page of pages) {
  const text = readFileSync(page, "utf8");
  const next = text.replace(MARK, (_, file) => {
    const bench = JSON.parse(readFileSync(path.resolve(path.dirname(page), file), "utf8"));
    return `<!-- bench: ${file} -->\n${benchTables(bench)}\n<!-- /bench -->`;
  });
  if (next === text) continue;
  if (check) {
    console.error(`${path.relative(process.cwd(), page)}: the benchmark tables differ from their files (node scripts/bench-table.js rewrites them)`);
    stale++;
  } else {
    writeFileSync(page, next);
    console.log(`wrote ${path.relative(process.cwd(), page)}`);
  }
}
process.exit(stale ? 1 : 0);
