import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { basename, join } from 'node:path';
import { PROVIDER_TYPE, TERRAFORM_NAMESPACE, TERRAFORM_PROTOCOL_VERSIONS, type ReleaseLayout } from '../../packaging/layout';
import type { Platform } from '../../packaging/node-runtime';
import { parseSha256Sums } from './harness';

/**
 * A private Terraform registry for tests: the provider registry protocol
 * (https://developer.hashicorp.com/terraform/internals/provider-registry-protocol)
 * over HTTPS, serving one release directory: service discovery, the versions
 * list, each platform's download record with the signing key, and the files.
 * It serves whatever the directory holds, so a test can tamper with a file.
 */

export interface RegistryServerOptions {
  /** The host name Terraform uses (the certificate's); URLs are built on it. */
  hostname: string;
  /** The loopback address and port to listen on. */
  address: string;
  port: number;
  tls: { certPem: string; keyPem: string };
  /** The directory whose files are served (a copy of dist/release). */
  filesDir: string;
  layout: ReleaseLayout;
  platforms: readonly Platform[];
  signingKey: { keyId: string; asciiArmor: string };
}

export interface RegistryServer {
  /** Paths requested so far, in order. */
  requests: string[];
  close(): Promise<void>;
}

export async function startRegistryServer(options: RegistryServerOptions): Promise<RegistryServer> {
  const requests: string[] = [];
  const { layout } = options;
  const base = `https://${options.hostname}${options.port === 443 ? '' : `:${options.port}`}`;
  const providerPath = `/v1/providers/${TERRAFORM_NAMESPACE}/${PROVIDER_TYPE}`;
  const fileUrl = (name: string): string => `${base}/files/${encodeURIComponent(name)}`;
  const platformOf = (os: string, arch: string): Platform | undefined => options.platforms.find((platform) => platform === `${os}_${arch}`);

  const server: Server = createServer({ cert: options.tls.certPem, key: options.tls.keyPem }, (request, response) => {
    const path = new URL(request.url ?? '/', base).pathname;
    requests.push(path);
    const json = (status: number, body: unknown): void => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    if (request.method !== 'GET') return json(405, { errors: ['method not allowed'] });
    if (path === '/.well-known/terraform.json') return json(200, { 'providers.v1': '/v1/providers/' });
    if (path === `${providerPath}/versions`) {
      return json(200, {
        versions: [
          {
            version: layout.version,
            protocols: [...TERRAFORM_PROTOCOL_VERSIONS],
            platforms: options.platforms.map((platform) => ({ os: platform.split('_')[0], arch: platform.split('_')[1] })),
          },
        ],
      });
    }
    const download = new RegExp(`^${providerPath}/([^/]+)/download/([^/]+)/([^/]+)$`).exec(path);
    if (download !== null) {
      const [, version, os, arch] = download as unknown as [string, string, string, string];
      const platform = platformOf(os, arch);
      if (version !== layout.version || platform === undefined) return json(404, { errors: ['not found'] });
      const filename = layout.terraformZip(platform);
      // The record states the checksum SHA256SUMS states (read now: a test may have replaced both).
      const sums = parseSha256Sums(readFileSync(join(options.filesDir, layout.sha256sums), 'utf8'));
      return json(200, {
        protocols: [...TERRAFORM_PROTOCOL_VERSIONS],
        os,
        arch,
        filename,
        download_url: fileUrl(filename),
        shasums_url: fileUrl(layout.sha256sums),
        shasums_signature_url: fileUrl(layout.sha256sumsSignature),
        shasum: sums.get(filename),
        signing_keys: { gpg_public_keys: [{ key_id: options.signingKey.keyId, ascii_armor: options.signingKey.asciiArmor }] },
      });
    }
    if (path.startsWith('/files/')) {
      const name = basename(decodeURIComponent(path.slice('/files/'.length)));
      const file = join(options.filesDir, name);
      if (!existsSync(file)) return json(404, { errors: ['not found'] });
      response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': statSync(file).size });
      createReadStream(file).pipe(response);
      return;
    }
    json(404, { errors: ['not found'] });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.address, () => resolve());
  });
  return {
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
