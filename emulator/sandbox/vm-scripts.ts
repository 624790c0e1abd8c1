/**
 * The shell scripts that build and enter a VM. Every value reaches them as a
 * positional argument ("$1"…), never by string interpolation, so ids, paths
 * and configs cannot turn into code. Secrets (the host key) arrive on stdin.
 * They run under /bin/sh (dash on Debian): POSIX sh only.
 */

/**
 * P1, the holder of mount namespace A (started as `unshare --mount
 * --propagation private /bin/sh <stateDir>/scripts/vm-holder.sh …`). It joins the VM's cgroups,
 * mounts the tmpfs disk and the overlays, then runs the VM's init in new
 * PID/mount/net/UTS/IPC namespaces and waits for it: the mounts live exactly
 * as long as P1 (or anything else in namespace A).
 *
 * Args: vm_dir size_mib vm_id layers_base lowers fresh_dirs attr_refs init_script_file sshd_config_file cgroup.procs…
 * - lowers: the commit layers relative to layers_base, joined by ":", newest first ("" for a root VM).
 * - fresh_dirs: newline-separated host directories a root VM gets empty (opaque) instead of the host's.
 * - attr_refs: newline-separated host directories whose mode/owner those fresh dirs and their parents copy.
 */
export const NAMESPACE_HOLDER_SCRIPT = `set -eu
vm_dir=$1 size_mib=$2 vm_id=$3 layers_base=$4 lowers=$5 fresh_dirs=$6 attr_refs=$7 init_script_file=$8 sshd_config_file=$9
shift 9
for procs in "$@"; do echo $$ > "$procs"; done
fs=$vm_dir/fs
mkdir -p "$fs"
mount -t tmpfs -o "size=\${size_mib}m,mode=0755" vers-local-disk "$fs"
mkdir "$fs/upper" "$fs/work" "$fs/host" "$fs/merged" "$fs/empty"
if [ -n "$fresh_dirs" ]; then
  # Overlayfs marks a directory opaque when it is made where a lower one was removed:
  # do that through a throwaway overlay over an empty skeleton, so no xattr tool is needed.
  mkdir "$fs/skel"
  saved_ifs=$IFS
  IFS='
'
  for dir in $fresh_dirs; do mkdir -p "$fs/skel$dir"; done
  mount -t overlay overlay -o "lowerdir=$fs/skel,upperdir=$fs/upper,workdir=$fs/work" "$fs/merged"
  for dir in $fresh_dirs; do rmdir "$fs/merged$dir"; mkdir "$fs/merged$dir"; done
  for ref in $attr_refs; do chmod --reference="$ref" "$fs/merged$ref"; chown --reference="$ref" "$fs/merged$ref"; done
  IFS=$saved_ifs
  umount "$fs/merged"
  rm -rf "$fs/skel"
fi
# The host root cannot be a lower layer next to commit layers that live on the same filesystem
# (overlayfs refuses nested layer paths), so it is wrapped in a read-only overlay of its own first.
mount -t overlay overlay -o "lowerdir=/:$fs/empty" "$fs/host"
if [ -n "$lowers" ]; then
  cd "$layers_base"
  mount -t overlay overlay -o "index=off,lowerdir=$lowers:$fs/host,upperdir=$fs/upper,workdir=$fs/work" "$fs/merged"
  cd /
else
  mount -t overlay overlay -o "index=off,lowerdir=$fs/host,upperdir=$fs/upper,workdir=$fs/work" "$fs/merged"
fi
setpriv --pdeathsig KILL unshare --pid --fork --kill-child=SIGKILL --mount --propagation private --net --uts --ipc --cgroup \\
  /bin/sh "$init_script_file" "$vm_id" "$fs/merged" "$sshd_config_file"
`;

/**
 * The VM's init: pid 1 of the VM's PID namespace, in mount namespace B (a
 * copy of A) and its own cgroup namespace. It builds /dev, /proc and /sys, pivots into the overlay,
 * installs the SSH keys read from stdin (authorized key line, host key
 * lines, "END"), reports `ready <host pid>` and then only reaps orphans.
 *
 * Files are written after pivot_root on purpose: a restored layer may hold
 * symlinks, which must resolve inside the VM, never on the host.
 *
 * Args: vm_id root sshd_config_file (a host path, read before the pivot)
 */
