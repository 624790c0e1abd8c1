import type { Duplex } from 'node:stream';

/**
 * The contract between vers-local's HTTP models (emulator/models) and the
 * sandboxes that stand in for Firecracker VMs (emulator/sandbox). Models own
 * ids, states, commits metadata and quotas; a sandbox owns processes, mounts
 * and files. Nothing here knows about HTTP.
 */

/** What a new sandbox is made from. */
export interface SandboxSpec {
  /** The VM id (lowercase UUID v4); used in names of cgroups and directories. */
  vmId: string;
  /** Read-only filesystem layers under the VM's writable layer, newest first (commit snapshot dirs). The host root is always the bottom layer. */
  layers: readonly string[];
  /** Size of the writable layer in MiB (the VM's disk). */
  fsSizeMib: number;
  /** Memory limit in MiB. */
  memSizeMib: number;
  /** vCPUs; recorded, and used as a CPU weight where the host allows it. */
  vcpuCount: number;
  /** The `ssh-ed25519 AAAA…` line installed as root's only authorized key. */
  authorizedKey: string;
  /** The VM's SSH host key, OpenSSH private key format. A VM restored from a commit gets a new one. */
  hostKeyOpenSsh: string;
}

/** One command run inside a sandbox, as `POST /vm/{id}/exec` describes it. */
export interface ExecRequest {
  /** argv; the first element is looked up on the VM's PATH. */
  command: readonly string[];
  env?: Readonly<Record<string, string>>;
  workingDir?: string;
  stdin?: Buffer;
  /** 0 or undefined: no limit. */
  timeoutSecs?: number;
}

export interface ExecResult {
  /** Exit status; 128 + signal number when a signal ended the command; 124 when timeoutSecs expired. */
  exitCode: number;
  /** True when timeoutSecs expired and every process the command started was killed. */
  timedOut?: boolean;
}

export type ExecStream = 'stdout' | 'stderr';

/** A running sandbox: the VM's processes, root filesystem and SSH daemon. */
export interface Sandbox {
  readonly vmId: string;
  /** The host pid of the VM's init (pid 1 inside the VM's PID namespace). */
  readonly initPid: number;
  readonly paused: boolean;
  /** Freeze every process of the VM. Idempotent. */
  pause(): Promise<void>;
  /** Thaw every process of the VM. Idempotent. */
  resume(): Promise<void>;
  /**
   * Copy the VM's writable layer into `destDir` (which must not exist yet;
   * its parent is created), producing an immutable layer usable in
   * `SandboxSpec.layers`. The caller pauses the VM around the copy so the
   * snapshot is consistent. Rejects SNAPSHOT_FAILED.
   */
  snapshot(destDir: string): Promise<void>;
  /** Grow the writable layer to `fsSizeMib` (callers check it is larger). */
  resizeDisk(fsSizeMib: number): Promise<void>;
  /**
   * Run a command inside the VM, streaming output chunks as they come.
   * Rejects VM_PAUSED while paused, SANDBOX_NOT_RUNNING once destroyed,
   * INVALID_REQUEST for a malformed request; a command that fails still resolves.
   */
  exec(req: ExecRequest, onOutput?: (stream: ExecStream, chunk: Buffer) => void): Promise<ExecResult>;
  /** Read a file inside the VM (absolute path). Rejects FILE_NOT_FOUND, NOT_A_FILE, INVALID_PATH, VM_PAUSED (SandboxError codes). */
  readFile(path: string): Promise<Buffer>;
  /** Write a file inside the VM (absolute path; mode such as 0o644). Rejects PARENT_NOT_FOUND (createDirs false), NOT_A_FILE, DISK_FULL, INVALID_PATH, VM_PAUSED. */
  writeFile(path: string, content: Buffer, mode: number, createDirs: boolean): Promise<void>;
  /**
   * Start a real OpenSSH sshd for one connection inside the VM (inetd mode)
   * and return the byte stream of that connection. Closing the stream ends
   * the sshd. Allowed while paused: the session then stalls until resume.
   */
  openSshSession(): Promise<Duplex>;
  /** Kill every process of the VM and free its mounts, cgroups and writable layer. Idempotent. */
  destroy(): Promise<void>;
}

/** Options of createSandboxDriver; unknown keys and wrong types are rejected (SandboxValidationError, INVALID_OPTIONS). */
export interface SandboxDriverOptions {
  /** Absolute directory holding one directory per VM (`<stateDir>/vms/<vmId>`); created if missing. Required. Hidden inside root VMs. */
  stateDir: string;
  /** Name of this driver's cgroup directories, unique per vers-local instance. Default `vers-local-<pid>`. */
  cgroupPrefix?: string;
  /** Receives debug lines (setup failures, sshd logs). Never receives key material. Default: discarded. */
  logger?: (line: string) => void;
  /** How long create() waits for the VM's init, in ms. Default 15000. */
  startTimeoutMs?: number;
}

export interface SandboxDriver {
  /** Create and start a sandbox; resolves when its init runs. */
  create(spec: SandboxSpec): Promise<Sandbox>;
  /** Destroy every sandbox this driver made. */
  shutdown(): Promise<void>;
}
