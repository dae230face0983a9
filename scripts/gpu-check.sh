#!/usr/bin/env bash
# The GPU check of the webgpu backend (docs/runtime.md, "GPU check"): on a machine with a GPU, after
# `npm ci` (or with node_modules carried over), it records `vpae doctor`, runs micro-distill and the
# quickstart on webgpu, and the runtime benchmark at widths 64, 256 and 512 on wasm and webgpu, then
# writes a short report. Usage: bash scripts/gpu-check.sh [OUT_DIR]   (default: gpu-check/)
# Dawn reaches an NVIDIA GPU through Vulkan: the driver's Vulkan ICD and the loader (Debian:
# libvulkan1) must be there; in a container, NVIDIA_DRIVER_CAPABILITIES must include graphics.
set -uo pipefail
cd "$(dirname "$0")/.."
out=${1:-gpu-check}
mkdir -p "$out"
report="$out/report.md"
log() { echo "$*" | tee -a "$report"; }
: > "$report"
log "# vpae GPU check, $(date -u +%Y-%m-%dT%H:%MZ)"
log ""
log "- GPU: $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || echo 'nvidia-smi not found')"
log "- Vulkan loader: $(ls /usr/lib/x86_64-linux-gnu/libvulkan.so.1 /lib/x86_64-linux-gnu/libvulkan.so.1 2>/dev/null | head -1 || true)"
log "- Vulkan ICDs: $(ls /usr/share/vulkan/icd.d /etc/vulkan/icd.d 2>/dev/null | tr '\n' ' ')"
log "- node $(node --version), $(nproc) CPUs"
if ! ls /usr/lib/x86_64-linux-gnu/libvulkan.so.1 /lib/x86_64-linux-gnu/libvulkan.so.1 >/dev/null 2>&1 && command -v apt-get >/dev/null; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libvulkan1) >/dev/null 2>&1 && log "- installed libvulkan1"
fi
[ -d node_modules ] || npm ci --no-audit --no-fund
[ -f dist/runtime/cli/main.js ] || npm run build
step() { # name, command...: runs it, keeps its output, says how it went
  local name=$1; shift
  local start=$(date +%s)
  "$@" > "$out/$name.txt" 2>&1
  local rc=$?
  log ""
  log "## $name: exit $rc after $(( $(date +%s) - start )) s"
  log '```'
  tail -n 15 "$out/$name.txt" | tee -a "$report" > /dev/null
  log '```'
}
step doctor node bin/vpae.js doctor
step micro-webgpu node bin/vpae.js run experiments/micro-distill.vpae --backend webgpu --runs-dir "$out/runs" --no-tui --debug
step quickstart-webgpu node bin/vpae.js run experiments/quickstart.vpae --backend webgpu --runs-dir "$out/runs" --no-tui
step bench env BENCH_WIDTHS=64,256,512 BENCH_JSON="$out/bench.json" node scripts/bench-runtime.js
step webgpu-tests env VPAE_REQUIRE_WEBGPU=1 node --test dist/test/runtime/backend-webgpu.test.js
echo "report: $report"
