import { X509Certificate } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { isIP } from 'node:net';
import { rootCertificates } from 'node:tls';
import { ConfigError } from './base/errors';
import { stripUrlCredentials } from './base/strip-url-credentials';
import { API_KEY_PATTERN, SecretRedactor } from './base/redaction';
import { durationRangeOf, loadPackageSchema } from './schema/package-schema';
import { durationRangeFailure, parseDuration } from './base/duration';

/**
 * Provider configuration: what users set on the Pulumi provider / Terraform
 * provider block, with VERS_* environment fallbacks. Resolving validates
 * everything that can be checked locally; the API key is only required when
 * an API call is made (see `requireApiKey`), so previews work without one.
 */

/** Provider arguments as users write them; every field is optional. */
export interface ProviderConfigInput {
  /** Vers API key (100 characters). Env: VERS_API_KEY. */
  apiKey?: string;
  /** API base URL, with or without `/api/v1`. Default `https://api.vers.sh/api/v1`. Env: VERS_BASE_URL. */
  baseUrl?: string;
  /** Domain of VM host names. Default: API host with `api.` replaced by `vm.`. Env: VERS_VM_DOMAIN. */
  vmDomain?: string;
  /** `host:port` dialled for SSH-over-TLS instead of `{vm_id}.{vm_domain}:443`. Env: VERS_SSH_GATEWAY. */
  sshGateway?: string;
  /** Extra PEM CA trusted for the API and the SSH gateway. Env: VERS_CA_FILE. */
  tlsCaFile?: string;
  /** Skip TLS certificate verification. Default false. Env: VERS_INSECURE_SKIP_TLS_VERIFY. */
  insecureSkipTlsVerify?: boolean;
  /** Allow a plain `http` base_url to a host other than this machine (the API key then travels unencrypted). Default false. Env: VERS_ALLOW_INSECURE_HTTP. */
  allowInsecureHttp?: boolean;
  /** Wait for a VM to boot, as a duration (`90s`, `10m`). Default `5m`. Env: VERS_BOOT_TIMEOUT. */
  bootTimeout?: string;
}

export interface SshGatewayAddress {
  host: string;
  port: number;
}

export interface ResolvedProviderConfig {
  /** The validated key, or undefined when none is configured (calls then fail with ConfigError). */
  readonly apiKey: string | undefined;
  /** Normalised API base ending in `/api/v1`, no trailing slash. */
  readonly baseUrl: string;
  /** `scheme://host[:port]` of the API, without the `/api/v1` prefix. */
  readonly apiOrigin: string;
  /** VM domain, explicit or derived; undefined when it cannot be derived (see `requireVmDomain`). */
  readonly vmDomain: string | undefined;
  readonly sshGateway: SshGatewayAddress | undefined;
  readonly tlsCaFile: string | undefined;
  /** Contents of `tlsCaFile` (PEM), read once. */
  readonly tlsCaPem: string | undefined;
  readonly insecureSkipTlsVerify: boolean;
  readonly allowInsecureHttp: boolean;
  /** Limit for waiting on a VM to boot, ms. */
  readonly bootTimeoutMs: number;
  /** What the settings put at risk, for the engine to show as warnings (Terraform diagnostics, Pulumi log warnings). */
  readonly warnings: readonly ConfigWarning[];
}

export interface ConfigWarning {
  /** The setting in snake_case, as users write it (`insecure_skip_tls_verify`). */
  option: string;
  message: string;
}

export const DEFAULT_BASE_URL = 'https://api.vers.sh/api/v1';
const API_PREFIX = '/api/v1';
const INPUT_KEYS: ReadonlySet<string> = new Set(['apiKey', 'baseUrl', 'vmDomain', 'sshGateway', 'tlsCaFile', 'insecureSkipTlsVerify', 'allowInsecureHttp', 'bootTimeout']);
export const DEFAULT_BOOT_TIMEOUT = '5m';

