#!/usr/bin/env bash
# Idempotent setup: installs the Debian packages reprise needs (build, samples,
# tests), configures build/ and compiles. Safe to run again at any time.
set -euo pipefail
cd "$(dirname "$0")/.."

PKGS=(
  # build
  meson ninja-build pkg-config gcc
  libsqlite3-dev libzstd-dev libjansson-dev libcmocka-dev
  libelf-dev libdw-dev libxxhash-dev
  # disassembly of the JIT's host code (tests/unit/test_jit_emit.c)
  libcapstone-dev
  # guest toolchain for samples/
  gcc-riscv64-linux-gnu g++-riscv64-linux-gnu binutils-riscv64-linux-gnu
  # test oracles
  libunicorn-dev qemu-user sqlite3 strace bc
  # replay debugging tests (tests/gdb)
  gdb-multiarch
  # coverage-guided fuzzing (libFuzzer)
  clang
)

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null; then SUDO="sudo"; else
      echo "setup: need root or sudo to install: ${missing[*]}" >&2; exit 1
    fi
  fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -f build/build.ninja ]; then
  meson setup build --buildtype=debugoptimized >/dev/null
fi
ninja -C build >/dev/null
echo "setup: build/ is ready" >&2
