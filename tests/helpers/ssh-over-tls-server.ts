import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, fchmodSync, fstatSync, lstatSync, mkdirSync, mkdtempSync, openSync, readdirSync, renameSync, rmSync, statSync, chmodSync, unlinkSync, writeSync, type Stats } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer, type Server as TlsServer, type TLSSocket } from 'node:tls';
import { type Attributes, type Connection, type ParsedKey, Server as SshServer, type SFTPWrapper, utils as sshUtils } from 'ssh2';
import { generateEd25519KeyPair } from '../../emulator/models/vm-keys';
import { makeTestPki, type TestPki } from './test-pki';

const { OPEN_MODE, STATUS_CODE, flagsToString } = sshUtils.sftp;

export interface SshOverTlsServerOptions {
  /** Wildcard domain of the certificate, e.g. `vm.test` gives `*.vm.test`. Default `vm.test`. */
  vmDomain?: string;
  /** Close this many TLS connections right after the handshake, like a gateway whose VM is still booting. */
  dropFirstConnections?: number;
  /** Reuse a PKI (to test an unknown CA, pass a different one to the client). */
  pki?: TestPki;
  /**
   * Answer matching commands without running anything: output, exit status,
   * EOF and close written at once, so they reach the client in one burst
   * together with the exec reply (a race a slow real sshd hits sometimes).
   */
  instantReply?: (command: string) => { stdout: string; exitCode: number } | undefined;
  /**
   * SFTP writes fail with `Failure` ("No space left on device", as OpenSSH's
   * sftp-server reports ENOSPC) once this many bytes were written in total.
   */
  diskFullAfterBytes?: number;
}

export interface SshOverTlsServer {
  /** `127.0.0.1:<port>`, for ssh_gateway. */
  gateway: { host: string; port: number };
  vmDomain: string;
  /** The CA file that signed the server certificate. */
  caFile: string;
  /** The VM's private key (OpenSSH PEM) the server accepts for user root. */
  clientPrivateKey: string;
  /** The server's host key blob and a second, unrelated host key (for mismatch tests). */
  hostKeyBlob: Buffer;
  hostKeyPublicLine: string;
  /** Directory that stands for the VM's filesystem root for SFTP (VM path `/x` is `${root}/x`). */
  root: string;
  /** SNI names of every TLS connection. */
  serverNames: string[];
  /** TLS connections accepted (including dropped ones). */
  connectionCount(): number;
  /** Pids of commands started and not yet reaped. */
  runningPids(): number[];
  /** Whether any process of the command group led by `pid` still runs. */
  processGroupAlive(pid: number): boolean;
  /** Stop reading every open connection: the client's keep-alives go unanswered. */
  freeze(): void;
  close(): Promise<void>;
}

/**
 * An in-process stand-in for a VM behind the Vers SSH gateway: a node:tls
 * server (certificate for `*.{vmDomain}` from a throwaway CA) that hands each
 * connection to an ssh2 Server. Commands really run (`/bin/sh -c`, cwd =
 * root); SFTP writes real files under `root`. The unit tests' layer below the
 * SSH boundary.
 */
