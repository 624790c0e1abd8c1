import { readPackageFile } from '../../core/base/package-files';
import type { NameMap } from './schema/name-map';
import type { TfProviderSchema } from './schema/tf-schema';
import { serve } from './serve';

/**
 * terraform-provider-vers: Terraform starts this (through bin/terraform-provider-vers)
 * once per phase of a command. It serves tfplugin6 over go-plugin until
 * Terraform sends GRPCController.Shutdown.
 */
function readGenerated<T>(name: string): T {
  return JSON.parse(readPackageFile(`bridges/terraform/generated/${name}`)) as T;
}

// Read and loaded after the handshake line is out (serve calls this on first need).
serve(() => ({
  schema: readGenerated<TfProviderSchema>('provider-schema.json'),
  names: readGenerated<NameMap>('name-map.json'),
  backend: (require('./core-backend') as typeof import('./core-backend')).coreBackend(),
})).catch((error: unknown) => {
  process.stderr.write(`[ERROR] terraform-provider-vers failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
