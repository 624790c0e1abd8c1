import { parseFaultConfig, type FaultConfig } from './faults';
import { OptionsError } from './option-errors';

/**
 * vers-local's options. Each one can be given as a flag (`--api-port 8080`
 * or `--api-port=8080`) or an environment variable (`VERS_LOCAL_API_PORT`);
 * a flag wins over the environment. Unknown flags are an error that names
 * the flag.
 */
export interface VersLocalOptions {
  /** Address the API and the SSH gateway listen on. Default `127.0.0.1`. */
  host: string;
  /** API port; 0 picks a free port. Default 0. */
  apiPort: number;
  /** SSH gateway (TLS/SNI) port; 0 picks a free port. Default 0. */
  gatewayPort: number;
  /**
   * State directory (commits, snapshots, VM layers, CA). Default: a new temp
   * directory, removed at exit. A given directory keeps commits across runs.
   */
  stateDir: string | undefined;
  /** The API key: 36-char UUID key id + 64 hex chars. Default: a random one. Secret. */
  apiKey: string | undefined;
  /** VM domain, starting with `vm.`: SSH SNI is `{vm_id}.{vmDomain}`. Default `vm.vers-local.test`. */
  vmDomain: string;
  /** Org vCPU quota. Default 8. */
  vcpuQuota: number;
  /** Org memory quota in MiB. Default 16384. */
  memoryQuotaMib: number;
  /** Per-VM vCPU maximum. Default 4 (server dev config). */
  maxVcpuPerVm: number;
  /** Per-VM memory maximum in MiB. Default 8196 (server dev config). */
  maxMemoryMibPerVm: number;
  /** Per-VM disk maximum in MiB. Default 16392 (server dev config). */
  maxDiskMibPerVm: number;
  /** How long a new root VM stays `booting` after its sandbox starts, in ms. Default 300. */
  bootDelayMs: number;
  /** Serve the API over HTTPS with a certificate from vers-local's CA. Default false. */
  https: boolean;
  /** Seed of fault injection's random decisions. Default 1. */
  seed: number;
  /** Fault injection at start, as JSON (see FaultConfig in emulator/faults.ts). Default none. */
  faults: FaultConfig;
  /** Largest request body accepted, in bytes (axum's default is 2 MiB). Default 2097152. */
  maxBodyBytes: number;
  /** Log requests to stderr as well as lifecycle events. Default false. */
  verbose: boolean;
}

type Kind = 'string' | 'port' | 'count' | 'boolean' | 'faults';

interface OptionSpec {
  key: keyof VersLocalOptions;
  flag: string;
  env: string;
  kind: Kind;
  /** For counts: inclusive range. */
  min?: number;
  max?: number;
  help: string;
}

