import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { isAlive, type VersLocalReady } from '../helpers/vers-local';

/** Poll until `check` holds or the limit passes. */
async function eventually(check: () => boolean, limitMs: number): Promise<boolean> {
  for (const deadline = Date.now() + limitMs; Date.now() < deadline; ) {
    if (check()) return true;
    await new Promise((resolveWait) => setTimeout(resolveWait, 100));
  }
  return check();
}

test('when the process that started vers-local is killed, vers-local removes its VMs and its state dir and exits', async () => {
  // A stand-in for a test run that dies: it starts vers-local through the fixture, makes a VM, then is SIGKILLed.
  const fixture = join(__dirname, '..', 'helpers', 'vers-local.js');
  const script = `
    const { startVersLocal } = require(${JSON.stringify(fixture)});
    startVersLocal().then(async (local) => {
      const made = await local.api('POST', '/vm/new_root?wait_boot=true', { json: { vm_config: {} } });
      console.log(JSON.stringify({ pid: local.pid, ready: local.ready, vmId: made.json().vm_id }));
      setInterval(() => undefined, 1000);
    });`;
  const parent = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolveLine, reject) => {
    createInterface({ input: parent.stdout! }).once('line', resolveLine);
    parent.once('exit', (code) => reject(new Error(`the parent exited early (${String(code)})`)));
  });
  const started = JSON.parse(line) as { pid: number; ready: VersLocalReady; vmId: string };
  expect(existsSync(started.ready.state_dir)).toBe(true);

  parent.kill('SIGKILL');
  expect(await eventually(() => !isAlive(started.pid), 20_000)).toBe(true);
  expect(existsSync(started.ready.state_dir)).toBe(false);
});
