import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '../../core/base/repo-root';
import { loadPackageSchema } from '../../core/schema/package-schema';
import { startVersLocal, type VersLocalProcess } from '../helpers/vers-local';
import { PluginHarness } from '../pulumi/plugin-harness';
import { TempDirs, pinnedNodeRuntime, releaseArtifacts } from './harness';

/**
 * The SDK as a user gets it: the npm tarball installed into a fresh program
 * folder next to @pulumi/pulumi (from the npm registry, or npm's cache), the
 * README's Pulumi program type-checked against it with the current
 * TypeScript (7) and with the TypeScript Pulumi runs programs with (5),
 * under the examples' tsconfig.json; `require("@hdr/vers")` gives the
 * resource classes, on this machine's Node and on the release's Node 24; and
 * a `vers.dynamic.Vm` made by the program is run by the dynamic-provider
 * host of the installed @pulumi/pulumi, on Node 24, against vers-local:
 * the core it runs is the one inside the tarball.
 */

const run = promisify(execFile);
const CURRENT_TYPESCRIPT = '7.0.2';
const release = releaseArtifacts();
const temp = new TempDirs();
const rootManifest = JSON.parse(readFileSync(join(repoRoot(), 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
const pinned = (name: string): string => `${name}@${rootManifest.devDependencies[name] as string}`;
/** npm as a user runs it; the cache makes repeated runs fast, the registry fills it otherwise. */
const npmInstall = (cwd: string, specs: string[]): Promise<unknown> =>
  run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', ...specs], { cwd, env: { ...process.env, npm_config_update_notifier: 'false' }, maxBuffer: 16 << 20 });

/** The README's Pulumi program: the `typescript` block of its Install section. */
function readmeProgram(): string {
  const readme = readFileSync(join(repoRoot(), 'README.md'), 'utf8');
  const install = readme.slice(readme.indexOf('\n## Install\n'), readme.indexOf('\n## ', readme.indexOf('\n## Install\n') + 1));
  const block = /```typescript\n([\s\S]*?)```/.exec(install);
  if (block === null) throw new Error('README.md: no ```typescript block in the Install section');
  return block[1] as string;
}

let program: string;
let typescript7: string;

beforeAll(async () => {
  program = temp.make('vers-sdk-program-');
  writeFileSync(join(program, 'package.json'), `${JSON.stringify({ name: 'vers-sdk-user', private: true, main: 'index.ts' }, null, 2)}\n`);
  writeFileSync(join(program, 'Pulumi.yaml'), 'name: vers-sdk-user\nruntime: nodejs\n');
  // What the README tells a user to run, at the versions this repository tests with.
  await npmInstall(program, [pinned('@pulumi/pulumi'), release.path(release.layout.sdkTarball)]);
  await npmInstall(program, ['--save-dev', pinned('typescript'), pinned('@types/node')]);
  writeFileSync(join(program, 'index.ts'), readmeProgram());
  copyFileSync(join(repoRoot(), 'examples', 'pulumi-golden-image', 'tsconfig.json'), join(program, 'tsconfig.json'));
  // TypeScript 7 apart: @pulumi/pulumi (which runs programs with ts-node) accepts TypeScript below 7 as its peer.
  const tools = temp.make('vers-sdk-typescript-');
  writeFileSync(join(tools, 'package.json'), '{"private": true}\n');
  await npmInstall(tools, [`typescript@${CURRENT_TYPESCRIPT}`]);
  typescript7 = join(tools, 'node_modules', 'typescript', 'bin', 'tsc');
}, 300_000);

afterAll(() => temp.cleanup());

test('the installed package is @hdr/vers at the release version, with its dependencies and without a second @pulumi/pulumi', () => {
  const installed = JSON.parse(readFileSync(join(program, 'node_modules', '@hdr', 'vers', 'package.json'), 'utf8')) as { name: string; version: string };
  expect(installed).toMatchObject({ name: '@hdr/vers', version: loadPackageSchema().version });
  const user = JSON.parse(readFileSync(join(program, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  expect(user.dependencies['@hdr/vers']).toMatch(/^file:.*hdr-vers-.*\.tgz$/);
  const lock = JSON.parse(readFileSync(join(program, 'package-lock.json'), 'utf8')) as { packages: Record<string, unknown> };
  expect(Object.keys(lock.packages).filter((path) => path.endsWith('node_modules/@pulumi/pulumi'))).toEqual(['node_modules/@pulumi/pulumi']);
});

test.each([
  ['TypeScript 7 (current)', () => typescript7],
  ['TypeScript 5 (the program’s own, as Pulumi runs it)', () => join(program, 'node_modules', 'typescript', 'bin', 'tsc')],
])('the README’s program type-checks against the installed package with %s and the examples’ tsconfig.json', async (_name, tsc) => {
  const result = await run(process.execPath, [tsc(), '--noEmit', '-p', program]).then(
    (done) => ({ code: 0, output: `${done.stdout}${done.stderr}` }),
    (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, output: `${error.stdout}${error.stderr}` }),
  );
  expect(result.output).toBe('');
  expect(result.code).toBe(0);

  // The check is real: the package's types reject a wrong argument, naming the property.
  const wrong = join(program, 'wrong.ts');
  writeFileSync(wrong, "import * as vers from '@hdr/vers';\nnew vers.Vm('v', { vcpuCount: 'two' });\nnew vers.dynamic.Vm('d', { memSizeMib: true });\n");
  writeFileSync(join(program, 'tsconfig.wrong.json'), JSON.stringify({ extends: './tsconfig.json', files: ['wrong.ts'] }));
  const refused = await run(process.execPath, [tsc(), '--noEmit', '-p', join(program, 'tsconfig.wrong.json')]).then(
    () => '',
    (error: { stdout: string }) => error.stdout,
  );
  expect(refused).toMatch(/wrong\.ts\(2,\d+\): error TS2322: Type 'string' is not assignable to type 'Input<number> \| undefined'/);
  expect(refused).toMatch(/wrong\.ts\(3,\d+\): error TS2322: Type 'true' is not assignable to type 'Input<number> \| undefined'/);
}, 120_000);

const CONSTRUCT = `
const pulumi = require('@pulumi/pulumi');
const vers = require('@hdr/vers');
const registered = [];
pulumi.runtime.setMocks({
  newResource: (args) => { registered.push({ type: args.type, inputs: args.inputs }); return { id: args.name + '-id', state: args.inputs }; },
  call: () => ({}),
}, 'vers-sdk-user', 'test', false).then(() => {
  const classes = ['Vm', 'VmCommit', 'VmBranch', 'VmRestore', 'Provision', 'Provider'].filter((name) => typeof vers[name] === 'function');
  const dynamic = ['Vm', 'VmCommit', 'VmBranch', 'VmRestore', 'Provision'].filter((name) => typeof vers.dynamic[name] === 'function');
  const vm = new vers.dynamic.Vm('scratch', { labels: { role: 'scratch' } });
  vm.id.apply(() => process.stdout.write(JSON.stringify({ classes, dynamic, functions: [typeof vers.getVms, typeof vers.getCommitOutput], node: process.version, registered })));
});
`;

interface Constructed {
  classes: string[];
  dynamic: string[];
  functions: string[];
  node: string;
  registered: Array<{ type: string; inputs: Record<string, unknown> }>;
}

async function construct(node: string): Promise<Constructed> {
  writeFileSync(join(program, 'construct.js'), CONSTRUCT);
  const { stdout } = await run(node, ['construct.js'], { cwd: program });
  return JSON.parse(stdout) as Constructed;
}

describe('require("@hdr/vers") in the program', () => {
  test.each([
    ['this machine’s node', () => process.execPath],
    ['the release’s Node 24', () => pinnedNodeRuntime().executable],
  ])('gives the resource classes, the functions and vers.dynamic, on %s', async (_name, node) => {
    const constructed = await construct(node());
    expect(constructed.classes).toEqual(['Vm', 'VmCommit', 'VmBranch', 'VmRestore', 'Provision', 'Provider']);
    expect(constructed.dynamic).toEqual(['Vm', 'VmCommit', 'VmBranch', 'VmRestore', 'Provision']);
    expect(constructed.functions).toEqual(['function', 'function']);
    expect(constructed.registered.map((registration) => registration.type)).toEqual(['pulumi-nodejs:dynamic/vers:Vm']);
    // The serialized provider requires the core by its package path, not a path of this checkout.
    const provider = String(constructed.registered[0]?.inputs.__provider);
    expect(provider).toContain('@hdr/vers/sdk/nodejs/dynamic/run-lifecycle');
    expect(provider).not.toContain(repoRoot());
  });
});

describe('vers.dynamic.Vm from the installed package, run by the installed @pulumi/pulumi’s dynamic-provider host on Node 24', () => {
  let local: VersLocalProcess;
  let host: PluginHarness;
  let providerText: string;

  beforeAll(async () => {
    local = await startVersLocal();
    providerText = String((await construct(process.execPath)).registered[0]?.inputs.__provider);
    const ready = local.ready;
    host = await PluginHarness.start({
      command: [pinnedNodeRuntime().executable, join(program, 'node_modules', '@pulumi', 'pulumi', 'cmd', 'dynamic-provider', 'index.js')],
      cwd: program,
      env: { PULUMI_NODEJS_PROJECT: 'vers-sdk-user', VERS_API_KEY: '' },
    });
    await host.configure({ 'vers:apiKey': ready.api_key, 'vers:baseUrl': ready.base_url, 'vers:vmDomain': ready.vm_domain, 'vers:sshGateway': ready.ssh_gateway, 'vers:tlsCaFile': ready.tls_ca_file });
  });

  afterAll(async () => {
    await host?.close();
    await local?.stop();
  });

  test('check rejects a bad size naming the property, and a VM is created in vers-local and deleted', async () => {
    const type = 'pulumi-nodejs:dynamic/vers:Vm';
    const refused = await host.check(type, 'bad', { vcpuCount: 0, __provider: providerText });
    expect(refused.failures).toEqual([expect.objectContaining({ property: 'vcpuCount' })]);
    const checked = await host.check(type, 'scratch', { labels: { role: 'scratch' }, __provider: providerText });
    expect(checked.failures).toEqual([]);
    const created = await host.create(type, 'scratch', checked.inputs);
    expect((await local.api('GET', `/vm/${created.id}/status`)).status).toBe(200);
    expect(created.properties).toMatchObject({ state: 'running', labels: { role: 'scratch' } });
    await host.delete(type, 'scratch', created.id, created.properties);
    expect((await local.api('GET', `/vm/${created.id}/status`)).status).toBe(404);
  });
});

test('the README’s install commands name the release version', () => {
  const readme = readFileSync(join(repoRoot(), 'README.md'), 'utf8');
  const version = loadPackageSchema().version;
  expect(readme).toContain(`VERSION=${version} `);
  for (const match of readme.matchAll(/version = "([^"]+)"/g)) expect(match[1]).toBe(version);
});

test('every example’s tsconfig.json is accepted by the current TypeScript (no removed or deprecated option)', async () => {
  const examples = readdirSync(join(repoRoot(), 'examples')).filter((name) => existsSync(join(repoRoot(), 'examples', name, 'tsconfig.json')));
  expect(examples.length).toBeGreaterThan(0);
  for (const example of examples) {
    // The example's options on an empty file: only the options themselves can fail (TS5108 "has been removed", TS5101 "deprecated").
    const dir = temp.make(`vers-tsconfig-${example}-`);
    writeFileSync(join(dir, 'empty.ts'), 'export {};\n');
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ extends: join(repoRoot(), 'examples', example, 'tsconfig.json'), files: ['empty.ts'] }));
    const checked = await run(process.execPath, [typescript7, '--noEmit', '-p', dir]).then(
      (done) => ({ code: 0, output: `${done.stdout}${done.stderr}` }),
      (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, output: `${error.stdout}${error.stderr}` }),
    );
    expect({ example, ...checked }).toEqual({ example, code: 0, output: '' });
  }
});
