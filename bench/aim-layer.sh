#!/usr/bin/env bash
# The aim-layer benchmark (bench/aim-layer.ts) under /usr/bin/time, for the peak memory of the whole
# run (Node and the Verilated chip). Results: JSON on stdout; progress and time's report on stderr.
# Usage: bash bench/aim-layer.sh [--seed S] [--spec FILE]
set -euo pipefail
cd "$(dirname "$0")/.."
npx tsc -p tsconfig.json
exec /usr/bin/time -v node --max-old-space-size=20000 dist/bench/aim-layer.js "$@"
