#!/usr/bin/env bash
# The GPU check of the webgpu backend (docs/runtime.md, "GPU check"). On a machine with a GPU it records
# the GPU and `vpae doctor`, then runs micro-distill on webgpu, the runtime benchmark at widths 64, 256
# and 512 (wasm, webgpu, PyTorch), the webgpu tests, and as much of the quickstart on webgpu as the time
# left allows (in that order), and writes a short report.
#   bash scripts/gpu-check.sh [OUT_DIR [COPY_DIR]]
# OUT_DIR (default gpu-check/) receives the report and every step's output; COPY_DIR, when given,
# receives three files however the check ends (a stop by TERM or INT included): report.md, bench.json
# and logs.tar.gz (the rest of OUT_DIR, checkpoints left out). Relative paths are taken from the
# checkout's root.
# Installing: after `npm ci`, or from the bundle of `node scripts/gpu-bundle.js` (.gpu/), which stands in
# for `npm ci`, the build and Node on a machine without network; else it runs `npm ci` and builds.
# Dawn reaches an NVIDIA GPU through Vulkan: the driver's Vulkan ICD and the loader (libvulkan.so.1; the
# bundle carries Debian's libvulkan1, and glvnd's libraries for the driver) must be there; in a
# container, NVIDIA_DRIVER_CAPABILITIES must include graphics.
# It builds only where dist/ is missing or older than a source file.
# GPU_CHECK_INSTALL=0: install and build nothing (no apt-get, no bundle unpacked, no npm ci, no build);
# the checkout and the machine are used as they are.
# Without a hardware adapter it stops with exit 2 (nothing would measure a GPU), and the report quotes
# the Vulkan loader (vulkan-loader.txt holds all it said). GPU_CHECK_SOFTWARE=1 runs it on a software
# adapter anyway, with the benchmark at width 64 only (to try the script).
# Time: GPU_CHECK_BUDGET bounds the whole check (seconds, default 3600; it may overrun by about 40 s,
# the grace a stopped step gets and the report). Each step also has a cap of its own (doctor 60,
# micro-distill 180, benchmark 360, tests 240), and GPU_CHECK_TIMEOUT (default 1800) caps every step.
# The quickstart gets what is left and is stopped as Ctrl-C would stop it (the report gives its pace).
# GPU_CHECK_BENCH_STEPS: training steps per benchmark run (default 12, at least 8).
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
finish() { # however the check ends: the time it took, and the three files for COPY_DIR
  log ""
  log "check took $(($(date +%s) - began)) s"
  if [ -n "$copy" ]; then
    mkdir -p "$copy"
    cp "$report" "$copy/report.md"
    [ -f "$out/bench.json" ] && cp "$out/bench.json" "$copy/bench.json"
    tar -czf "$copy/logs.tar.gz" --exclude='*.safetensors' -C "$out" .
  fi
  echo "report: $report"
}
trap finish EXIT
trap 'exit 143' TERM
trap 'exit 130' INT
log "# vpae GPU check, $(date -u +%Y-%m-%dT%H:%MZ)"
log ""
unxz_to() { # file.xz dest: xz where it is installed, else Python's lzma
  if command -v xz >/dev/null; then xz -dc "$1" > "$2"; else python3 -c 'import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$1" "$2"; fi
}
node_ok() { command -v node >/dev/null && node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' 2>/dev/null; }
# node_modules/ and dist/ from the bundle carry this mark: a second check on the same machine finds them
# and does not try to build (the bundle has no TypeScript)
mark=node_modules/.vpae-bundle
bundled=0
[ -f "$mark" ] && bundled=1
install=${GPU_CHECK_INSTALL:-1}
[ "$install" = 0 ] && log "- GPU_CHECK_INSTALL=0: nothing is installed or built"
if [ "$install" != 0 ] && [ -f .gpu/vpae.tar.xz ]; then
  if ! node_ok; then
    had=$(node --version 2>/dev/null || echo none)
    if mkdir -p .gpu/bin && unxz_to .gpu/node.xz .gpu/bin/node && chmod +x .gpu/bin/node; then
      export PATH="$PWD/.gpu/bin:$PATH"
      log "- node: the bundle's (this machine's: $had)"
    else
      log "- node: the bundle's does not unpack"
    fi
  fi
  if [ "$bundled" = 0 ] && { [ ! -d node_modules ] || [ ! -f dist/runtime/cli/main.js ]; }; then
    if command -v xz >/dev/null; then tar -xJf .gpu/vpae.tar.xz; else python3 -m tarfile -e .gpu/vpae.tar.xz .; fi || { log "the bundle does not unpack"; exit 1; }
    cp .gpu/manifest.json "$mark"
    bundled=1
  fi
  [ "$bundled" = 1 ] && node_ok && log "- node_modules/ and dist/ from the bundle ($(node -p 'const m = JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8")); `commit ${m.commit.slice(0, 12)}${m.uncommitted ? " with uncommitted changes" : ""}, made ${m.created}`' "$mark"))"
