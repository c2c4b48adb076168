#!/usr/bin/env bash
# Installs trainscope's build and test dependencies from Debian 12 packages (run as root).
set -euo pipefail
PACKAGES=(
  build-essential cmake ninja-build pkg-config python3 ccache
  libsimdjson-dev zlib1g-dev libisal-dev libcli11-dev libfmt-dev libgtest-dev libgmock-dev
  libbenchmark-dev nlohmann-json3-dev libyaml-cpp-dev libeigen3-dev libopenblas-dev libsnappy-dev
  libopenmpi-dev openmpi-bin chromium
  pybind11-dev python3-dev python3-numpy python3-pandas
  libcurl4-openssl-dev prometheus
)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
