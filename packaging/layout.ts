import { join } from 'node:path';
import { repoRoot } from '../core/base/repo-root';
import { loadPackageSchema } from '../core/schema/package-schema';
import type { Platform } from './node-runtime';

/**
 * The names of everything `make release` writes to dist/release/, in the
 * layout the Terraform Registry and GoReleaser use and the one
 * `pulumi plugin install resource vers VERSION --file TARBALL` takes. The
 * version is schema.json's, the one version of the project.
 */

/** The provider's type in Terraform (`hdr/vers`) and the Pulumi package's name. */
export const PROVIDER_TYPE = 'vers';
export const TERRAFORM_NAMESPACE = 'hdr';
/** The Terraform plugin protocol the provider speaks, as the manifest and the registry state it. */
export const TERRAFORM_PROTOCOL_VERSIONS = ['6.0'] as const;
/** The npm package of the SDK. */
export const SDK_PACKAGE_NAME = '@hdr/vers';

/** The version everything is stamped with. */
export function releaseVersion(): string {
  return loadPackageSchema().version;
}

export function releaseDirectory(): string {
  return join(repoRoot(), 'dist', 'release');
}

export interface ReleaseLayout {
  version: string;
  /** `terraform-provider-vers_v0.1.0`: the executable inside each zip. */
  terraformExecutable: string;
  terraformZip(platform: Platform): string;
  sha256sums: string;
  sha256sumsSignature: string;
  /** The public half of the signing key, ASCII-armored. */
  signingKey: string;
  manifest: string;
  /** `pulumi-resource-vers`: the executable at the root of each plugin tarball. */
  pulumiExecutable: string;
  pulumiTarball(platform: Platform): string;
  /** `npm pack`'s name for the SDK package: `hdr-vers-0.1.0.tgz`. */
  sdkTarball: string;
  /** Licenses of what the executables embed (Node.js and the bundled npm packages), inside every zip and tarball. */
  notices: string;
}

export function releaseLayout(version = releaseVersion()): ReleaseLayout {
  const tf = `terraform-provider-${PROVIDER_TYPE}`;
  return {
    version,
    terraformExecutable: `${tf}_v${version}`,
    terraformZip: (platform) => `${tf}_${version}_${platform}.zip`,
    sha256sums: `${tf}_${version}_SHA256SUMS`,
    sha256sumsSignature: `${tf}_${version}_SHA256SUMS.sig`,
    signingKey: `${tf}_${version}_signing-key.asc`,
    manifest: `${tf}_${version}_manifest.json`,
    pulumiExecutable: `pulumi-resource-${PROVIDER_TYPE}`,
    pulumiTarball: (platform) => `pulumi-resource-${PROVIDER_TYPE}-v${version}-${platform.replace('_', '-')}.tar.gz`,
    sdkTarball: `${SDK_PACKAGE_NAME.replace(/^@/, '').replace('/', '-')}-${version}.tgz`,
    notices: 'THIRD_PARTY_NOTICES.txt',
  };
}

/** The Terraform registry manifest: which plugin protocols this release speaks. */
export function terraformManifest(): { version: 1; metadata: { protocol_versions: string[] } } {
  return { version: 1, metadata: { protocol_versions: [...TERRAFORM_PROTOCOL_VERSIONS] } };
}
