#!/usr/bin/env bash
# Installs what pim-gen needs on a Debian machine with Node 20 (as root, or with sudo):
# the Debian packages the RTL flow runs (only those missing), then the npm packages (npm ci,
# which also compiles the TypeScript to dist/).
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v verilator >/dev/null 2>&1 || missing+=(verilator)
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "setup: installing ${missing[*]} with apt-get"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
npm ci --no-audit --no-fund
