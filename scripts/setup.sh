#!/usr/bin/env bash
# Installs what pim-gen needs on a Debian machine with Node 20 (as root, or with sudo):
# the Debian packages the flow runs (only those missing: Verilator for simulation, Yosys,
# nextpnr-ice40 and IceStorm for synthesis and place-and-route, Chromium for the report's browser
# test), then the npm packages (npm ci, which also compiles the TypeScript to dist/).
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v verilator >/dev/null 2>&1 || missing+=(verilator)
command -v yosys >/dev/null 2>&1 || missing+=(yosys)
command -v nextpnr-ice40 >/dev/null 2>&1 || missing+=(nextpnr-ice40)
command -v icepack >/dev/null 2>&1 || missing+=(fpga-icestorm)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "setup: installing ${missing[*]} with apt-get"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
npm ci --no-audit --no-fund