fi
ldc() { if command -v ldconfig >/dev/null; then ldconfig "$@"; else /sbin/ldconfig "$@"; fi; }
# the dynamic linker knows this library (not grep -q: under pipefail, ldconfig killed by SIGPIPE when
# grep stops reading at the first match would make a known library look unknown)
known() { ldc -p 2>/dev/null | grep -F "$1 " >/dev/null; }
# the bundle's libraries (the Vulkan loader, and glvnd's, which NVIDIA's Vulkan driver links to), each
# one unpacked (as root) only where the dynamic linker does not know its library already
unpacked=""
if [ "$install" != 0 ] && [ "$(id -u)" = 0 ] && command -v dpkg-deb >/dev/null; then
  for d in .gpu/debs/*.deb; do
    [ -f "$d" ] || continue
    lib=$(dpkg-deb -c "$d" | grep -oE '[^/ ]+\.so\.[0-9]+( |$)' | head -1 | tr -d ' ')
    [ -n "$lib" ] && known "$lib" && continue
    dpkg-deb -x "$d" / && unpacked="$unpacked ${lib:-$(basename "$d")}"
  done
  [ -n "$unpacked" ] && ldc && log "- unpacked from the bundle:$unpacked"
fi
if ! known libvulkan.so.1; then
  if [ "$install" = 0 ]; then
    log "- no Vulkan loader (libvulkan.so.1): Dawn will find no Vulkan adapter"
  elif command -v apt-get >/dev/null && (timeout 120 apt-get update -qq && DEBIAN_FRONTEND=noninteractive timeout 120 apt-get install -y -qq --no-install-recommends libvulkan1) >/dev/null 2>&1; then
    log "- installed libvulkan1 (the Vulkan loader)"
  else
    log "- no Vulkan loader, and none could be installed (no bundle, not root, or no network): Dawn may find no Vulkan adapter"
  fi
fi
icds=$(ls /usr/share/vulkan/icd.d/*.json /etc/vulkan/icd.d/*.json 2>/dev/null | tr '\n' ' ')
if [[ "${icds,,}" != *nvidia* ]] && [ -z "${VK_DRIVER_FILES:-}${VK_ICD_FILENAMES:-}" ]; then
  # NVIDIA's container runtime may mount the driver's ICD file outside the loader's search path, or
  # mount the driver's Vulkan library without one: then an ICD file written here names it
  icd=$(ls /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/local/nvidia/icd.d/nvidia_icd.json 2>/dev/null | head -1)
  if [ -z "$icd" ] && known libGLX_nvidia.so.0; then
    icd="$(cd "$out" && pwd)/nvidia_icd.json"
    echo '{"file_format_version": "1.0.0", "ICD": {"library_path": "libGLX_nvidia.so.0", "api_version": "1.3.0"}}' > "$icd"
  fi
  [ -n "$icd" ] && export VK_DRIVER_FILES="$icd" VK_ICD_FILENAMES="$icd" && icds="$icd (through VK_DRIVER_FILES)"
fi
if command -v nvidia-smi >/dev/null; then
  log "- GPU: $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 | head -3)"
else
  log "- GPU: nvidia-smi not found"
fi
log "- NVIDIA_DRIVER_CAPABILITIES: ${NVIDIA_DRIVER_CAPABILITIES:-unset}; the driver's Vulkan libraries known to the dynamic linker: $(ldc -p 2>/dev/null | grep -oE 'lib(GLX_nvidia|nvidia-glvkspirv)\.so[.0-9]*' | sort -u | tr '\n' ' ')"
log "- Vulkan loader: $(ldc -p 2>/dev/null | grep -m1 'libvulkan\.so\.1 ' | sed 's/.*=> //')"
log "- Vulkan ICDs: ${icds:-none found}"
node_ok || { log "- node: none at version 20 or later (and no bundle): stopped"; exit 1; }
log "- node $(node --version), $(nproc) CPUs"
if [ "$install" = 0 ]; then
  [ -d node_modules ] && [ -f dist/runtime/cli/main.js ] || { log "- GPU_CHECK_INSTALL=0, and node_modules/ or dist/ is missing: stopped"; exit 1; }
else
  if [ ! -d node_modules ]; then timeout 600 npm ci --no-audit --no-fund > "$out/npm-ci.txt" 2>&1 || { log "npm ci failed (see $out/npm-ci.txt)"; exit 1; }; fi
  if [ "$bundled" = 0 ] && ! node scripts/gpu-bundle.js fresh >/dev/null 2>&1; then npm run build > "$out/build.txt" 2>&1 || { log "npm run build failed (see $out/build.txt)"; exit 1; }; fi
fi
step() { # name, signal, cap, command...: runs it for at most min(cap, GPU_CHECK_TIMEOUT, the time left)
  local name=$1 signal=$2 t=$3; shift 3
  [ "$limit" -lt "$t" ] && t=$limit
  local rest=$(left)
  [ "$rest" -lt "$t" ] && t=$rest
  log ""
  if [ "$t" -lt 20 ]; then log "## $name: not run (under 20 s left for it)"; return; fi
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
# the Vulkan loader's errors and warnings go to vulkan-loader.txt: why an ICD did not load, if one did not
hardware=$(VK_LOADER_DEBUG=error,warn timeout 60 node bin/vpae.js doctor --json 2>"$out/vulkan-loader.txt" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{try{const b=JSON.parse(s).backends.find(x=>x.name==="webgpu");console.log(b&&b.usable?"yes":"no: "+(b?b.detail:"no webgpu entry"))}catch{console.log("no: vpae doctor --json gave no answer")}})')
log "- hardware WebGPU adapter: $hardware"
if [ "$hardware" != yes ]; then
  # each message once, without Dawn's notes on reduced limits or its source locations
  said=$(grep -vE 'artificially reduced|^ +at |^$' "$out/vulkan-loader.txt" | sed -E 's/^(ERROR|Warning): *//' | awk '!seen[$0]++' | head -n 8 | cut -c1-300)
  if [ -n "$said" ]; then
    log "- the Vulkan loader said (the first lines of vulkan-loader.txt):"
    log '```'
    echo "$said" >> "$report"
    log '```'
  fi