export const INIT_SCRIPT = `set -eu
read -r host_pid _rest < /proc/self/stat
vm_id=$1 root=$2
sshd_config=$(cat "$3")
cd "$root"
mount -t tmpfs -o mode=0755,size=1m,nosuid vers-local-dev dev
mknod -m 666 dev/null c 1 3
mknod -m 666 dev/zero c 1 5
mknod -m 666 dev/full c 1 7
mknod -m 666 dev/random c 1 8
mknod -m 666 dev/urandom c 1 9
mknod -m 666 dev/tty c 5 0
mkdir -m 755 dev/pts
mkdir -m 1777 dev/shm
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts dev/pts
mount -t tmpfs -o mode=1777,nosuid,nodev vers-local-shm dev/shm
ln -s pts/ptmx dev/ptmx
ln -s /proc/self/fd dev/fd
ln -s /proc/self/fd/0 dev/stdin
ln -s /proc/self/fd/1 dev/stdout
ln -s /proc/self/fd/2 dev/stderr
mount -t proc -o nosuid,nodev,noexec proc proc
mount -t sysfs -o ro,nosuid,nodev,noexec sysfs sys
# pivot_root with new and old root the same stacks the old root on top; the lazy unmount drops it,
# leaving no put_old directory in the writable layer.
pivot_root . .
umount -l .
cd /
hostname "$vm_id"
ip link set lo up
IFS= read -r authorized_key
host_key=
while IFS= read -r line; do
  [ "$line" = END ] && break
  host_key="$host_key$line
"
done
umask 022
mkdir -p /etc/ssh /run/sshd
rm -f /etc/ssh/ssh_host_*
printf '%s\\n' "$sshd_config" > /etc/ssh/sshd_config
grep -q "$vm_id" /etc/hosts 2>/dev/null || printf '127.0.1.1\\t%s\\n' "$vm_id" >> /etc/hosts
umask 077
mkdir -p /root/.ssh
chmod 700 /root/.ssh
rm -f /root/.ssh/authorized_keys
printf '%s\\n' "$authorized_key" > /root/.ssh/authorized_keys
printf '%s' "$host_key" > /etc/ssh/ssh_host_ed25519_key
unset host_key authorized_key
echo "ready $host_pid"
exec </dev/null >/dev/null 2>&1
exec /bin/sh -c 'while :; do sleep infinity & wait; done' vers-init
`;

/**
 * Host side of every command run in a VM: join the given cgroups (so the
 * task is frozen, limited and killed with the VM from its first
 * instruction), then nsenter all of the VM's namespaces, root and cwd.
 *
 * Args: init_pid setpriv nsenter n cgroup.procs×n command…
 */
export const ENTER_VM_SCRIPT = `set -e
init_pid=$1 setpriv=$2 nsenter=$3 n=$4
shift 4
while [ "$n" -gt 0 ]; do echo $$ > "$1"; shift; n=$((n - 1)); done
exec "$setpriv" --pdeathsig KILL "$nsenter" -t "$init_pid" -m -p -n -u -i -C -r -w -- "$@"
`;

/**
 * Inside the VM: apply an exec request's env and working directory, then
 * exec the command (looked up on the VM's PATH).
 *
 * Args: working_dir ("" = /) n NAME=value×n command…
 */
export const EXEC_IN_VM_SCRIPT = `dir=$1 n=$2
shift 2
while [ "$n" -gt 0 ]; do export "$1"; shift; n=$((n - 1)); done
if [ -n "$dir" ]; then cd -- "$dir" || exit 125; fi
exec "$@"
`;

/** Exit statuses of the file scripts, mapped to SandboxFileError codes. */
export const FILE_STATUS = { NOT_FOUND: 3, IS_DIRECTORY: 4, MKDIR_FAILED: 5, WRITE_FAILED: 6, CHMOD_FAILED: 7 } as const;

/** Inside the VM: print a file. Args: path */
export const READ_FILE_SCRIPT = `[ -e "$1" ] || exit ${FILE_STATUS.NOT_FOUND}
[ -d "$1" ] && exit ${FILE_STATUS.IS_DIRECTORY}
exec cat -- "$1"
`;

/** Inside the VM: write stdin to a file with a mode, optionally making its parents. Args: path octal_mode make_dirs(0|1) */
export const WRITE_FILE_SCRIPT = `path=$1 mode=$2 make_dirs=$3
parent=\${path%/*}
[ -n "$parent" ] || parent=/
if [ "$make_dirs" = 1 ]; then mkdir -p -- "$parent" || exit ${FILE_STATUS.MKDIR_FAILED}; fi
[ -d "$parent" ] || exit ${FILE_STATUS.NOT_FOUND}
[ -d "$path" ] && exit ${FILE_STATUS.IS_DIRECTORY}
umask 077
cat > "$path" || { rm -f -- "$path"; exit ${FILE_STATUS.WRITE_FAILED}; }
chmod "$mode" -- "$path" || exit ${FILE_STATUS.CHMOD_FAILED}
`;
