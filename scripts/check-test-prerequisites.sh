#!/usr/bin/env bash
# The tests need what a Vers user's machine has: OpenSSH (server for vers-local's
# VMs, client for the official recipe), openssl, root, and terraform for the
# end-to-end suites. Say loudly what is missing instead of failing obscurely.
set -u
missing=()
[ "$(id -u)" = 0 ] || missing+=("root (vers-local makes mount and PID namespaces and overlay mounts)")
[ -x /usr/sbin/sshd ] || missing+=("/usr/sbin/sshd (apt-get install openssh-server)")
command -v ssh >/dev/null || missing+=("ssh (apt-get install openssh-client)")
command -v openssl >/dev/null || missing+=("openssl (apt-get install openssl)")
for tool in gpg:gnupg gpgv:gpgv zip:zip unzip:unzip unshare:util-linux; do
  command -v "${tool%%:*}" >/dev/null || missing+=("${tool%%:*} (apt-get install ${tool##*:}; make release and the install tests need it)")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "make test: missing prerequisites:" >&2
  printf '  - %s\n' "${missing[@]}" >&2
  exit 1
fi
if ! command -v terraform >/dev/null; then
  echo "################################################################" >&2
  echo "# SKIPPED: terraform not found on PATH: the Terraform end-to-end #" >&2
  echo "# suites will report themselves as skipped.                     #" >&2
  echo "################################################################" >&2
fi
