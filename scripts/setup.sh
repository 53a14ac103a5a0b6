#!/usr/bin/env bash
# Brings a Debian 12 machine from a fresh clone to a working InSitu: apt packages when missing, the native
# engine (CMake), then the .NET build. Safe to run again: each step only does what is missing or stale.
#
#   LIBTORCH_DIR=/path/to/libtorch   build the engine against another libtorch (e.g. a CUDA build)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

say() { printf '\033[1;34m[setup]\033[0m %s\n' "$*"; }

# Runtime and build packages. python3-torch is PyTorch itself: the reference for parity fixtures, the
# state-dict round trip test and the side-by-side benchmark. libopenblas0-openmp: Debian's libtorch links
# libblas.so.3, which is the reference BLAS (about 80x slower) unless an optimised one provides it; the OpenMP build
# shares libgomp's thread pool with libtorch. libdnnl-dev is oneDNN's header for the fused inference plans
# (native/src/plan.cpp), the same oneDNN 2.x library Debian's libtorch runs on.
# chromium: the web app's browser tests drive Debian's Chromium through Playwright (`playwright install` cannot download
# here); fonts-dejavu-core: the web app's charts (ScottPlot, drawn with SkiaSharp) need a font for their text.
packages=(cmake make g++ libtorch-dev libopencv-dev libopenblas0-openmp libdnnl-dev python3-torch python3-numpy chromium
  fonts-dejavu-core)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  say "installing Debian packages: ${missing[*]}"
  sudo=""
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || { echo "setup needs root or sudo to install: ${missing[*]}" >&2; exit 1; }
    sudo="sudo"
  fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Installing OpenBLAS switches the libblas.so.3 alternative to it (higher priority), unless someone pinned the
# reference BLAS by hand; an alternative pinned to another optimised BLAS (MKL, BLIS) is left as it is.
blas_alt=libblas.so.3-x86_64-linux-gnu
if [[ "$(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3)" == */blas/libblas.so.3* ]]; then
  say "libblas.so.3 is the reference BLAS; switching it to OpenBLAS"
  sudo=""; [[ $(id -u) -ne 0 ]] && sudo="sudo"
  $sudo update-alternatives --set "$blas_alt" /usr/lib/x86_64-linux-gnu/openblas-openmp/libblas.so.3
fi

if ! command -v dotnet >/dev/null || ! dotnet --list-sdks | grep -q '^10\.'; then
  say "the .NET 10 SDK is missing; trying Debian/Microsoft packages"
  sudo=""; [[ $(id -u) -ne 0 ]] && sudo="sudo"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq dotnet-sdk-10.0 || {
    echo "Install the .NET 10 SDK (https://learn.microsoft.com/dotnet/core/install/linux-debian) and run 'make setup' again." >&2
    exit 1
  }
fi

say "building the native engine (native/)"
cmake_args=(-S native -B native/build -DCMAKE_BUILD_TYPE=Release)
[[ -n "${LIBTORCH_DIR:-}" ]] && cmake_args+=("-DCMAKE_PREFIX_PATH=$LIBTORCH_DIR")
cmake "${cmake_args[@]}" >/dev/null
cmake --build native/build -j "$(nproc)"

say "building the .NET projects"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build InSitu.slnx -c Release -v quiet -nologo -clp:ErrorsOnly

# Pretrained MobileNetV2 weights from the npm package nsfwjs 4.4.0 (npm pack, or the registry over HTTPS without npm),
# checked against the registry's checksum; the known-answer tests use them. Stored once (nothing is fetched when they
# are there); without network access set-up carries on and those tests report that they were skipped.
if ! ./insitu weights get mobilenet_v2; then
  say "could not fetch the MobileNetV2 weights; the MobileNetV2 known-answer tests will be skipped"
fi
say "ready: ./insitu --version"