export async function startSshOverTlsServer(options: SshOverTlsServerOptions = {}): Promise<SshOverTlsServer> {
  const vmDomain = options.vmDomain ?? 'vm.test';
  const hostKey = generateEd25519();
  const clientKey = generateEd25519();
  const ownPki = options.pki === undefined;
  const pki = options.pki ?? makeTestPki([`*.${vmDomain}`]);
  const root = mkdtempSync(join(tmpdir(), 'vers-ssh-root-'));
  const authorized = sshUtils.parseKey(clientKey.public) as ParsedKey;
  const hostParsed = sshUtils.parseKey(hostKey.public) as ParsedKey;
  const serverNames: string[] = [];
  const sockets = new Set<TLSSocket>();
  const children = new Set<ChildProcess>();
  let connections = 0;
  const disk = { written: 0, fullAfter: options.diskFullAfterBytes ?? Number.POSITIVE_INFINITY };

  const ssh = new SshServer({ hostKeys: [hostKey.private] }, (client: Connection) => {
    client.on('error', () => undefined);
    client.on('authentication', (ctx) => {
      if (ctx.method !== 'publickey' || ctx.username !== 'root' || !ctx.key.data.equals(authorized.getPublicSSH())) {
        ctx.reject(['publickey']);
        return;
      }
      if (ctx.signature === undefined || ctx.blob === undefined) ctx.accept();
      else if (authorized.verify(ctx.blob, ctx.signature, ctx.hashAlgo) === true) ctx.accept();
      else ctx.reject(['publickey']);
    });
    client.on('ready', () => {
      client.on('session', (acceptSession) => {
        const session = acceptSession();
        session.on('exec', (accept, _reject, info) => {
          const instant = options.instantReply?.(info.command);
          if (instant !== undefined) for (const socket of sockets) socket.cork();
          const channel = accept();
          if (instant !== undefined) {
            // Corked since before accept(), so the exec reply and everything after it leave in one TLS record.
            process.nextTick(() => {
              channel.write(instant.stdout);
              channel.exit(instant.exitCode);
              channel.end();
              process.nextTick(() => {
                for (const socket of sockets) socket.uncork();
              });
            });
            return;
          }
          // Own process group, so killing it takes the command's children (bash, sleep…) too, as sshd's session teardown does.
          const child = spawn('/bin/sh', ['-c', info.command], { cwd: root, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
          children.add(child);
          child.stdout.on('data', (chunk: Buffer) => channel.write(chunk));
          child.stderr.on('data', (chunk: Buffer) => channel.stderr.write(chunk));
          channel.on('data', (chunk: Buffer) => child.stdin.write(chunk));
          channel.on('end', () => child.stdin.end());
          child.stdin.on('error', () => undefined);
          channel.on('close', () => killGroup(child));
          // As sshd does: the exit status goes out when the command exits, EOF only once every
          // holder of its stdout/stderr (a background child, say) has closed them.
          child.on('exit', (code, signal) => {
            children.delete(child);
            try {
              if (signal !== null) channel.exit(signal.replace(/^SIG/, ''), false, '');
              else channel.exit(code ?? 0);
            } catch {
              // The client went away first.
            }
          });
          child.on('close', () => {
            try {
              channel.end();
            } catch {
              // The client went away first.
            }
          });
        });
        session.on('sftp', (accept) => serveSftp(accept(), root, disk));
      });
    });
    client.on('close', () => {
      for (const child of children) killGroup(child);
    });
  });

  let dropsLeft = options.dropFirstConnections ?? 0;
  const tls: TlsServer = createTlsServer({ cert: pki.certPem, key: pki.keyPem }, (socket: TLSSocket) => {
    connections++;
    serverNames.push((socket as TLSSocket & { servername?: string | false }).servername || '');
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    if (dropsLeft > 0) {
      dropsLeft--;
      socket.destroy();
      return;
    }
    ssh.injectSocket(socket);
  });
  tls.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => tls.listen(0, '127.0.0.1', resolve));
  const port = (tls.address() as AddressInfo).port;

  return {
    gateway: { host: '127.0.0.1', port },
    vmDomain,
    caFile: pki.caFile,
    clientPrivateKey: clientKey.private,
    hostKeyBlob: hostParsed.getPublicSSH(),
    hostKeyPublicLine: hostKey.public,
    root,
    serverNames,
    connectionCount: () => connections,
    runningPids: () => [...children].flatMap((child) => (child.pid === undefined ? [] : [child.pid])),
    processGroupAlive: (pid: number) => {
      try {
        process.kill(-pid, 0);
        return true;
      } catch {
        return false;
      }
    },
    freeze: () => {
      for (const socket of sockets) socket.pause();
    },
    close: async () => {
      for (const child of children) killGroup(child);
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => tls.close(() => resolve()));
      rmSync(root, { recursive: true, force: true });
      if (ownPki) pki.cleanup();
    },
  };
}

/** SIGKILL a command's whole process group (it was spawned detached, as its leader). */
function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/** An Ed25519 key pair in OpenSSH format (see generateEd25519KeyPair for ssh2's key bug). */
export const generateEd25519 = generateEd25519KeyPair;

/**
 * Just enough of an SFTP server for uploads: open/write/close, stat, mkdir,
 * chmod, rename (which replaces the target, as POSIX rename does), remove,
 * readdir. No extensions: ssh2's server cannot announce any.
 */
