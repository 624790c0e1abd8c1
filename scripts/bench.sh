#!/usr/bin/env bash
# make bench: every benchmark in bench/, each against its own vers-local.
set -euo pipefail
cd "$(dirname "$0")/.."
for bench in dist/bench/*.js; do
  case "$bench" in *.test.js) continue ;; esac
  echo "== $bench"
  node "$bench"
done
