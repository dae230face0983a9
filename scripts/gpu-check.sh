#!/usr/bin/env bash
# The GPU check of the webgpu backend (docs/runtime.md, "GPU check"). On a machine with a GPU it records
# the GPU and `vpae doctor`, runs micro-distill and the webgpu tests on webgpu, the runtime benchmark at
# widths 64, 256 and 512 (wasm, webgpu, PyTorch), and as much of the quickstart on webgpu as the time
# left allows, then writes a short report.
#   bash scripts/gpu-check.sh [OUT_DIR [COPY_DIR]]
# OUT_DIR (default gpu-check/) receives the report and every step's output; COPY_DIR, when given,
# receives three files: report.md, bench.json and logs.tar.gz (the rest of OUT_DIR, checkpoints left out).
# Installing: after `npm ci`, or from the bundle of `node scripts/gpu-bundle.js` (.gpu/), which stands in
# for `npm ci`, the build and Node on a machine without network; else it runs `npm ci` and builds.
# Dawn reaches an NVIDIA GPU through Vulkan: the driver's Vulkan ICD and the loader (libvulkan.so.1; the
# bundle carries Debian's libvulkan1, and glvnd's libraries for the driver) must be there; in a container, NVIDIA_DRIVER_CAPABILITIES must
# include graphics.
# Without a hardware adapter it stops with exit 2 (nothing would measure a GPU); GPU_CHECK_SOFTWARE=1
# runs it on a software adapter anyway, at width 64 only and without the quickstart (to try the script).
# Time: GPU_CHECK_BUDGET bounds the whole check (seconds, default 3600), GPU_CHECK_TIMEOUT each step
# (default 1800); the quickstart gets what is left and is stopped like Ctrl-C when it runs out (its
# progress is reported). GPU_CHECK_BENCH_STEPS: training steps per benchmark run (default 12).
set -uo pipefail
cd "$(dirname "$0")/.."
out=${1:-gpu-check}
copy=${2:-}
budget=${GPU_CHECK_BUDGET:-3600}
limit=${GPU_CHECK_TIMEOUT:-1800}
began=$(date +%s)
left() { echo $((budget - ($(date +%s) - began))); }
mkdir -p "$out"
rm -rf "$out/runs" # runs of an earlier check would be found finished and not run again
report="$out/report.md"
log() { echo "$*" | tee -a "$report"; }
: > "$report"
log "# vpae GPU check, $(date -u +%Y-%m-%dT%H:%MZ)"
log ""
unxz_to() { # file.xz dest: xz where it is installed, else Python's lzma
  if command -v xz >/dev/null; then xz -dc "$1" > "$2"; else python3 -c 'import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$1" "$2"; fi
}
node_ok() { command -v node >/dev/null && node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' 2>/dev/null; }
bundled=0
if [ -f .gpu/vpae.tar.xz ]; then
  if ! node_ok; then
    had=$(node --version 2>/dev/null || echo none)
    mkdir -p .gpu/bin && unxz_to .gpu/node.xz .gpu/bin/node && chmod +x .gpu/bin/node && export PATH="$PWD/.gpu/bin:$PATH"
    log "- node: the bundle's (this machine's: $had)"
  fi
  if [ ! -d node_modules ] || [ ! -f dist/runtime/cli/main.js ]; then
    if command -v xz >/dev/null; then tar -xJf .gpu/vpae.tar.xz; else python3 -m tarfile -e .gpu/vpae.tar.xz .; fi || { log "the bundle does not unpack"; exit 1; }
    bundled=1
    node_ok && log "- node_modules/ and dist/ unpacked from the bundle ($(node -p 'const m = require("./.gpu/manifest.json"); `commit ${m.commit.slice(0, 12)}${m.uncommitted ? " with uncommitted changes" : ""}, made ${m.created}`'))"
  fi
fi
loader() { ls /usr/lib/x86_64-linux-gnu/libvulkan.so.1 /lib/x86_64-linux-gnu/libvulkan.so.1 /usr/lib64/libvulkan.so.1 2>/dev/null | head -1; }
# the bundle's libraries (the Vulkan loader, and glvnd's, which NVIDIA's Vulkan driver links to), each
# one unpacked (as root) only where the dynamic linker does not know its library already
unpacked=""
if [ "$(id -u)" = 0 ] && command -v dpkg-deb >/dev/null; then
  for d in .gpu/debs/*.deb; do
    [ -f "$d" ] || continue
    lib=$(dpkg-deb -c "$d" | grep -oE '[^/ ]+\.so\.[0-9]+( |$)' | head -1 | tr -d ' ')
    [ -n "$lib" ] && ldconfig -p 2>/dev/null | grep -qF "$lib " && continue
    dpkg-deb -x "$d" / && unpacked="$unpacked ${lib:-$(basename "$d")}"
  done
  [ -n "$unpacked" ] && ldconfig && log "- unpacked from the bundle:$unpacked"
fi
if [ -z "$(loader)" ] && ! (ldconfig -p 2>/dev/null | grep -q 'libvulkan\.so\.1'); then
  if command -v apt-get >/dev/null && (timeout 120 apt-get update -qq && DEBIAN_FRONTEND=noninteractive timeout 120 apt-get install -y -qq --no-install-recommends libvulkan1) >/dev/null 2>&1; then
    log "- installed libvulkan1 (the Vulkan loader)"
  else
    log "- no Vulkan loader, and none could be installed (no bundle, not root, or no network): Dawn may find no Vulkan adapter"
  fi
fi
icds=$(ls /usr/share/vulkan/icd.d/*.json /etc/vulkan/icd.d/*.json 2>/dev/null | tr '\n' ' ')
if ! echo "$icds" | grep -qi nvidia && [ -z "${VK_DRIVER_FILES:-}${VK_ICD_FILENAMES:-}" ]; then
  # NVIDIA's container runtime may mount the driver's ICD file outside the loader's search path
  for f in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/local/nvidia/icd.d/nvidia_icd.json; do
    if [ -f "$f" ]; then export VK_DRIVER_FILES="$f" VK_ICD_FILENAMES="$f"; icds="$f (through VK_DRIVER_FILES)"; break; fi
  done
fi
if command -v nvidia-smi >/dev/null; then
  log "- GPU: $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 | head -3)"
else
  log "- GPU: nvidia-smi not found"
fi
log "- Vulkan loader: $(loader || true)$( [ -z "$(loader)" ] && ldconfig -p 2>/dev/null | grep -m1 'libvulkan\.so\.1' | sed 's/.*=> / /')"
log "- Vulkan ICDs: ${icds:-none found}"
node_ok || { log "- node: none at version 20 or later (and no bundle): stopped"; exit 1; }
log "- node $(node --version), $(nproc) CPUs"
if [ ! -d node_modules ]; then timeout 600 npm ci --no-audit --no-fund > "$out/npm-ci.txt" 2>&1 || { log "npm ci failed (see $out/npm-ci.txt)"; exit 1; }; fi
if [ "$bundled" = 0 ]; then npm run build > "$out/build.txt" 2>&1 || { log "npm run build failed (see $out/build.txt)"; exit 1; }; fi
step() { # name, signal, cap, command...: runs it for at most min(cap, the time left); says how it went
  local name=$1 signal=$2 cap=$3; shift 3
  local t=$(left)
  [ "$cap" -lt "$t" ] && t=$cap
  log ""
  if [ "$t" -lt 20 ]; then log "## $name: not run (the check's ${budget} s are spent)"; return; fi
  local start=$(date +%s)
  timeout -s "$signal" -k 30 "$t" "$@" > "$out/$name.txt" 2>&1
  local rc=$?
  log "## $name: exit $rc after $(($(date +%s) - start)) s$([ $rc = 124 ] && echo " (stopped at its ${t} s limit)")"
  log '```'
  tail -n 15 "$out/$name.txt" | tee -a "$report" > /dev/null
  log '```'
}
step doctor TERM 60 node bin/vpae.js doctor
# does `auto` find a hardware adapter? (doctor's JSON: the webgpu entry is usable only on one)
hardware=$(node bin/vpae.js doctor --json 2>/dev/null | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const b=JSON.parse(s).backends.find(x=>x.name==="webgpu");console.log(b&&b.usable?"yes":"no: "+(b?b.detail:"no webgpu entry"))})')
log "- hardware WebGPU adapter: $hardware"
widths=64,256,512
if [ "$hardware" != yes ]; then
  if [ "${GPU_CHECK_SOFTWARE:-0}" != 1 ]; then
    log ""
    log "No hardware adapter: nothing here would measure a GPU. Stopped (GPU_CHECK_SOFTWARE=1 runs the check on a software adapter)."
    echo "report: $report"
    exit 2
  fi
  widths=64
fi
step micro-webgpu TERM "$limit" node bin/vpae.js run experiments/micro-distill.vpae --backend webgpu --runs-dir "$out/runs" --no-tui --debug
step webgpu-tests TERM "$limit" env VPAE_REQUIRE_WEBGPU=1 node --test dist/test/runtime/backend-webgpu.test.js
step bench TERM "$limit" env BENCH_WIDTHS="$widths" BENCH_STEPS="${GPU_CHECK_BENCH_STEPS:-12}" BENCH_JSON="$out/bench.json" node scripts/bench-runtime.js
if [ "$hardware" = yes ]; then
  # the whole quickstart where time allows; else as far as it gets, stopped as Ctrl-C would stop it
  step quickstart-webgpu INT "$limit" node bin/vpae.js run experiments/quickstart.vpae --backend webgpu --runs-dir "$out/runs" --no-tui
  run=$(ls -d "$out"/runs/quickstart-* 2>/dev/null | head -1)
  if [ -n "$run" ]; then
    log "quickstart progress: $(node -e '
      const fs = require("node:fs"), dir = process.argv[1];
      const rows = fs.readFileSync(dir + "/metrics.jsonl", "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l));
      const total = JSON.parse(fs.readFileSync(dir + "/plan.json", "utf8")).phases.reduce((s, p) => s + p.steps, 0);
      if (rows.length < 2) { console.log(`${rows.length} of ${total} updates`); process.exit(0); }
      const first = rows[0], last = rows.at(-1), rate = (last.step - first.step) / ((last.time - first.time) / 1000);
      console.log(`${last.step} of ${total} updates; ${rate.toFixed(2)} updates/s from update ${first.step} to ${last.step} (evaluations included), so the whole run would take about ${(total / rate / 60).toFixed(1)} min of training`);
    ' "$run" 2>&1)"
  fi
fi
log ""
log "check took $(($(date +%s) - began)) s"
if [ -n "$copy" ]; then
  mkdir -p "$copy"
  cp "$report" "$copy/report.md"
  [ -f "$out/bench.json" ] && cp "$out/bench.json" "$copy/bench.json"
  tar -czf "$copy/logs.tar.gz" --exclude='*.safetensors' -C "$out" .
fi
echo "report: $report"
