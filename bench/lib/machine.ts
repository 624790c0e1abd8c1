import { spawnSync } from 'node:child_process';
import { cpus, release, totalmem } from 'node:os';

/** What a figure was measured on: printed with the numbers and stored in results.json. */
export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryMib: number;
  kernel: string;
  node: string;
  /** `terraform version` first line, or "not installed". */
  terraform: string;
  openssh: string;
  date: string;
}

/** First line a version command prints, on stdout or stderr (ssh -V uses stderr). */
function versionLine(command: string, args: string[]): string {
  const result = spawnSync(command, args, { encoding: 'utf8', env: { ...process.env, CHECKPOINT_DISABLE: '1', TF_CLI_CONFIG_FILE: '/dev/null' } });
  if (result.error !== undefined) return 'not installed';
  const text = `${result.stdout}\n${result.stderr}`.split('\n').find((line) => line.trim() !== '');
  return text?.trim() ?? 'unknown';
}

export function machineInfo(): MachineInfo {
  const cores = cpus();
  return {
    cpu: cores[0]?.model ?? 'unknown',
    cores: cores.length,
    memoryMib: Math.round(totalmem() / 1024 / 1024),
    kernel: release(),
    node: process.version,
    terraform: versionLine('terraform', ['version']),
    openssh: versionLine('ssh', ['-V']),
    date: new Date().toISOString(),
  };
}

export function describeMachine(machine: MachineInfo): string {
  return `${machine.cpu}, ${machine.cores} cores, ${machine.memoryMib} MiB; kernel ${machine.kernel}; Node ${machine.node}; ${machine.terraform}; ${machine.openssh}; ${machine.date}`;
}
