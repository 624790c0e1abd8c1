#!/usr/bin/env bash
# Bootstraps the golden image. Runs as root inside the VM, offline: no
# network and no package installs, only files and directories.
set -euo pipefail

GOLDEN_VERSION="1"

mkdir -p /etc/golden /opt/golden/bin /var/lib/golden
cat > /opt/golden/bin/hello <<'SCRIPT'
#!/bin/sh
echo "hello from $(hostname) (golden image v$(cat /etc/golden/version))"
SCRIPT
chmod 0755 /opt/golden/bin/hello
echo "$GOLDEN_VERSION" > /etc/golden/version
date -u +%Y-%m-%dT%H:%M:%SZ > /etc/golden/built-at
echo "golden image v$GOLDEN_VERSION bootstrapped"
