#!/usr/bin/env bash
# Install the load generators the benchmarks drive (wrk, for benchmarks.saturation); safe to run
# again. Run as root on Debian/Ubuntu; elsewhere install wrk with the system's package manager.
set -euo pipefail

if command -v wrk >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "wrk is not installed: run scripts/install-bench-tools.sh as root (apt-get), or install wrk" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends wrk >/dev/null
wrk --version 2>&1 | head -1 || true
