#!/usr/bin/env bash
# Layer 2 (tools): a small tool on top of the base layer. Offline.
set -euo pipefail
grep -qx base /etc/layers/stack || { echo "the base layer is missing" >&2; exit 1; }
cat > /opt/layers/bin/greet <<'TOOL'
#!/bin/sh
echo "hello from ${1:-nobody} on $(hostname)"
TOOL
chmod 0755 /opt/layers/bin/greet
echo "tools" >> /etc/layers/stack
echo "tools layer ready"
