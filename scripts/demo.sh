#!/usr/bin/env bash
# make demo: the golden image pipeline through terraform against vers-local.
#
#   1. start vers-local (bin/vers-local) and export VERS_* from its ready line;
#   2. copy examples/golden-image to a temp dir (no state lands in the repo)
#      and point a temporary TF_CLI_CONFIG_FILE's dev_overrides at <repo>/bin;
#   3. terraform apply, terraform output, ssh into a worker (the official
#      ssh + openssl s_client recipe) to read what the bootstrap wrote;
#   4. terraform destroy, stop vers-local.
#
# A trap cleans up on every exit, Ctrl-C included: vers-local is stopped (it
# destroys every VM it runs) and the temp dir is removed. Needs `make build`.
# VERS_BUILD_DIR selects another compiled tree than dist/ (as bin/ does).
set -euo pipefail

root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
build="${VERS_BUILD_DIR:-dist}"
case "$build" in /*) ;; *) build="$root/$build" ;; esac

say() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

if ! command -v terraform >/dev/null 2>&1; then
  echo "################################################################" >&2
  echo "# SKIPPED: terraform not found on PATH: make demo did not run.  #" >&2
  echo "# Install Terraform (>= 1.5) and run make demo again.           #" >&2
  echo "################################################################" >&2
  exit 0
fi
for needed in "$build/emulator/main.js" "$build/bridges/terraform/main.js"; do
  if [ ! -f "$needed" ]; then
    echo "make demo: $needed not found; run 'make build' first" >&2
    exit 1
  fi
done

work="$(mktemp -d "${TMPDIR:-/tmp}/vers-demo.XXXXXX")"
vers_local_pid=""

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  if [ -n "$vers_local_pid" ] && kill -0 "$vers_local_pid" 2>/dev/null; then
    # SIGTERM: vers-local destroys every VM (processes, mounts, cgroups) and its temp state dir.
    kill -TERM "$vers_local_pid" 2>/dev/null || true
    wait "$vers_local_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
  if [ "$status" -ne 0 ]; then
    echo "make demo: failed (exit $status); vers-local stopped and $work removed" >&2
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say "Starting vers-local"
# Its own session: a Ctrl-C in the terminal reaches terraform and this script,
# and the trap stops vers-local in order instead of racing it.
VERS_LOCAL_DIST="$build" setsid "$root/bin/vers-local" --api-port 0 --gateway-port 0 \
  >"$work/vers-local.ready" 2>"$work/vers-local.log" &
vers_local_pid=$!
for _ in $(seq 1 300); do
  [ -s "$work/vers-local.ready" ] && break
  if ! kill -0 "$vers_local_pid" 2>/dev/null; then
    echo "make demo: vers-local exited before it was ready:" >&2
    cat "$work/vers-local.log" >&2
    exit 1
  fi
  sleep 0.1
done
# One JSON line: base_url, api_key, vm_domain, ssh_gateway, tls_ca_file, state_dir.
mapfile -t ready < <(node -e '
  const line = require("fs").readFileSync(process.argv[1], "utf8").split("\n")[0];
  const r = JSON.parse(line);
  for (const key of ["base_url", "api_key", "vm_domain", "ssh_gateway", "tls_ca_file"]) {
    if (typeof r[key] !== "string") throw new Error("ready line lacks " + key);
    console.log(r[key]);
  }' "$work/vers-local.ready")
export VERS_BASE_URL="${ready[0]}" VERS_API_KEY="${ready[1]}" VERS_VM_DOMAIN="${ready[2]}"
export VERS_SSH_GATEWAY="${ready[3]}" VERS_CA_FILE="${ready[4]}"
echo "vers-local is up: API $VERS_BASE_URL, SSH gateway $VERS_SSH_GATEWAY (pid $vers_local_pid)"

# No registry and no `terraform init`: hdr/vers is this checkout's bin/terraform-provider-vers.
export TF_CLI_CONFIG_FILE="$work/terraform.rc"
cat >"$TF_CLI_CONFIG_FILE" <<EOF
provider_installation {
  dev_overrides {
    "hdr/vers" = "$root/bin"
  }
  direct {}
}
EOF
export VERS_BUILD_DIR="$build" TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1 TF_INPUT=0
cp -r "$root/examples/golden-image" "$work/golden-image"
cd "$work/golden-image"

say "terraform apply (golden VM → bootstrap → commit → 3 workers)"
terraform apply -auto-approve -compact-warnings

say "terraform output"
terraform output

say "ssh into a worker (ssh + openssl s_client through the TLS/SNI gateway, certificate checked)"
worker="$(terraform output -json worker_vm_ids | node -e 'console.log(JSON.parse(require("fs").readFileSync(0, "utf8"))[0])')"
# The VM's key, as any Vers user gets it: GET /vm/{id}/ssh_key. Never printed.
node -e '
  const [base, vm, file] = process.argv.slice(1);
  fetch(`${base}/vm/${vm}/ssh_key`, { headers: { authorization: `Bearer ${process.env.VERS_API_KEY}` } })
    .then(async (res) => {
      if (!res.ok) throw new Error(`GET /vm/${vm}/ssh_key: ${res.status}`);
      require("fs").writeFileSync(file, (await res.json()).ssh_private_key, { mode: 0o600 });
    })
    .catch((error) => { console.error(error.message); process.exit(1); });' "$VERS_BASE_URL" "$worker" "$work/worker-key"
echo "\$ ssh root@$worker.$VERS_VM_DOMAIN 'cat /etc/golden/version; /opt/golden/bin/hello'"
ssh -i "$work/worker-key" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o BatchMode=yes \
  -o ProxyCommand="openssl s_client -quiet -verify_quiet -verify_return_error -CAfile $VERS_CA_FILE -connect $VERS_SSH_GATEWAY -servername %h" \
  "root@$worker.$VERS_VM_DOMAIN" 'echo "golden version: $(cat /etc/golden/version)"; /opt/golden/bin/hello'

say "terraform destroy"
terraform destroy -auto-approve -compact-warnings

say "Stopping vers-local"
kill -TERM "$vers_local_pid"
wait "$vers_local_pid" || { echo "make demo: vers-local exited with an error:" >&2; tail -n 20 "$work/vers-local.log" >&2; exit 1; }
vers_local_pid=""
say "Demo complete: nothing left running"