const SPECS: readonly OptionSpec[] = [
  { key: 'host', flag: '--host', env: 'VERS_LOCAL_HOST', kind: 'string', help: 'listen address (default 127.0.0.1)' },
  { key: 'apiPort', flag: '--api-port', env: 'VERS_LOCAL_API_PORT', kind: 'port', help: 'API port, 0 = any free port (default 0)' },
  { key: 'gatewayPort', flag: '--gateway-port', env: 'VERS_LOCAL_GATEWAY_PORT', kind: 'port', help: 'SSH gateway port, 0 = any free port (default 0)' },
  { key: 'stateDir', flag: '--state-dir', env: 'VERS_LOCAL_STATE_DIR', kind: 'string', help: 'state directory; kept across runs (default: temp dir removed at exit)' },
  { key: 'apiKey', flag: '--api-key', env: 'VERS_LOCAL_API_KEY', kind: 'string', help: 'API key: UUID key id + 64 hex chars (default: random)' },
  { key: 'vmDomain', flag: '--vm-domain', env: 'VERS_LOCAL_VM_DOMAIN', kind: 'string', help: 'VM domain for SSH SNI (default vm.vers-local.test)' },
  { key: 'vcpuQuota', flag: '--vcpu-quota', env: 'VERS_LOCAL_VCPU_QUOTA', kind: 'count', min: 1, max: 4096, help: 'org vCPU quota (default 8)' },
  { key: 'memoryQuotaMib', flag: '--memory-quota-mib', env: 'VERS_LOCAL_MEMORY_QUOTA_MIB', kind: 'count', min: 1, max: 16777216, help: 'org memory quota, MiB (default 16384)' },
  { key: 'maxVcpuPerVm', flag: '--max-vcpu-per-vm', env: 'VERS_LOCAL_MAX_VCPU_PER_VM', kind: 'count', min: 1, max: 4096, help: 'per-VM vCPU maximum (default 4)' },
  { key: 'maxMemoryMibPerVm', flag: '--max-memory-mib-per-vm', env: 'VERS_LOCAL_MAX_MEMORY_MIB_PER_VM', kind: 'count', min: 1, max: 16777216, help: 'per-VM memory maximum, MiB (default 8196)' },
  { key: 'maxDiskMibPerVm', flag: '--max-disk-mib-per-vm', env: 'VERS_LOCAL_MAX_DISK_MIB_PER_VM', kind: 'count', min: 1, max: 16777216, help: 'per-VM disk maximum, MiB (default 16392)' },
  { key: 'bootDelayMs', flag: '--boot-delay-ms', env: 'VERS_LOCAL_BOOT_DELAY_MS', kind: 'count', min: 0, max: 600000, help: 'time a new root VM stays booting, ms (default 300)' },
  { key: 'https', flag: '--https', env: 'VERS_LOCAL_HTTPS', kind: 'boolean', help: 'serve the API over HTTPS using the vers-local CA (default false)' },
  { key: 'seed', flag: '--seed', env: 'VERS_LOCAL_SEED', kind: 'count', min: 0, max: 2 ** 32 - 1, help: 'seed of fault injection (default 1)' },
  { key: 'faults', flag: '--faults', env: 'VERS_LOCAL_FAULTS', kind: 'faults', help: 'fault injection config as JSON (see emulator/README.md)' },
  { key: 'maxBodyBytes', flag: '--max-body-bytes', env: 'VERS_LOCAL_MAX_BODY_BYTES', kind: 'count', min: 1024, max: 1 << 30, help: 'largest request body, bytes (default 2097152)' },
  { key: 'verbose', flag: '--verbose', env: 'VERS_LOCAL_VERBOSE', kind: 'boolean', help: 'log every request to stderr (default false)' },
];

export const DEFAULT_OPTIONS: Readonly<VersLocalOptions> = {
  host: '127.0.0.1',
  apiPort: 0,
  gatewayPort: 0,
  stateDir: undefined,
  apiKey: undefined,
  vmDomain: 'vm.vers-local.test',
  vcpuQuota: 8,
  memoryQuotaMib: 16384,
  maxVcpuPerVm: 4,
  maxMemoryMibPerVm: 8196,
  maxDiskMibPerVm: 16392,
  bootDelayMs: 300,
  https: false,
  seed: 1,
  faults: { seed: 1, routes: [], bootFailureRate: 0, sshdStartDelayMs: 0 },
  maxBodyBytes: 2 * 1024 * 1024,
  verbose: false,
};

const API_KEY = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}[0-9a-fA-F]{64}$/;

/** Usage text for `--help`. */
export function usage(): string {
  const lines = SPECS.map((s) => `  ${`${s.flag}${s.kind === 'boolean' ? '' : ' <value>'}`.padEnd(32)} ${s.help}  [${s.env}]`);
  return [
    'Usage: vers-local [options]',
    '',
    'A local Vers: the /api/v1 REST API, sandboxed VMs with a real sshd, and a TLS/SNI SSH gateway.',
    'Prints one JSON line when ready: {"base_url","api_key","vm_domain","ssh_gateway","tls_ca_file","state_dir"}.',
    'Stops on SIGTERM or SIGINT, removing every VM.',
    '',
    'Options (flags override environment variables):',
    ...lines,
    '  --help                           print this text',
  ].join('\n');
}