fi
widths=64,256,512
if [ "$hardware" != yes ]; then
  if [ "${GPU_CHECK_SOFTWARE:-0}" != 1 ]; then
    log ""
    log "No hardware adapter: nothing here would measure a GPU. Stopped (GPU_CHECK_SOFTWARE=1 runs the check on a software adapter)."
    exit 2
  fi
  widths=64
fi
step micro-webgpu TERM 180 node bin/vpae.js run experiments/micro-distill.vpae --backend webgpu --runs-dir "$out/runs" --no-tui --debug
step bench TERM 360 env BENCH_WIDTHS="$widths" BENCH_STEPS="${GPU_CHECK_BENCH_STEPS:-12}" BENCH_JSON="$out/bench.json" node scripts/bench-runtime.js
step webgpu-tests TERM 240 env VPAE_REQUIRE_WEBGPU=1 node --test dist/test/runtime/backend-webgpu.test.js
# the whole quickstart where time allows; else as far as it gets, stopped as Ctrl-C would stop it
step quickstart-webgpu INT "$limit" node bin/vpae.js run experiments/quickstart.vpae --backend webgpu --runs-dir "$out/runs" --no-tui
run=$(ls -d "$out"/runs/quickstart-* 2>/dev/null | head -1)
if [ -n "$run" ]; then
  log "quickstart progress: $(node --input-type=module -e '
    const dir = process.argv[1];
    const { readMetrics } = await import("./dist/runtime/engine/io/metrics.js");
    const { readRunPlan } = await import("./dist/runtime/engine/io/run-dir.js");
    const { totalSteps } = await import("./dist/compiler/plan/steps.js");
    const rows = readMetrics(`${dir}/metrics.jsonl`); // a line cut short by the stop is dropped
    const total = totalSteps(readRunPlan(dir).phases);
    if (rows.length < 2) { console.log(`${rows.length} of ${total} steps`); process.exit(0); }
    const first = rows[0], last = rows.at(-1), rate = (last.step - first.step) / ((last.time - first.time) / 1000);
    console.log(`${last.step} of ${total} steps; ${rate.toFixed(2)} steps/s from step ${first.step} to ${last.step} (evaluations included), so the whole run would take about ${(total / rate / 60).toFixed(1)} min of training`);
  ' "$run" 2>&1)"
fi
