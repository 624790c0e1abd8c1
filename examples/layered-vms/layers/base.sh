#!/usr/bin/env bash
# Layer 1 (base): directories and a record of the layers. Offline.
set -euo pipefail
mkdir -p /etc/layers /opt/layers/bin
echo "base" > /etc/layers/stack
echo "base layer ready"
