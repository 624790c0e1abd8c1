#!/bin/bash
# Runs once in the golden VM; everything it leaves on disk is in every worker.
set -euo pipefail
mkdir -p /opt/app
echo "golden image built $(date -u +%Y-%m-%dT%H:%M:%SZ)" > /opt/app/BUILD
echo "bootstrap finished"
