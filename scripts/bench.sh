#!/usr/bin/env bash
# make bench: every benchmark in bench/, each against its own vers-local
# (see bench/README.md). VERS_BUILD_DIR runs another compiled tree than dist/.
set -euo pipefail
cd "$(dirname "$0")/.."
build="${VERS_BUILD_DIR:-dist}"
for bench in "$build"/bench/*.js; do
  case "$bench" in *.test.js) continue ;; esac
  echo "== $bench"
  started=$SECONDS
  node "$bench"
  echo "== $bench took $((SECONDS - started)) s"
done
echo "== all benchmarks took ${SECONDS} s; results in bench/results.json and bench/README.md"