export function resolveProviderConfig(input: ProviderConfigInput = {}, env: NodeJS.ProcessEnv = process.env): ResolvedProviderConfig {
  for (const key of Object.keys(input)) {
    if (!INPUT_KEYS.has(key)) throw new ConfigError(key, `unknown provider configuration key ${JSON.stringify(key)}; known keys: ${[...INPUT_KEYS].join(', ')}`);
  }
  const apiKey = resolveApiKey(pick(input.apiKey, env.VERS_API_KEY, 'api_key'));
  const { baseUrl, apiOrigin, apiHost } = resolveBaseUrl(pick(input.baseUrl, env.VERS_BASE_URL, 'base_url'));
  const vmDomain = resolveVmDomain(pick(input.vmDomain, env.VERS_VM_DOMAIN, 'vm_domain'), apiHost);
  const sshGateway = resolveSshGateway(pick(input.sshGateway, env.VERS_SSH_GATEWAY, 'ssh_gateway'));
  const tlsCaFile = pick(input.tlsCaFile, env.VERS_CA_FILE, 'tls_ca_file');
  const tlsCaPem = tlsCaFile === undefined ? undefined : readCaFile(tlsCaFile);
  const insecureSkipTlsVerify = resolveBoolean(input.insecureSkipTlsVerify, env.VERS_INSECURE_SKIP_TLS_VERIFY, 'insecure_skip_tls_verify');
  const allowInsecureHttp = resolveBoolean(input.allowInsecureHttp, env.VERS_ALLOW_INSECURE_HTTP, 'allow_insecure_http');
  const bootTimeoutMs = resolveDuration(pick(input.bootTimeout, env.VERS_BOOT_TIMEOUT, 'boot_timeout') ?? DEFAULT_BOOT_TIMEOUT, 'boot_timeout', 'bootTimeout');
  const warnings: ConfigWarning[] = [];
  if (apiOrigin.startsWith('http:') && !isLoopbackHost(apiHost)) {
    if (!allowInsecureHttp) {
      throw new ConfigError(
        'base_url',
        `base_url ${apiOrigin} uses plain http to ${apiHost}, which is not this machine: the API key would travel unencrypted. ` +
          'Use https, or set allow_insecure_http = true (VERS_ALLOW_INSECURE_HTTP=true) to accept that',
      );
    }
    warnings.push({
      option: 'allow_insecure_http',
      message: `the API key is sent unencrypted to ${apiOrigin} (plain http, allowed by allow_insecure_http): anyone on the network path can read it; use https unless that network is trusted`,
    });
  }
  if (insecureSkipTlsVerify) {
    warnings.push({
      option: 'insecure_skip_tls_verify',
      message: 'insecure_skip_tls_verify is set: the TLS certificates of the API and the SSH gateway are not verified, so anyone on the network path can impersonate Vers and read the API key; use it only for debugging',
    });
  }
  return { apiKey, baseUrl, apiOrigin, vmDomain, sshGateway, tlsCaFile, tlsCaPem, insecureSkipTlsVerify, allowInsecureHttp, bootTimeoutMs, warnings };
}

/** `localhost`, 127.0.0.0/8 or ::1: traffic that never leaves this machine. */
function isLoopbackHost(host: string): boolean {
  const bare = host.toLowerCase().replace(/^\[|\]$/g, '');
  if (bare === 'localhost' || bare.endsWith('.localhost')) return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  if (isIP(bare) === 6) return bare === '::1' || bare === '0:0:0:0:0:0:0:1';
  return false;
}

/** The API key, or a ConfigError telling the user how to set one. */
export function requireApiKey(config: Pick<ResolvedProviderConfig, 'apiKey'>): string {
  if (config.apiKey === undefined) {
    throw new ConfigError('api_key', 'no Vers API key configured: set the provider api_key argument or the VERS_API_KEY environment variable');
  }
  return config.apiKey;
}

/** The VM domain, or a ConfigError explaining that it cannot be derived from this API host. */
export function requireVmDomain(config: Pick<ResolvedProviderConfig, 'vmDomain' | 'apiOrigin'>): string {
  if (config.vmDomain === undefined) {
    throw new ConfigError(
      'vm_domain',
      `cannot derive the VM domain from the API host of ${config.apiOrigin} (only api.<domain> hosts map to vm.<domain>); ` +
        'set the provider vm_domain argument or VERS_VM_DOMAIN, e.g. to the vm_domain vers-local prints',
    );
  }
  return config.vmDomain;
}

/**
 * CA list for TLS connections: undefined (Node's default, the system CAs)
 * unless a CA file is configured, in which case the system CAs plus that file.
 */
export function trustedCertificates(config: Pick<ResolvedProviderConfig, 'tlsCaPem'>): string[] | undefined {
  return config.tlsCaPem === undefined ? undefined : [...rootCertificates, config.tlsCaPem];
}

/**
 * `text` without the configured API key (and its secret half), bearer
 * tokens, PEM private keys and URL credentials: `SecretRedactor.redact` for
 * callers that know only the configuration.
 */
export function redact(text: string, secrets: Pick<ResolvedProviderConfig, 'apiKey'> | ReadonlyArray<string | undefined> = []): string {
  const given = Array.isArray(secrets) ? secrets : [(secrets as Pick<ResolvedProviderConfig, 'apiKey'>).apiKey];
  return new SecretRedactor(given).redact(text);
}

function pick(value: string | undefined, envValue: string | undefined, option: string): string | undefined {
  if (value !== undefined && typeof value !== 'string') throw new ConfigError(option, `${option} must be a string`);
  const chosen = value !== undefined && value !== '' ? value : envValue;
  if (chosen === undefined) return undefined;
  const trimmed = chosen.trim();
  return trimmed === '' ? undefined : trimmed;
}

