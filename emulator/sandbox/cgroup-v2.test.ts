import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CgroupV2Host } from './cgroup-v2';

// The v2 backend runs on hosts where /sys/fs/cgroup is cgroup2. A hybrid host (like the CI machines)
// mounts a cgroup2 tree without controllers at /sys/fs/cgroup/unified: enough to check freezing and killing.
const UNIFIED = ['/sys/fs/cgroup', '/sys/fs/cgroup/unified'].find((dir) => readFileSync('/proc/self/mounts', 'utf8').includes(` ${dir} cgroup2 `));
const describeV2 = UNIFIED === undefined || !existsSync(UNIFIED) ? describe.skip : describe;

describeV2('cgroup v2 backend', () => {
  test('freezes, thaws and kills every process of a VM group, then removes it', async () => {
    const prefix = `vers-test-v2-${process.pid}`;
    const host = new CgroupV2Host(UNIFIED as string, prefix);
    const group = await host.createVmCgroup('00000000-0000-4000-8000-000000000001');
    const child = spawn('/bin/sh', ['-c', 'echo $$ > "$1"; exec sleep 300', 'join', group.joinFiles[0] as string], { stdio: 'ignore' });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const dir = join(UNIFIED as string, prefix, '00000000-0000-4000-8000-000000000001');
    for (let i = 0; i < 100 && !readFileSync(join(dir, 'cgroup.procs'), 'utf8').includes(String(child.pid)); i += 1) await new Promise((resolve) => setTimeout(resolve, 10));
    await group.freeze();
    expect(readFileSync(join(dir, 'cgroup.events'), 'utf8')).toMatch(/^frozen 1$/m);
    await group.thaw();
    expect(readFileSync(join(dir, 'cgroup.events'), 'utf8')).toMatch(/^frozen 0$/m);
    await group.killAll(5000);
    await exited;
    expect(readFileSync(join(dir, 'cgroup.procs'), 'utf8')).toBe('');
    await group.remove(2000);
    await host.removePrefix();
    expect(existsSync(join(UNIFIED as string, prefix))).toBe(false);
  });
});
