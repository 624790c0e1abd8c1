/**
 * The go-plugin start-up contract (hashicorp/go-plugin server.go, as Terraform
 * uses it): the magic cookie that proves Terraform started us, the protocol
 * version negotiation, and the one handshake line on stdout.
 */

export const MAGIC_COOKIE_KEY = 'TF_PLUGIN_MAGIC_COOKIE';
export const MAGIC_COOKIE_VALUE = 'd602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2';
/** go-plugin's own protocol version: the first handshake field. */
export const CORE_PROTOCOL_VERSION = 1;
/** The Terraform plugin protocol versions this provider speaks. */
export const SUPPORTED_PROTOCOL_VERSIONS: readonly number[] = [6];

export const NOT_A_COMMAND_MESSAGE =
  'This binary is a plugin. These are not meant to be executed directly.\n' +
  'terraform-provider-vers is the Vers provider for Terraform: Terraform starts it itself. Declare\n' +
  '  terraform { required_providers { vers = { source = "hdr/vers" } } }\n' +
  'in your configuration and run terraform (for a local checkout, point a dev_overrides block in\n' +
  'your Terraform CLI configuration at the directory of this file).\n';

export function hasMagicCookie(env: NodeJS.ProcessEnv): boolean {
  return env[MAGIC_COOKIE_KEY] === MAGIC_COOKIE_VALUE;
}

/**
 * The highest version both sides speak, from PLUGIN_PROTOCOL_VERSIONS
 * ("5,6", any order). Like go-plugin, falls back to our lowest version when
 * there is no overlap: Terraform then reports the mismatch itself.
 */
export function negotiateProtocolVersion(env: NodeJS.ProcessEnv): number {
  const offered = (env.PLUGIN_PROTOCOL_VERSIONS ?? '')
    .split(',')
    .map((text) => Number(text.trim()))
    .filter((version) => Number.isInteger(version));
  const common = offered.filter((version) => SUPPORTED_PROTOCOL_VERSIONS.includes(version)).sort((a, b) => b - a);
  return common[0] ?? Math.min(...SUPPORTED_PROTOCOL_VERSIONS);
}

export interface HandshakeLine {
  protocolVersion: number;
  network: 'tcp' | 'unix';
  address: string;
  /** The server certificate's DER, or undefined when serving without TLS. */
  certDer?: Buffer;
}

/** `1|6|tcp|127.0.0.1:PORT|grpc|<cert>`: the cert is base64 without padding (Go's RawStdEncoding). */
export function formatHandshake(line: HandshakeLine): string {
  const cert = line.certDer === undefined ? '' : line.certDer.toString('base64').replace(/=+$/, '');
  return `${CORE_PROTOCOL_VERSION}|${line.protocolVersion}|${line.network}|${line.address}|grpc|${cert}\n`;
}
