/** Resource limits of one VM's cgroup. */
export interface CgroupLimits {
  /** Hard memory limit in bytes (VM memory plus its tmpfs disk, whose pages are charged to the VM). */
  memoryBytes: number;
  /** vCPUs, turned into a relative CPU weight where the cpu controller is available. */
  vcpuCount: number;
}

/** A child group of a VM's cgroup holding one command and everything it starts, so it can be killed as a whole. */
export interface TaskCgroup {
  /** cgroup.procs files a process writes its own pid to (one per hierarchy), before exec'ing the task. */
  readonly joinFiles: readonly string[];
  /** SIGKILL every process of the group (waits until they are gone unless the VM is frozen). */
  kill(): Promise<void>;
  /** Remove the group if it is empty; a group still holding processes is left for the VM's teardown. */
  removeIfEmpty(): Promise<void>;
}

/** The cgroup(s) of one VM: membership, limits, freezing and teardown. */
export interface VmCgroup {
  /** cgroup.procs files a process writes its own pid to, to become part of the VM. */
  readonly joinFiles: readonly string[];
  setLimits(limits: CgroupLimits): Promise<void>;
  /** Freeze every process and wait until the kernel reports the group frozen. */
  freeze(): Promise<void>;
  thaw(): Promise<void>;
  createTaskGroup(name: string): Promise<TaskCgroup>;
  /** SIGKILL every process of the VM, thaw, and wait until the group is empty. */
  killAll(timeoutMs: number): Promise<void>;
  /** Remove the VM's directories (task groups first); the group must be empty. */
  remove(timeoutMs: number): Promise<void>;
}

/** The host's cgroup setup (v1 hierarchies or the v2 unified tree) for one driver instance. */
export interface CgroupHost {
  readonly version: 1 | 2;
  /** Create the cgroup(s) of a VM under this driver's prefix. */
  createVmCgroup(vmId: string): Promise<VmCgroup>;
  /** Remove the driver's prefix directories (they must be empty). */
  removePrefix(): Promise<void>;
  /**
   * Remove sibling prefix trees for which `isStale(name)` holds and that hold
   * no process (left by a vers-local that was SIGKILLed); returns what went.
   */
  sweepStale(isStale: (name: string) => boolean): Promise<string[]>;
}
