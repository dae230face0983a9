#!/usr/bin/env bash
# The GPU check of the webgpu backend (docs/runtime.md, "GPU check"): on a machine with a GPU, after
# `npm ci` (or with node_modules carried over), it records `vpae doctor`, runs micro-distill and the
# quickstart on webgpu, and the runtime benchmark at widths 64, 256 and 512 on wasm and webgpu, then
# writes a short report. Usage: bash scripts/gpu-check.sh [OUT_DIR]   (default: gpu-check/)
# Dawn reaches an NVIDIA GPU through Vulkan: the driver's Vulkan ICD and the loader (Debian:
# libvulkan1) must be there; in a container, NVIDIA_DRIVER_CAPABILITIES must include graphics.
# Without a hardware adapter it stops with exit 2 (nothing would measure a GPU);
# GPU_CHECK_SOFTWARE=1 runs it on a software adapter anyway, without the quickstart and at width 64
# only (to try the script). GPU_CHECK_TIMEOUT bounds each step (seconds, default 1800).
set -uo pipefail
cd "$(dirname "$0")/.."
out=${1:-gpu-check}
limit=${GPU_CHECK_TIMEOUT:-1800}
mkdir -p "$out"
rm -rf "$out/runs" # runs of an earlier check would be found finished and not run again
report="$out/report.md"
log() { echo "$*" | tee -a "$report"; }
: > "$report"
log "# vpae GPU check, $(date -u +%Y-%m-%dT%H:%MZ)"
log ""
loader() { ls /usr/lib/x86_64-linux-gnu/libvulkan.so.1 /lib/x86_64-linux-gnu/libvulkan.so.1 2>/dev/null | head -1; }
if [ -z "$(loader)" ]; then
  if command -v apt-get >/dev/null && (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libvulkan1) >/dev/null 2>&1; then
    log "- installed libvulkan1 (the Vulkan loader)"
  else
    log "- could not install libvulkan1 (not root, or no apt-get): Dawn may find no Vulkan adapter"
  fi
fi
if command -v nvidia-smi >/dev/null; then
  log "- GPU: $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 | head -3)"
else
  log "- GPU: nvidia-smi not found"
fi
log "- Vulkan loader: $(loader || true)"
log "- Vulkan ICDs: $(ls /usr/share/vulkan/icd.d /etc/vulkan/icd.d 2>/dev/null | tr '\n' ' ')"
log "- node $(node --version), $(nproc) CPUs"
if [ ! -d node_modules ]; then npm ci --no-audit --no-fund || { log "npm ci failed"; exit 1; }; fi
npm run build > "$out/build.txt" 2>&1 || { log "npm run build failed (see $out/build.txt)"; exit 1; }
step() { # name, command...: runs it (at most $limit s), keeps its output, says how it went
  local name=$1; shift
  local start=$(date +%s)
  timeout "$limit" "$@" > "$out/$name.txt" 2>&1
  local rc=$?
  log ""
  log "## $name: exit $rc after $(( $(date +%s) - start )) s$([ $rc = 124 ] && echo " (stopped at the ${limit} s limit)")"
  log '```'
  tail -n 15 "$out/$name.txt" | tee -a "$report" > /dev/null
  log '```'
}
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
step doctor node bin/vpae.js doctor
step micro-webgpu node bin/vpae.js run experiments/micro-distill.vpae --backend webgpu --runs-dir "$out/runs" --no-tui --debug
[ "$hardware" = yes ] && step quickstart-webgpu node bin/vpae.js run experiments/quickstart.vpae --backend webgpu --runs-dir "$out/runs" --no-tui
step bench env BENCH_WIDTHS="$widths" BENCH_JSON="$out/bench.json" node scripts/bench-runtime.js
step webgpu-tests env VPAE_REQUIRE_WEBGPU=1 node --test dist/test/runtime/backend-webgpu.test.js
echo "report: $report"
