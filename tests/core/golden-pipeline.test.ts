import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resourceLifecycles } from '../../core/resources/registry';
import type { PropertyBag } from '../../core/base/json';
import type { ResourceLifecycle } from '../../core/resources/types';
import type { VersProvider } from '../../core/provider';
import { contextFor, providerFor, RecordingLogger } from '../helpers/core-context';
import { startVersLocal, type VersLocalProcess } from '../helpers/vers-local';

function lifecycle(token: string): ResourceLifecycle {
  const found = resourceLifecycles[token];
  if (found === undefined) throw new Error(`no lifecycle ${token}`);
  return found;
}

async function checked(token: string, news: PropertyBag): Promise<PropertyBag> {
  const result = await lifecycle(token).check(news, undefined);
  expect(result.failures).toEqual([]);
  return result.inputs;
}

describe('the golden-image pipeline at the core level, against vers-local', () => {
  let local: VersLocalProcess;
  let provider: VersProvider;
  let workDir: string;
  const logger = new RecordingLogger();

  beforeAll(async () => {
    local = await startVersLocal();
    provider = providerFor(local.ready);
    workDir = mkdtempSync(join(tmpdir(), 'vers-golden-'));
  });

  afterAll(async () => {
    provider?.close();
    const report = await local?.stop();
    rmSync(workDir, { recursive: true, force: true });
    expect(report?.exitCode ?? 0).toBe(0);
  });

  test('Vm → Provision → VmCommit → 3 × VmRestore carries the provisioned files into every worker, and deleting everything leaves no VM', async () => {
    const ctx = contextFor(provider, logger);
    const bootstrap = join(workDir, 'bootstrap.sh');
    writeFileSync(bootstrap, '#!/bin/bash\nset -e\nmkdir -p /opt/golden\necho "built by bootstrap" > /opt/golden/marker\necho bootstrap ran\n');

    const vmInputs = await checked('vers:index:Vm', { vcpuCount: 1, memSizeMib: 512, labels: { role: 'golden' } });
    expect(vmInputs).toMatchObject({ waitBoot: true, fsSizeMib: 1024, imageName: 'default' });
    expect(vmInputs.desiredState).toBeUndefined();
    const golden = await lifecycle('vers:index:Vm').create(vmInputs, ctx);
    expect(golden.outs).toMatchObject({ state: 'running', labels: { role: 'golden' }, sshHost: `${golden.id}.${local.ready.vm_domain}`, parentCommitId: '' });
    expect(golden.outs.sshPrivateKey).toMatch(/^-----BEGIN OPENSSH PRIVATE KEY-----/);
    expect(logger.text()).toMatch(/waiting for VM .* to boot/);

    const provisionInputs = await checked('vers:index:Provision', {
      vmId: golden.id,
      files: [
        { source: bootstrap, destination: '/tmp/bootstrap.sh', mode: '0755' },
        { content: 'inline-config\n', destination: '/etc/golden/config.txt' },
      ],
      commands: ['bash /tmp/bootstrap.sh', 'echo "$GREETING" > /opt/golden/greeting'],
      environment: { GREETING: "hello 'quoted' world" },
    });
    const files = provisionInputs.files as Array<{ sha256: string }>;
    expect(files[0]!.sha256).toMatch(/^[0-9a-f]{64}$/);
    const provisioned = await lifecycle('vers:index:Provision').create(provisionInputs, ctx);
    expect(provisioned.outs.sshHostKey).toMatch(/^SHA256:/);
    expect(logger.text()).toContain('bootstrap ran');

    const commitInputs = await checked('vers:index:VmCommit', { vmId: golden.id, keepPaused: true, name: 'golden' });
    const commit = await lifecycle('vers:index:VmCommit').create(commitInputs, ctx);
    expect(commit.outs).toMatchObject({ commitId: commit.id, vmId: golden.id, name: 'golden', isPublic: false });
    const goldenAfterCommit = await lifecycle('vers:index:Vm').read(golden.id, golden.outs, ctx);
    expect(goldenAfterCommit?.outs.state).toBe('paused');

    const workers = [];
    for (let index = 0; index < 3; index += 1) {
      const inputs = await checked('vers:index:VmRestore', { commitId: commit.id, labels: { role: 'worker' } });
      workers.push(await lifecycle('vers:index:VmRestore').create(inputs, ctx));
    }
    for (const worker of workers) {
      expect(worker.outs).toMatchObject({ state: 'running', parentCommitId: commit.id, commitId: commit.id, labels: { role: 'worker' } });
      const run = await local.ssh(worker.id, 'cat /opt/golden/marker /etc/golden/config.txt /opt/golden/greeting; stat -c %a /tmp/bootstrap.sh', {
        privateKey: worker.outs.sshPrivateKey as string,
      });
      expect(run.stdout).toBe("built by bootstrap\ninline-config\nhello 'quoted' world\n755\n");
    }
    expect(new Set(workers.map((worker) => worker.outs.sshPrivateKey)).size).toBe(3);

    for (const worker of workers) await lifecycle('vers:index:VmRestore').delete(worker.id, worker.outs, ctx);
    await lifecycle('vers:index:Provision').delete(provisioned.id, provisioned.outs, ctx);
    await lifecycle('vers:index:VmCommit').delete(commit.id, { ...commit.outs, deleteOnDestroy: true }, ctx);
    await lifecycle('vers:index:Vm').delete(golden.id, golden.outs, ctx);
    const listed = await local.api('GET', '/vms');
    expect(listed.json()).toEqual([]);
    // Secrets never reach the log.
    expect(logger.text()).not.toContain(local.ready.api_key);
    expect(logger.text()).not.toContain('PRIVATE KEY');
  });
});
