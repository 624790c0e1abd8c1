import { startVersLocal, type VersLocalProcess } from '../helpers/vers-local';
import { vmHistory } from '../reliability/harness/vm-history';
import { waitUntil } from '../reliability/harness/reliability-workspace';
import { MiniEngine } from './mini-engine';
import { PluginHarness, secret, type Props } from './plugin-harness';

/**
 * Issue 10, Why 3, for Pulumi: the plugin dies with SIGKILL while a VM it
 * made boots, or before a restored VM was returned. Pulumi's Create
 * carries the resource URN, stable and unique per resource, so the next
 * `pulumi up` (a new plugin, the same URN) adopts the VM its crashed
 * predecessor made instead of making a second one. A replacement, whose
 * Create has the same URN while the old VM still exists, must still make
 * a new VM.
 */

const VM = 'vers:index:Vm';
const COMMIT = 'vers:index:VmCommit';
const RESTORE = 'vers:index:VmRestore';
const BOOT_DELAY_MS = 6000;

describe('the Pulumi plugin after a crash', () => {
  let local: VersLocalProcess;
  const plugins: PluginHarness[] = [];

  beforeAll(async () => {
    local = await startVersLocal({ args: ['--boot-delay-ms', String(BOOT_DELAY_MS)] });
  });

  afterAll(async () => {
    for (const plugin of plugins) await plugin.close();
    await local?.stop();
  });

  async function configuredPlugin(): Promise<PluginHarness> {
    const plugin = await PluginHarness.start();
    plugins.push(plugin);
    await plugin.handshake();
    const ready = local.ready;
    const checked = await plugin.checkConfig({ apiKey: secret(ready.api_key), baseUrl: ready.base_url, vmDomain: ready.vm_domain, sshGateway: ready.ssh_gateway, tlsCaFile: ready.tls_ca_file, version: '0.1.0' });
    await plugin.configure(checked.inputs);
    return plugin;
  }

  async function create(plugin: PluginHarness, type: string, name: string, news: Props): Promise<{ id: string; properties: Props }> {
    const checked = await plugin.check(type, name, news);
    expect(checked.failures).toEqual([]);
    return plugin.create(type, name, checked.inputs);
  }

  async function routeCount(route: string): Promise<number> {
    const stats = (await local.admin('GET', '/stats')).json<{ routes: Record<string, { count: number }> }>().routes;
    return stats[route]?.count ?? 0;
  }

  const alive = async (): Promise<string[]> => (await vmHistory(local)).filter((vm) => vm.state !== 'deleted').map((vm) => vm.vm_id);

  test('a VM made by a plugin killed during its boot wait is adopted by the next create of the same URN, and a replacement still makes a new VM', async () => {
    await local.admin('POST', '/reset');
    const first = await configuredPlugin();
    const crashed = create(first, VM, 'box', { labels: { role: 'box' } }).catch((error: unknown) => error);
    await waitUntil('the plugin to poll the booting VM', async () => (await routeCount('GET /api/v1/vm/{vm_id}/status')) > 0, 30_000, 100);
    const [made = ''] = await alive();
    expect(first.logs.some((entry) => entry.severity === 2 && entry.message.includes(made))).toBe(true);
    await first.kill();
    await crashed;

    const second = await configuredPlugin();
    const again = await create(second, VM, 'box', { labels: { role: 'box' } });
    expect(again.id).toBe(made);
    expect(await alive()).toEqual([made]);
    expect(again.properties.labels).toEqual({ role: 'box' });

    // pulumi up --replace: the old VM (same URN) exists while the new one is made.
    const engine = new MiniEngine(second);
    const prior = { type: VM, name: 'box', id: again.id, inputs: (await second.check(VM, 'box', { labels: { role: 'box' } })).inputs, outputs: again.properties };
    const replaced = await engine.register(VM, 'box', { labels: { role: 'box' }, vcpuCount: 2 }, prior);
    expect(replaced.step).toBe('replace');
    expect(replaced.state.id).not.toBe(made);
    expect(await alive()).toEqual([replaced.state.id]);
    await engine.destroy(replaced.state);
  }, 180_000);

  test('a restored VM whose create was cut short by a crash is adopted by the next create of the same URN', async () => {
    await local.admin('POST', '/reset');
    const plugin = await configuredPlugin();
    const source = await create(plugin, VM, 'source', {});
    const snap = await create(plugin, COMMIT, 'snap', { vmId: source.id, deleteOnDestroy: true });
    const commitId = snap.id;
    // Reading the new VM's key hangs, so the crash comes after Vers made the VM and before Pulumi heard of it.
    await local.admin('PUT', '/faults', { json: { routes: [{ route: 'GET /api/v1/vm/{vm_id}/ssh_key', latencyMs: 60_000 }] } });
    let restored = '';
    try {
      const doomed = await configuredPlugin();
      const crashed = create(doomed, RESTORE, 'worker', { commitId, labels: { role: 'worker' } }).catch((error: unknown) => error);
      await waitUntil('the restored VM to exist', async () => ([restored = ''] = (await alive()).filter((id) => id !== source.id)).length === 1, 30_000, 100);
      await waitUntil('the plugin to ask for its key', async () => (await routeCount('GET /api/v1/vm/{vm_id}/ssh_key')) > 1, 30_000, 100);
      await doomed.kill();
      await crashed;
    } finally {
      await local.admin('PUT', '/faults', { json: {} });
    }
    const next = await configuredPlugin();
    const again = await create(next, RESTORE, 'worker', { commitId, labels: { role: 'worker' } });
    expect(again.id).toBe(restored);
    expect((await alive()).sort()).toEqual([source.id, restored].sort());
    await next.delete(RESTORE, 'worker', again.id, again.properties);
    await next.delete(COMMIT, 'snap', snap.id, snap.properties);
    await next.delete(VM, 'source', source.id, source.properties);
  }, 180_000);
});