function resolveApiKey(key: string | undefined): string | undefined {
  if (key === undefined) return undefined;
  if (!API_KEY_PATTERN.test(key)) {
    // Never echo the key: only its length and shape.
    throw new ConfigError(
      'api_key',
      `the Vers API key is malformed (${key.length} characters); a key is 100 characters: a 36-character key id (UUID) followed by a 64-character hex secret. ` +
        'Check VERS_API_KEY or the provider api_key for truncation or extra characters',
    );
  }
  return key;
}

function resolveBaseUrl(raw: string | undefined): { baseUrl: string; apiOrigin: string; apiHost: string } {
  const text = raw ?? DEFAULT_BASE_URL;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError('base_url', `base_url ${JSON.stringify(stripUrlCredentials(text))} is not a URL; expected e.g. ${DEFAULT_BASE_URL}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigError('base_url', `base_url must use http or https, got ${JSON.stringify(url.protocol.replace(/:$/, ''))} in ${JSON.stringify(stripUrlCredentials(text))}`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new ConfigError('base_url', 'base_url must not contain credentials; put the API key in api_key or VERS_API_KEY');
  }
  if (url.search !== '' || url.hash !== '') {
    throw new ConfigError('base_url', `base_url must not have a query or fragment, got ${JSON.stringify(text)}`);
  }
  let path = url.pathname.replace(/\/+$/, '');
  if (path.endsWith(API_PREFIX)) path = path.slice(0, -API_PREFIX.length);
  const apiOrigin = `${url.origin}${path}`;
  return { baseUrl: `${apiOrigin}${API_PREFIX}`, apiOrigin, apiHost: url.hostname };
}

function resolveVmDomain(explicit: string | undefined, apiHost: string): string | undefined {
  if (explicit !== undefined) {
    const domain = explicit.replace(/^\.+|\.+$/g, '').toLowerCase();
    if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(domain)) {
      throw new ConfigError('vm_domain', `vm_domain ${JSON.stringify(explicit)} is not a DNS domain (e.g. vm.vers.sh)`);
    }
    return domain;
  }
  const host = apiHost.toLowerCase();
  if (isIP(host.replace(/^\[|\]$/g, '')) !== 0) return undefined;
  if (host.startsWith('api.') && host.length > 4) return `vm.${host.slice(4)}`;
  return undefined;
}

function resolveSshGateway(raw: string | undefined): SshGatewayAddress | undefined {
  if (raw === undefined) return undefined;
  // host:port, with IPv6 hosts in brackets ([::1]:8443).
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s[\]]+)):(\d{1,5})$/.exec(raw);
  const port = match === null ? NaN : Number(match[3]);
  if (match === null || !(port >= 1 && port <= 65535)) {
    throw new ConfigError('ssh_gateway', `ssh_gateway ${JSON.stringify(raw)} must be host:port (e.g. 127.0.0.1:8443 or [::1]:8443) with a port from 1 to 65535`);
  }
  return { host: (match[1] ?? match[2]) as string, port };
}

function readCaFile(path: string): string {
  let text: string;
  try {
    if (!statSync(path).isFile()) throw new Error('not a regular file');
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConfigError('tls_ca_file', `tls_ca_file ${JSON.stringify(path)} cannot be read (${reason}); point tls_ca_file or VERS_CA_FILE at a PEM CA certificate`, {
      cause: error,
    });
  }
  if (!/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.test(text)) {
    throw new ConfigError('tls_ca_file', `tls_ca_file ${JSON.stringify(path)} is not a PEM certificate (no BEGIN CERTIFICATE block)`);
  }
  try {
    new X509Certificate(text);
  } catch (error) {
    throw new ConfigError('tls_ca_file', `tls_ca_file ${JSON.stringify(path)} holds a PEM block that is not a valid X.509 certificate`, { cause: error });
  }
  return text;
}

function resolveBoolean(value: boolean | undefined, envValue: string | undefined, option: string): boolean {
  if (value !== undefined) {
    if (typeof value !== 'boolean') throw new ConfigError(option, `${option} must be true or false`);
    return value;
  }
  if (envValue === undefined || envValue.trim() === '') return false;
  const normalised = envValue.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(normalised)) return true;
  if (['0', 'false', 'no', 'off'].includes(normalised)) return false;
  throw new ConfigError(option, `VERS_${option.toUpperCase()} must be true or false, got ${JSON.stringify(envValue)}`);
}

/** A duration setting, within the range schema.json gives its config variable `variable`. */
function resolveDuration(text: string, option: string, variable: string): number {
  let ms: number;
  try {
    ms = parseDuration(text);
  } catch {
    throw new ConfigError(option, `${option} must be a positive duration such as 90s, 10m or 1h30m, not ${JSON.stringify(text)}`);
  }
  const range = durationRangeOf(loadPackageSchema().config.variables[variable]);
  const outOfRange = range === undefined ? undefined : durationRangeFailure(text, range);
  if (outOfRange !== undefined) throw new ConfigError(option, `${option} ${outOfRange}, not ${JSON.stringify(text)}`);
  return ms;
}
