import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { startVersLocal, type VersLocalProcess } from '../helpers/vers-local';

/**
 * Commits are real filesystem snapshots: what VM A writes survives commit
 * and restore into VM B, and never reaches the host or an unrelated root VM.
 */

let local: VersLocalProcess;

beforeAll(async () => {
  local = await startVersLocal({ args: ['--boot-delay-ms', '0'] });
});

afterAll(async () => {
  await local?.stop();
});

async function newRoot(): Promise<string> {
  const res = await local.api('POST', '/vm/new_root?wait_boot=true', { json: { vm_config: {} } });
  expect(res.status).toBe(201);
  return res.json<{ vm_id: string }>().vm_id;
}

test('a file written in VM A is in VM B restored from A’s commit, and not on the host nor in a fresh root VM C', async () => {
  const marker = `/opt/vers-local-marker-${randomUUID()}.txt`;
  const vmA = await newRoot();
  const write = await local.ssh(vmA, `echo "written in A" > ${marker} && sync`);
  expect(write.code).toBe(0);

  const commit = await local.api('POST', `/vm/${vmA}/commit`);
  expect(commit.status).toBe(201);
  const commitId = commit.json<{ commit_id: string }>().commit_id;

  // A keeps running and keeps its own copy; its later writes do not leak into the commit.
  expect((await local.ssh(vmA, `echo "changed after commit" > ${marker}`)).code).toBe(0);

  const restore = await local.api('POST', '/vm/from_commit', { json: { commit_id: commitId } });
  expect(restore.status).toBe(201);
  const vmB = restore.json<{ vm_id: string }>().vm_id;
  const inB = await local.ssh(vmB, `cat ${marker}; hostname`);
  expect(inB).toMatchObject({ code: 0, stdout: `written in A\n${vmB}\n` });

  expect(existsSync(marker)).toBe(false);

  const vmC = await newRoot();
  const inC = await local.ssh(vmC, `test -e ${marker} && echo present || echo absent`);
  expect(inC).toMatchObject({ code: 0, stdout: 'absent\n' });

  for (const vm of [vmA, vmB, vmC]) expect((await local.api('DELETE', `/vm/${vm}`)).status).toBe(200);
});

test('a branch child gets the source’s files and its own SSH identity', async () => {
  const source = await newRoot();
  expect((await local.ssh(source, 'mkdir -p /srv/app && echo v1 > /srv/app/version')).code).toBe(0);
  const branch = await local.api('POST', `/vm/${source}/branch`);
  expect(branch.status).toBe(201);
  const child = branch.json<{ vms: Array<{ vm_id: string }> }>().vms[0]!.vm_id;
  expect(await local.ssh(child, 'cat /srv/app/version')).toMatchObject({ code: 0, stdout: 'v1\n' });
  const sourceKey = (await local.api('GET', `/vm/${source}/ssh_key`)).json<{ ssh_private_key: string }>().ssh_private_key;
  const refused = await local.ssh(child, 'true', { privateKey: sourceKey, timeoutMs: 20000 });
  expect(refused.code).toBe(255);
  for (const vm of [source, child]) expect((await local.api('DELETE', `/vm/${vm}`)).status).toBe(200);
});
