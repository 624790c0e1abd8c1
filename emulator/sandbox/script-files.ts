import { randomBytes } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { vmSshdConfig } from './sshd-config';
import { INIT_SCRIPT, NAMESPACE_HOLDER_SCRIPT } from './vm-scripts';

/** Host paths of the files a VM's setup runs or reads. */
export interface ScriptFiles {
  holder: string;
  init: string;
  sshdConfig: string;
}

/**
 * Write the VM setup scripts and the sshd config to `<stateDir>/scripts/`
 * (atomically, so concurrent creates and a state dir cleaned meanwhile are
 * both fine). Running them from files keeps process listings (`ps`,
 * `pgrep -af`) short: the scripts are not in every command line.
 */
export async function installScriptFiles(stateDir: string): Promise<ScriptFiles> {
  const dir = join(stateDir, 'scripts');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const files: ScriptFiles = { holder: join(dir, 'vm-holder.sh'), init: join(dir, 'vm-init.sh'), sshdConfig: join(dir, 'sshd_config') };
  const contents: Array<[string, string]> = [
    [files.holder, NAMESPACE_HOLDER_SCRIPT],
    [files.init, INIT_SCRIPT],
    [files.sshdConfig, vmSshdConfig()],
  ];
  for (const [path, text] of contents) {
    const temporary = `${path}.${process.pid}-${randomBytes(4).toString('hex')}`;
    await writeFile(temporary, text, { mode: 0o600 });
    await rename(temporary, path);
  }
  return files;
}
