import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Metafile, Plugin } from 'esbuild';
import { repoRoot } from '../core/base/repo-root';

/**
 * Each provider executable as one CommonJS file with everything it runs:
 * our code, its dependencies (got, ssh2, ajv, the Pulumi message classes)
 * and the data files it reads (schema.json, the generated Terraform schema
 * and name map, the tfplugin6 descriptor). The file runs with a plain
 * `node FILE` as well as inside a single-executable application
 * (packaging/sea.ts), where `require` reaches Node's built-in modules only.
 *
 *   node dist/packaging/bundle.js [OUT_DIR]     (default .build/bundle)
 *
 * writes OUT_DIR/terraform-provider-vers.js and OUT_DIR/pulumi-resource-vers.js.
 */

export type ExecutableName = 'terraform-provider-vers' | 'pulumi-resource-vers';

interface ExecutableSpec {
  /** The entry module's source, relative to the repository root (resolved from there). */
  entry: string;
  /** Package files (readPackageFile paths) this executable reads at run time. */
  embeddedFiles: readonly string[];
}

export const EXECUTABLES: Readonly<Record<ExecutableName, ExecutableSpec>> = {
  'terraform-provider-vers': {
    // main.ts serves on load.
    entry: "require('./bridges/terraform/main');",
    embeddedFiles: ['schema.json', 'bridges/terraform/generated/provider-schema.json', 'bridges/terraform/generated/name-map.json', 'bridges/terraform/plugin/proto-descriptor.json'],
  },
  'pulumi-resource-vers': {
    // main.ts serves when `require.main === module`: in the bundle `module` is the bundle's own, the main module.
    entry: "require('./bridges/pulumi/main');",
    embeddedFiles: ['schema.json'],
  },
};

/** The module every package data file is read through (core/base/package-files.ts). */
const PACKAGE_FILES_MODULE = /[\\/]core[\\/]base[\\/]package-files\.ts$/;

/**
 * Native or optional parts left out on purpose: ssh2's compiled crypto
 * binding and cpu-features (ssh2 falls back to Node's crypto, AES-GCM
 * first either way: bench/README.md), and proto-loader, which grpc-js
 * loads only for channelz, which we never enable.
 */
const LEFT_OUT = /(\.node$|^cpu-features$|^@grpc\/proto-loader$)/;

/** Replaces core/base/package-files.ts with a module holding the files' text. */
function embedPackageFiles(root: string, files: readonly string[]): Plugin {
  return {
    name: 'vers-embed-package-files',
    setup(build) {
      build.onLoad({ filter: PACKAGE_FILES_MODULE }, () => {
        const table = Object.fromEntries(files.map((path) => [path, readFileSync(join(root, ...path.split('/')), 'utf8')]));
        return {
          loader: 'js',
          contents: [
            '"use strict";',
            `const files = ${JSON.stringify(table)};`,
            'exports.readPackageFile = function readPackageFile(path) {',
            '  const text = files[path];',
            '  if (text === undefined) throw new Error(`${path} is not embedded in this executable (packaging/bundle.ts EXECUTABLES)`);',
            '  return text;',
            '};',
          ].join('\n'),
        };
      });
    },
  };
}

/** Resolves what LEFT_OUT names to a module that throws, as a missing optional module does. */
function leaveOut(): Plugin {
  return {
    name: 'vers-leave-out',
    setup(build) {
      build.onResolve({ filter: LEFT_OUT }, (args) => ({ path: args.path, namespace: 'vers-left-out' }));
      build.onLoad({ filter: /.*/, namespace: 'vers-left-out' }, (args) => ({
        loader: 'js',
        contents: `const error = new Error(${JSON.stringify(`${args.path} is left out of this executable`)}); error.code = 'MODULE_NOT_FOUND'; throw error;`,
      }));
    },
  };
}

export interface BundleResult {
  /** The bundle's path. */
  file: string;
  /** Bytes written. */
  bytes: number;
  /** The npm packages inside, by directory under node_modules (for license notices). */
  packageDirectories: string[];
}

/** The node_modules package directories a metafile's inputs come from (`node_modules/@scope/name`, `node_modules/a/node_modules/b`). */
function packageDirectoriesOf(metafile: Metafile): string[] {
  const found = new Set<string>();
  for (const input of Object.keys(metafile.inputs)) {
    const match = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (match !== null) found.add(match[1] as string);
  }
  return [...found].sort();
}

/** Bundles one executable into `outDir/<name>.js`. */
export async function bundleExecutable(name: ExecutableName, outDir: string): Promise<BundleResult> {
  const esbuild = await import('esbuild');
  const root = repoRoot();
  const spec = EXECUTABLES[name];
  const file = join(outDir, `${name}.js`);
  mkdirSync(outDir, { recursive: true });
  const result = await esbuild.build({
    stdin: { contents: spec.entry, resolveDir: root, sourcefile: `${name}-entry.js`, loader: 'js' },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    // The lowest Node that runs it: Node 20 in development, the release executables embed Node 24.
    target: 'node20',
    outfile: file,
    // The tsconfig's settings apply to our sources (module node16: `import('got')` stays an import, which esbuild bundles).
    tsconfig: join(root, 'tsconfig.json'),
    plugins: [embedPackageFiles(root, spec.embeddedFiles), leaveOut()],
    // Smaller to read and parse at every start; names are kept for stack traces.
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
    banner: { js: `// ${name}: bundled by packaging/bundle.ts; do not edit.` },
  });
  const bytes = readFileSync(file).length;
  return { file, bytes, packageDirectories: packageDirectoriesOf(result.metafile) };
}

/** Every executable into `outDir`. */
export async function bundleExecutables(outDir: string): Promise<Record<ExecutableName, BundleResult>> {
  const out = {} as Record<ExecutableName, BundleResult>;
  for (const name of Object.keys(EXECUTABLES) as ExecutableName[]) out[name] = await bundleExecutable(name, outDir);
  return out;
}

/** The default output directory: `.build/bundle` in the repository. */
export function defaultBundleDirectory(): string {
  return join(repoRoot(), '.build', 'bundle');
}

if (require.main === module) {
  const outDir = process.argv[2] ?? defaultBundleDirectory();
  bundleExecutables(outDir)
    .then((results) => {
      for (const result of Object.values(results)) process.stdout.write(`wrote ${relative(process.cwd(), result.file)} (${(result.bytes / 1024).toFixed(0)} KiB)\n`);
      writeFileSync(join(outDir, 'packages.json'), `${JSON.stringify(Object.fromEntries(Object.entries(results).map(([name, result]) => [name, result.packageDirectories])), null, 1)}\n`);
    })
    .catch((error: unknown) => {
      process.stderr.write(`bundle failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    });
}
