#!/usr/bin/env bash
# The README's demo command: installs dependencies, builds trainscope, runs `trainscope demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/release -j "$(nproc)" --target trainscope
exec ./build/release/trainscope demo "$@"
