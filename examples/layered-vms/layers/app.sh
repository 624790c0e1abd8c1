#!/usr/bin/env bash
# Layer 3 (app): an app that uses the tools layer. Offline. APP_NAME comes
# from the vers_provision environment.
set -euo pipefail
test -x /opt/layers/bin/greet || { echo "the tools layer is missing" >&2; exit 1; }
mkdir -p /srv/app
cat > /srv/app/run.sh <<APP
#!/bin/sh
exec /opt/layers/bin/greet "${APP_NAME}"
APP
chmod 0755 /srv/app/run.sh
echo "app" >> /etc/layers/stack
echo "app layer ready (${APP_NAME})"
