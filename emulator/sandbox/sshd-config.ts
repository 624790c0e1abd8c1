/** Where each VM keeps its sshd configuration and host key (inside the VM, like on a real Vers VM). */
export const VM_SSHD_CONFIG_PATH = '/etc/ssh/sshd_config';
export const VM_HOST_KEY_PATH = '/etc/ssh/ssh_host_ed25519_key';

/**
 * The sshd_config every VM gets: root only, public key only, the VM's own
 * ed25519 host key, SFTP built in. sshd runs in inetd mode (`-i`), one
 * process per connection, so there is no listener, pid file or port.
 */
export function vmSshdConfig(): string {
  return [
    '# Written by vers-local at VM start: sshd runs in inetd mode, one process per gateway connection.',
    `HostKey ${VM_HOST_KEY_PATH}`,
    'PermitRootLogin prohibit-password',
    'AllowUsers root',
    'AuthenticationMethods publickey',
    'PubkeyAuthentication yes',
    'AuthorizedKeysFile .ssh/authorized_keys',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'HostbasedAuthentication no',
    'UsePAM no',
    'PermitEmptyPasswords no',
    'PrintMotd no',
    'PrintLastLog no',
    'UseDNS no',
    'X11Forwarding no',
    'PidFile none',
    'Subsystem sftp internal-sftp',
    '',
  ].join('\n');
}

/** The command line, inside the VM, of one connection's sshd; logs go to stderr (`-e`), not syslog. */
export function sshdInetdCommand(sshdPath: string, logLevel: 'QUIET' | 'ERROR' | 'INFO' | 'VERBOSE' | 'DEBUG'): string[] {
  return [sshdPath, '-i', '-e', '-f', VM_SSHD_CONFIG_PATH, '-o', `LogLevel=${logLevel}`];
}