function serveSftp(sftp: SFTPWrapper, root: string, disk: { written: number; fullAfter: number }): void {
  const handles = new Map<number, number>();
  const directories = new Map<number, { entries: string[]; path: string }>();
  let nextHandle = 1;
  const local = (path: string): string => join(root, path);
  const fd = (handle: Buffer): number | undefined => (handle.length === 4 ? handles.get(handle.readUInt32BE(0)) : undefined);
  const fail = (reqId: number, error: unknown): void => {
    const code = (error as NodeJS.ErrnoException).code;
    sftp.status(reqId, code === 'ENOENT' ? STATUS_CODE.NO_SUCH_FILE : code === 'EACCES' ? STATUS_CODE.PERMISSION_DENIED : STATUS_CODE.FAILURE, String((error as Error).message));
  };
  const attrsOf = (stats: Stats): Attributes => ({ mode: stats.mode, uid: stats.uid, gid: stats.gid, size: stats.size, atime: Math.floor(stats.atimeMs / 1000), mtime: Math.floor(stats.mtimeMs / 1000) });

  sftp.on('OPEN', (reqId, filename, flags, attrs) => {
    try {
      const mode = typeof attrs.mode === 'number' ? attrs.mode & 0o7777 : 0o644;
      const opened = openSync(local(filename), flagsToString(flags) ?? (flags & OPEN_MODE.WRITE ? 'w' : 'r'), mode);
      const id = nextHandle++;
      handles.set(id, opened);
      const handle = Buffer.alloc(4);
      handle.writeUInt32BE(id, 0);
      sftp.handle(reqId, handle);
    } catch (error) {
      fail(reqId, error);
    }
  });
  sftp.on('WRITE', (reqId, handle, offset, data) => {
    const target = fd(handle);
    if (target === undefined) return sftp.status(reqId, STATUS_CODE.FAILURE, 'bad handle');
    if (disk.written + data.length > disk.fullAfter) return sftp.status(reqId, STATUS_CODE.FAILURE, 'No space left on device');
    try {
      disk.written += data.length;
      writeSync(target, data, 0, data.length, offset);
      sftp.status(reqId, STATUS_CODE.OK);
    } catch (error) {
      fail(reqId, error);
    }
  });
  sftp.on('CLOSE', (reqId, handle) => {
    if (handle.length === 4 && directories.delete(handle.readUInt32BE(0))) return sftp.status(reqId, STATUS_CODE.OK);
    const target = fd(handle);
    if (target === undefined) return sftp.status(reqId, STATUS_CODE.FAILURE, 'bad handle');
    handles.delete(handle.readUInt32BE(0));
    closeSync(target);
    sftp.status(reqId, STATUS_CODE.OK);
  });
  sftp.on('FSTAT', (reqId, handle) => {
    const target = fd(handle);
    if (target === undefined) return sftp.status(reqId, STATUS_CODE.FAILURE, 'bad handle');
    sftp.attrs(reqId, attrsOf(fstatSync(target)));
  });
  sftp.on('FSETSTAT', (reqId, handle, attrs) => {
    const target = fd(handle);
    if (target === undefined) return sftp.status(reqId, STATUS_CODE.FAILURE, 'bad handle');
    if (typeof attrs.mode === 'number') fchmodSync(target, attrs.mode & 0o7777);
    sftp.status(reqId, STATUS_CODE.OK);
  });
  sftp.on('SETSTAT', (reqId, path, attrs) => {
    try {
      if (typeof attrs.mode === 'number') chmodSync(local(path), attrs.mode & 0o7777);
      sftp.status(reqId, STATUS_CODE.OK);
    } catch (error) {
      fail(reqId, error);
    }
  });
  const onStat = (reqId: number, path: string): void => {
    try {
      sftp.attrs(reqId, attrsOf(statSync(local(path))));
    } catch (error) {
      fail(reqId, error);
    }
  };
  sftp.on('STAT', onStat);
  sftp.on('LSTAT', (reqId, path) => {
    try {
      sftp.attrs(reqId, attrsOf(lstatSync(local(path))));
    } catch (error) {
      fail(reqId, error);
    }
  });
  sftp.on('MKDIR', (reqId, path, attrs) => {
    try {
      mkdirSync(local(path), { mode: typeof attrs.mode === 'number' ? attrs.mode & 0o7777 : 0o755 });
      sftp.status(reqId, STATUS_CODE.OK);
    } catch (error) {
      fail(reqId, error);
    }
  });
  sftp.on('REALPATH', (reqId, path) => sftp.name(reqId, [{ filename: path, longname: path, attrs: {} as Attributes }]));
  sftp.on('RENAME', (reqId, from, to) => {
    try {
      renameSync(local(from), local(to));
      sftp.status(reqId, STATUS_CODE.OK);
    } catch (error) {
      fail(reqId, error);
    }
  });
  sftp.on('REMOVE', (reqId, path) => {
    try {
      unlinkSync(local(path));
      sftp.status(reqId, STATUS_CODE.OK);
    } catch (error) {
      fail(reqId, error);
    }
  });
  sftp.on('OPENDIR', (reqId, path) => {
    try {
      const entries = readdirSync(local(path));
      const id = nextHandle++;
      directories.set(id, { entries, path });
      const handle = Buffer.alloc(4);
      handle.writeUInt32BE(id, 0);
      sftp.handle(reqId, handle);
    } catch (error) {
      fail(reqId, error);
    }
  });
  sftp.on('READDIR', (reqId, handle) => {
    const directory = handle.length === 4 ? directories.get(handle.readUInt32BE(0)) : undefined;
    if (directory === undefined) return sftp.status(reqId, STATUS_CODE.FAILURE, 'bad handle');
    if (directory.entries.length === 0) return sftp.status(reqId, STATUS_CODE.EOF);
    const names = directory.entries.splice(0).flatMap((name) => {
      try {
        return [{ filename: name, longname: name, attrs: attrsOf(lstatSync(join(local(directory.path), name))) }];
      } catch {
        return [];
      }
    });
    sftp.name(reqId, names);
  });
  // As sshd does: a channel the client closes is closed back (ssh2 leaves that to SFTP servers).
  sftp.on('end', () => sftp.end());
  sftp.on('close', () => {
    for (const opened of handles.values()) closeSync(opened);
    handles.clear();
  });
}
