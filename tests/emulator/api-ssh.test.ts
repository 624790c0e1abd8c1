import { startVersLocal, type VersLocalProcess } from '../helpers/vers-local';

/**
 * VMs created over the API are reachable the way Vers users reach them: the
 * OpenSSH client through `openssl s_client` as ProxyCommand, SNI
 * `{vm_id}.vm.vers-local.test`, the key from ssh_key. Pausing stalls SSH and
 * resuming brings it back.
 */

let local: VersLocalProcess;

beforeAll(async () => {
  local = await startVersLocal({ args: ['--boot-delay-ms', '0'] });
});

afterAll(async () => {
  await local?.stop();
});

async function newVm(): Promise<string> {
  const res = await local.api('POST', '/vm/new_root?wait_boot=true', { json: { vm_config: {} } });
  expect(res.status).toBe(201);
  return res.json<{ vm_id: string }>().vm_id;
}

test('a VM created over the API is reachable with the official ssh + openssl s_client recipe', async () => {
  const vmId = await newVm();
  const run = await local.ssh(vmId, 'echo "$(hostname) $(id -un)"; test -f /root/.ssh/authorized_keys && echo has-key');
  expect(run).toMatchObject({ code: 0, timedOut: false });
  expect(run.stdout).toBe(`${vmId} root\nhas-key\n`);
  await local.api('DELETE', `/vm/${vmId}`);
});

test('another VM’s key is refused, and an unknown VM name gets no session', async () => {
  const a = await newVm();
  const b = await newVm();
  const keyOfB = (await local.api('GET', `/vm/${b}/ssh_key`)).json<{ ssh_private_key: string }>().ssh_private_key;
  const wrongKey = await local.ssh(a, 'true', { privateKey: keyOfB, timeoutMs: 20000 });
  expect(wrongKey.code).toBe(255);
  expect(wrongKey.stderr).toMatch(/Permission denied/);

  await local.api('DELETE', `/vm/${b}`);
  const deleted = await local.ssh(b, 'true', { privateKey: keyOfB, timeoutMs: 20000 });
  expect(deleted.code).toBe(255);
  await local.api('DELETE', `/vm/${a}`);
});

test('pausing a VM makes SSH stall, and resuming brings it back', async () => {
  const vmId = await newVm();
  const key = (await local.api('GET', `/vm/${vmId}/ssh_key`)).json<{ ssh_private_key: string }>().ssh_private_key;
  expect((await local.api('PATCH', `/vm/${vmId}/state`, { json: { state: 'Paused' } })).status).toBe(200);

  const stalled = await local.ssh(vmId, 'echo reached', { privateKey: key, timeoutMs: 4000 });
  expect(stalled.stdout).not.toContain('reached');
  expect(stalled.timedOut || stalled.code !== 0).toBe(true);

  expect((await local.api('PATCH', `/vm/${vmId}/state`, { json: { state: 'Running' } })).status).toBe(200);
  const resumed = await local.ssh(vmId, 'echo reached', { privateKey: key });
  expect(resumed).toMatchObject({ code: 0, stdout: 'reached\n' });
  await local.api('DELETE', `/vm/${vmId}`);
});

test('a slow sshd start (injected) delays the SSH session, which then succeeds', async () => {
  expect((await local.admin('PUT', '/faults', { json: { sshdStartDelayMs: 2000 } })).status).toBe(200);
  try {
    const vmId = await newVm();
    const started = Date.now();
    const run = await local.ssh(vmId, 'echo late');
    expect(run).toMatchObject({ code: 0, stdout: 'late\n' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1500);
    await local.api('DELETE', `/vm/${vmId}`);
  } finally {
    await local.admin('PUT', '/faults', { json: {} });
  }
});
