import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { VersLocalProcess } from '../helpers/vers-local';
import type { MiniEngine, Registered, ResourceState } from './mini-engine';
import type { Props } from './plugin-harness';

/**
 * The golden-image pipeline as a Pulumi program writes it — golden Vm →
 * Provision → VmCommit with `triggers: { provision: provision.id }` → VmRestore
 * workers — registered step by step through a real provider process the way
 * `pulumi up` does, then rolled by an edit of the provisioning script. Shared
 * by the native plugin's test and the dynamic resources' test: `flavour` says
 * how each names the types and what extra inputs they carry.
 */

export type ResourceName = 'Vm' | 'Provision' | 'VmCommit' | 'VmRestore';

export interface PipelineFlavour {
  engine: MiniEngine;
  local: VersLocalProcess;
  /** A scratch directory for the bootstrap script. */
  workDir: string;
  /** The type token the engine registers. */
  type(name: ResourceName): string;
  /** The inputs as the program registers them (the dynamic resources add `__provider`). */
  inputs(name: ResourceName, props: Props): Props;
}

const WORKERS = ['worker-0', 'worker-1'];
const FORGED_KEY = 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

function bootstrap(version: string): string {
  return `#!/bin/bash\nset -eu\nmkdir -p /opt/golden\necho ${version} > /opt/golden/version\necho "bootstrap ${version} done"\n`;
}

export async function rollGoldenPipeline(flavour: PipelineFlavour): Promise<void> {
  const { engine, local } = flavour;
  const script = join(flavour.workDir, `bootstrap-${Date.now()}.sh`);
  const register = (name: ResourceName, resource: string, props: Props, prior?: ResourceState): Promise<Registered> =>
    engine.register(flavour.type(name), resource, flavour.inputs(name, props), prior);
  const inVm = async (vmId: string, command: string): Promise<string> => {
    const run = await local.ssh(vmId, command);
    if (run.code !== 0) throw new Error(`ssh into ${vmId} (${command}) exited ${run.code}: ${run.stderr}`);
    return run.stdout;
  };
  const vmState = async (vmId: string): Promise<string> => (await local.api('GET', `/vm/${vmId}/status`)).json<{ state: string }>().state;

  writeFileSync(script, bootstrap('v1'));
  const golden = (await register('Vm', 'golden', { labels: { role: 'golden' } })).state;
  const provisionProps = { vmId: golden.id, files: [{ source: script, destination: '/tmp/bootstrap.sh', mode: '0755' }], commands: ['/tmp/bootstrap.sh'] };
  const commitProps = (provision: ResourceState): Props => ({ vmId: golden.id, keepPaused: true, triggers: { provision: provision.id } });
  const workerProps = (commit: ResourceState): Props => ({ commitId: commit.id, labels: { role: 'worker' } });

  let provision = (await register('Provision', 'bootstrap', provisionProps)).state;
  let commit = (await register('VmCommit', 'golden', commitProps(provision))).state;
  let workers: ResourceState[] = [];
  for (const name of WORKERS) workers.push((await register('VmRestore', name, workerProps(commit))).state);
  for (const worker of workers) expect(await inVm(worker.id, 'cat /opt/golden/version')).toBe('v1\n');
  expect(await vmState(golden.id)).toBe('paused');

  // Nothing changed: every step is `same`.
  expect((await register('Provision', 'bootstrap', provisionProps, provision)).step).toBe('same');
  expect((await register('VmCommit', 'golden', commitProps(provision), commit)).step).toBe('same');

  // An edited script: a new run (new id), which the commit's trigger follows, and so do the workers.
  writeFileSync(script, bootstrap('v2'));
  const rerun = await register('Provision', 'bootstrap', provisionProps, provision);
  expect(rerun.step).toBe('replace');
  expect(rerun.diff).toMatchObject({ changes: 'some', replaces: ['files'], deleteBeforeReplace: false });
  expect(rerun.state.id).not.toBe(provision.id);
  // The pin carried over: the new run saw (and insisted on) the key the old one recorded.
  expect(rerun.state.outputs.sshHostKey).toBe(provision.outputs.sshHostKey);
  provision = rerun.state;
  // The commit left the golden VM paused; the new run resumed it first.
  expect(await vmState(golden.id)).toBe('running');
  expect(await inVm(golden.id, 'cat /opt/golden/version')).toBe('v2\n');

  const recommit = await register('VmCommit', 'golden', commitProps(provision), commit);
  expect(recommit.step).toBe('replace');
  expect(recommit.diff).toMatchObject({ replaces: ['triggers'], deleteBeforeReplace: false });
  expect(recommit.state.id).not.toBe(commit.id);
  commit = recommit.state;

  const rolled: ResourceState[] = [];
  for (const [index, name] of WORKERS.entries()) {
    const replaced = await register('VmRestore', name, workerProps(commit), workers[index]);
    expect(replaced.step).toBe('replace');
    expect(replaced.diff).toMatchObject({ replaces: ['commitId'] });
    rolled.push(replaced.state);
  }
  for (const worker of rolled) {
    expect(workers.map((old) => old.id)).not.toContain(worker.id);
    expect(await inVm(worker.id, 'cat /opt/golden/version')).toBe('v2\n');
  }
  for (const old of workers) expect((await local.api('GET', `/vm/${old.id}/status`)).status).toBe(404);
  workers = rolled;
  expect((await register('Provision', 'bootstrap', provisionProps, provision)).step).toBe('same');
  expect((await register('VmCommit', 'golden', commitProps(provision), commit)).step).toBe('same');
  for (const [index, name] of WORKERS.entries()) expect((await register('VmRestore', name, workerProps(commit), workers[index])).step).toBe('same');

  // A recorded key the VM does not present: the replacing run fails with the host-key error and runs nothing.
  writeFileSync(script, bootstrap('v3'));
  const forged = { ...provision, outputs: { ...provision.outputs, sshHostKey: FORGED_KEY } };
  const refused = await register('Provision', 'bootstrap', provisionProps, forged).catch((error: unknown) => error);
  expect(refused).toMatchObject({ details: expect.stringContaining('HOST_KEY_MISMATCH') });
  expect((refused as { details: string }).details).toContain(`expected ${FORGED_KEY}`);
  expect(await inVm(golden.id, 'cat /opt/golden/version')).toBe('v2\n');

  for (const state of [...workers, commit, provision, golden]) await engine.destroy(state);
  expect((await local.api('GET', '/vms')).json<unknown[]>()).toEqual([]);
}