/** Thrown for `--help`: the caller prints usage and exits 0. */
export class HelpRequested extends Error {
  constructor() {
    super('help requested');
    this.name = 'HelpRequested';
  }
}

/** Read options from argv (without node and script) and the environment; throws OptionsError naming the culprit. */
export function parseOptions(argv: readonly string[], env: NodeJS.ProcessEnv): VersLocalOptions {
  const raw = new Map<OptionSpec, { value: string; source: string }>();
  for (const spec of SPECS) {
    const value = env[spec.env];
    if (value !== undefined && value !== '') raw.set(spec, { value, source: `environment variable ${spec.env}` });
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') throw new HelpRequested();
    const eq = arg.indexOf('=');
    const flag = eq >= 0 ? arg.slice(0, eq) : arg;
    const spec = SPECS.find((s) => s.flag === flag);
    if (spec === undefined) throw new OptionsError(`unknown flag "${flag}" (see vers-local --help)`);
    let value: string;
    if (eq >= 0) value = arg.slice(eq + 1);
    else if (spec.kind === 'boolean') value = 'true';
    else {
      const next = argv[i + 1];
      if (next === undefined) throw new OptionsError(`flag ${flag} needs a value`);
      value = next;
      i++;
    }
    raw.set(spec, { value, source: `flag ${flag}` });
  }

  const options: VersLocalOptions = { ...DEFAULT_OPTIONS };
  const record = options as unknown as Record<string, unknown>;
  let faultsText: { value: string; source: string } | undefined;
  for (const [spec, { value, source }] of raw) {
    if (spec.kind === 'faults') faultsText = { value, source };
    else record[spec.key] = convert(spec, value, source);
  }
  // Faults last: their default seed is the --seed value.
  options.faults = faultsText === undefined ? { ...DEFAULT_OPTIONS.faults, seed: options.seed } : parseFaults(faultsText.value, faultsText.source, options.seed);
  if (options.apiKey !== undefined && !API_KEY.test(options.apiKey)) {
    // Never echo the key itself.
    throw new OptionsError(`the API key must be a 36-character UUID key id followed by 64 hex characters (100 characters; got ${options.apiKey.length})`);
  }
  if (!/^vm\.[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/.test(options.vmDomain)) {
    // The gateway routes SNI `{vm_id}.vm.<domain>`, as Vers's proxy does.
    throw new OptionsError(`the VM domain must be a lowercase DNS name starting with "vm.", like vm.vers-local.test; got "${options.vmDomain}"`);
  }
  return options;
}

function convert(spec: OptionSpec, value: string, source: string): unknown {
  switch (spec.kind) {
    case 'string':
      if (value === '') throw new OptionsError(`${source} must not be empty`);
      return value;
    case 'boolean':
      if (['true', '1', 'yes'].includes(value)) return true;
      if (['false', '0', 'no'].includes(value)) return false;
      throw new OptionsError(`${source} must be true or false, got "${value}"`);
    case 'port':
      return integerIn(value, 0, 65535, source);
    case 'count':
      return integerIn(value, spec.min ?? 0, spec.max ?? Number.MAX_SAFE_INTEGER, source);
    case 'faults':
      throw new Error('unreachable: faults are parsed separately');
  }
}

function integerIn(value: string, min: number, max: number, source: string): number {
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) throw new OptionsError(`${source} must be an integer from ${min} to ${max}, got "${value}"`);
  return Number(value);
}

function parseFaults(text: string, source: string, seed: number): FaultConfig {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new OptionsError(`${source} is not JSON: ${(error as Error).message}`);
  }
  try {
    return parseFaultConfig(parsed, seed);
  } catch (error) {
    if (error instanceof OptionsError) throw new OptionsError(`${source}: ${error.message}`);
    throw error;
  }
}
