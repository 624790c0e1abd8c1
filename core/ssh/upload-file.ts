import { randomBytes } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { posix } from 'node:path';
import type { SFTPWrapper, Stats } from 'ssh2';
import { CancelledError, DiskFullError, SshError, ValidationError } from '../base/errors';
import type { SshConnection } from './ssh-connection';

/** One file to put in the VM: exactly one of `source` (a local path, streamed) or `content` (inline text). */
export interface UploadFileSpec {
  /** Absolute path in the VM; parent directories are created. */
  destination: string;
  source?: string;
  content?: string;
  /** Permission bits: a number or an octal string such as `0644`/`755`. Default 0644. */
  mode?: number | string;
}

export interface UploadFileOptions {
  /** Aborting stops the upload, removes its temporary file and closes the connection; rejects with CancelledError. */
  signal?: AbortSignal;
  /** Called with bytes sent so far for `source` files. */
  onProgress?: (sentBytes: number, totalBytes: number) => void;
}

export const DEFAULT_FILE_MODE = 0o644;
const DIRECTORY_MODE = 0o755;
/**
 * 16 parallel SFTP writes of 255 KiB (OpenSSH's largest write, 261120 bytes):
 * ~4 MiB in flight, so memory stays flat for any file size. Measured by
 * bench/provision-transport.ts: 1.3–1.6× the throughput of 32 × 32 KiB, since
 * fewer, larger requests cost less per byte on both ends.
 */
const UPLOAD_CONCURRENCY = 16;
const UPLOAD_CHUNK_BYTES = 261_120;
/** How long a stopped upload may take to remove its temporary file before the connection is dropped anyway. */
const CLEANUP_GRACE_MS = 5000;
/** Temporary files are `.<name>.vers-upload-<12 hex>` beside the destination; names are kept within NAME_MAX. */
const TEMP_INFIX = '.vers-upload-';
const TEMP_NAME_MAX_BASE = 200;
const MIB = 1024 * 1024;

/** `0644`, `644`, `0o644` or a number → permission bits 000–777; ValidationError otherwise. */
export function parseFileMode(mode: number | string | undefined, property = 'mode'): number {
  if (mode === undefined) return DEFAULT_FILE_MODE;
  if (typeof mode === 'number') {
    if (Number.isInteger(mode) && mode >= 0 && mode <= 0o777) return mode;
  } else if (/^(0o?)?[0-7]{3}$/i.test(mode.trim())) {
    return parseInt(mode.trim().replace(/^0o/i, ''), 8);
  }
  throw new ValidationError(property, `must be octal permission bits such as 0644 or 0755 (000 to 777), got ${JSON.stringify(mode)}`);
}

/**
 * Upload one file over the connection's SFTP session so that the
 * destination is replaced whole or not at all: mkdir -p of the parent, the
 * data written to a temporary file beside the destination (`source`
 * streamed from disk, never read whole into memory), its mode set (and the
 * owner of a file it replaces kept), fsync'd where the server offers
 * fsync@openssh.com, then renamed over the destination (posix-rename@openssh.com,
 * atomic). A failure, timeout or cancel removes the temporary file while the
 * session lives; one left by a dropped connection is removed by the next
 * upload to the same destination. Not enough free space is a DiskFullError
 * (ENOSPC) with the file size and the free space, before anything is written
 * when the server reports free space (statvfs@openssh.com).
 */
export async function uploadFile(connection: SshConnection, file: UploadFileSpec, options: UploadFileOptions = {}): Promise<void> {
  const mode = parseFileMode(file.mode);
  if (typeof file.destination !== 'string' || !file.destination.startsWith('/')) throw new ValidationError('destination', 'must be an absolute path (starting with /)');
  if ((file.source === undefined) === (file.content === undefined)) throw new ValidationError(file.destination, 'needs exactly one of source and content');
  const requested = posix.normalize(file.destination);
  const what = `upload of ${requested}`;
  const { signal } = options;

  // Until the temporary file exists, a cancel just drops the connection.
  const prepared = await withCancellation(connection, signal, what, async () => {
    const sizeBytes = file.source !== undefined ? await localFileSize(file.source) : Buffer.byteLength(file.content as string);
    const sftp = await connection.sftp();
    await mkdirp(sftp, posix.dirname(requested));
    const destination = await resolveDestination(sftp, requested);
    await removeStaleTemporaries(sftp, destination.path);
    await ensureSpace(sftp, destination.path, sizeBytes);
    return { sftp, sizeBytes, destination };
  });
  const { sftp, sizeBytes, destination } = prepared;
  const temporary = temporaryPathFor(destination.path);

  const transfer = (async (): Promise<void> => {
    if (file.source !== undefined) {
      await sftpCall<void>(`upload ${file.source} to ${destination.path}`, (done) =>
        sftp.fastPut(file.source as string, temporary, {
          mode,
          concurrency: UPLOAD_CONCURRENCY,
          chunkSize: UPLOAD_CHUNK_BYTES,
          ...(options.onProgress === undefined ? {} : { step: (sent: number, _chunk: number, total: number) => options.onProgress?.(sent, total) }),
        }, done),
      );
    } else {
      await sftpCall<void>(`write ${destination.path}`, (done) => sftp.writeFile(temporary, file.content as string, { mode }, done));
    }
    // The mode holds whatever the server's umask; a replaced file keeps its owner.
    await sftpCall<void>(`chmod ${temporary}`, (done) => sftp.chmod(temporary, mode, done));
    if (destination.existing !== undefined) {
      const { uid, gid } = destination.existing;
      await sftpCall<void>(`chown ${temporary}`, (done) => sftp.chown(temporary, uid, gid, done));
    }
    await fsyncIfOffered(sftp, temporary);
  })();
  transfer.catch(() => undefined);

  const stopped = signal === undefined ? undefined : abortedPromise(signal);
  const outcome = await Promise.race([transfer.then(() => 'written' as const, (error: unknown) => ({ error })), ...(stopped === undefined ? [] : [stopped.promise])]);
  stopped?.dispose();
  if (outcome === 'aborted') {
    // Stop the transfer where it is (its SFTP session goes), remove the temporary over a fresh one, then drop the connection.
    await withinGrace(async () => {
      await connection.closeSftp();
      await removeQuietly(await connection.sftp(), temporary);
    });
    connection.close();
    throw new CancelledError(what, { operation: 'upload', resource: connection.serverName });
  }
  if (outcome !== 'written') {
    // A dead connection can neither tell nor clean up: the next upload to this path removes the temporary file.
    const full = connection.closed ? false : await diskIsFull(sftp, destination.path);
    if (!connection.closed) await withinGrace(async () => removeQuietly(sftp, temporary));
    const space = full ? await freeSpaceOf(sftp, posix.dirname(destination.path)) : undefined;
    if (space !== undefined) throw diskFull(destination.path, sizeBytes, space);
    const { error } = outcome;
    throw error instanceof SshError ? error : new SshError(`upload of ${destination.path} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error, operation: 'upload' });
  }
  try {
    await renameOver(sftp, temporary, destination.path);
  } catch (error) {
    if (!connection.closed) await withinGrace(async () => removeQuietly(sftp, temporary));
    throw error;
  }
}

async function localFileSize(source: string): Promise<number> {
  const local = await stat(source).catch((error: unknown) => {
    throw new ValidationError('source', `cannot read ${JSON.stringify(source)}: ${error instanceof Error ? error.message : String(error)}`);
  });
  if (!local.isFile()) throw new ValidationError('source', `${JSON.stringify(source)} is not a regular file`);
  return local.size;
}

/** Where the bytes go: the destination, or the file a symbolic link there points to; refused when it is a directory. */
async function resolveDestination(sftp: SFTPWrapper, requested: string): Promise<{ path: string; existing: Stats | undefined }> {
  let path = requested;
  let existing = await statOrUndefined(sftp, path, 'lstat');
  if (existing?.isSymbolicLink() === true) {
    const target = await sftpCall<string>(`realpath ${requested}`, (done) => sftp.realpath(requested, done)).catch(() => undefined);
    if (target !== undefined && target !== requested) {
      path = target;
      existing = await statOrUndefined(sftp, path, 'lstat');
    }
  }
  if (existing?.isDirectory() === true) {
    throw new SshError(`cannot upload to ${requested}: ${path} is a directory in the VM; name the file to write, e.g. ${posix.join(path, 'name')}`, { operation: 'upload' }, 'DESTINATION_IS_DIRECTORY');
  }
  return { path, existing: existing?.isFile() === true ? existing : undefined };
}

function temporaryPathFor(destination: string): string {
  const base = posix.basename(destination).slice(0, TEMP_NAME_MAX_BASE);
  return posix.join(posix.dirname(destination), `.${base}${TEMP_INFIX}${randomBytes(6).toString('hex')}`);
}

/** Remove what an upload to `destination` cut off by a dropped connection left behind. */
async function removeStaleTemporaries(sftp: SFTPWrapper, destination: string): Promise<void> {
  const prefix = `.${posix.basename(destination).slice(0, TEMP_NAME_MAX_BASE)}${TEMP_INFIX}`;
  const directory = posix.dirname(destination);
  const entries = await sftpCall<Array<{ filename: string }>>(`readdir ${directory}`, (done) => sftp.readdir(directory, done)).catch(() => []);
  for (const entry of entries) {
    if (entry.filename.startsWith(prefix) && /^[0-9a-f]{12}$/.test(entry.filename.slice(prefix.length))) await removeQuietly(sftp, posix.join(directory, entry.filename));
  }
}

interface FreeSpace {
  freeBytes: number;
  totalBytes: number;
}

/** The free space of the filesystem holding `path`, for root, when the server offers statvfs@openssh.com. */
async function freeSpaceOf(sftp: SFTPWrapper, path: string): Promise<FreeSpace | undefined> {
  if (!offers(sftp, 'statvfs@openssh.com')) return undefined;
  try {
    const info = await sftpCall<{ f_frsize: number; f_bfree: number; f_blocks: number }>(`statvfs ${path}`, (done) => sftp.ext_openssh_statvfs(path, done));
    return { freeBytes: Number(info.f_bfree) * Number(info.f_frsize), totalBytes: Number(info.f_blocks) * Number(info.f_frsize) };
  } catch {
    return undefined;
  }
}

/** The new file lives beside the old one until the rename, so all of it must fit in the free space. */
async function ensureSpace(sftp: SFTPWrapper, destination: string, sizeBytes: number): Promise<void> {
  const space = await freeSpaceOf(sftp, posix.dirname(destination));
  if (space !== undefined && sizeBytes > space.freeBytes) throw diskFull(destination, sizeBytes, space);
}

function diskFull(destination: string, sizeBytes: number, space: FreeSpace): DiskFullError {
  return new DiskFullError(
    destination,
    sizeBytes,
    space.freeBytes,
    `ENOSPC: no space left on the VM's disk for ${destination}: the file is ${mib(sizeBytes)}, the filesystem holding ${posix.dirname(destination)} has ${mib(space.freeBytes)} free (of ${mib(space.totalBytes)}); ` +
      'free space in the VM or give it a larger disk (fs_size_mib)',
    { operation: 'upload' },
  );
}

/** After a failed write, with the temporary file still there: less free space than one round of writes in flight means the disk filled up. */
async function diskIsFull(sftp: SFTPWrapper, destination: string): Promise<boolean> {
  const space = await freeSpaceOf(sftp, posix.dirname(destination));
  return space !== undefined && space.freeBytes < UPLOAD_CONCURRENCY * UPLOAD_CHUNK_BYTES;
}

async function fsyncIfOffered(sftp: SFTPWrapper, path: string): Promise<void> {
  if (!offers(sftp, 'fsync@openssh.com')) return;
  const handle = await sftpCall<Buffer>(`open ${path}`, (done) => sftp.open(path, 'r', done));
  try {
    await sftpCall<void>(`fsync ${path}`, (done) => sftp.ext_openssh_fsync(handle, (error) => done(error)));
  } finally {
    await sftpCall<void>(`close ${path}`, (done) => sftp.close(handle, done)).catch(() => undefined);
  }
}

/** rename(2) over the destination (atomic) where offered; else SFTP RENAME, which refuses an existing target on OpenSSH, after removing it. */
async function renameOver(sftp: SFTPWrapper, from: string, to: string): Promise<void> {
  if (offers(sftp, 'posix-rename@openssh.com')) {
    await sftpCall<void>(`rename ${from} to ${to}`, (done) => sftp.ext_openssh_rename(from, to, done));
    return;
  }
  try {
    await sftpCall<void>(`rename ${from} to ${to}`, (done) => sftp.rename(from, to, done));
  } catch (error) {
    if ((await statOrUndefined(sftp, to, 'lstat')) === undefined) throw error;
    await sftpCall<void>(`remove ${to}`, (done) => sftp.unlink(to, done));
    await sftpCall<void>(`rename ${from} to ${to}`, (done) => sftp.rename(from, to, done));
  }
}

/** Whether the server announced an OpenSSH extension (ssh2 keeps the announcement, but types no accessor for it). */
function offers(sftp: SFTPWrapper, extension: string): boolean {
  const announced = (sftp as SFTPWrapper & { _extensions?: Record<string, string> })._extensions;
  return announced !== undefined && extension in announced;
}

async function removeQuietly(sftp: SFTPWrapper, path: string): Promise<void> {
  await sftpCall<void>(`remove ${path}`, (done) => sftp.unlink(path, done)).catch(() => undefined);
}

/** Run a clean-up step, giving up (silently: the next upload removes what is left) after CLEANUP_GRACE_MS. */
async function withinGrace(step: () => Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<void>((resolve) => (timer = setTimeout(resolve, CLEANUP_GRACE_MS)));
  try {
    await Promise.race([step().catch(() => undefined), expired]);
  } finally {
    clearTimeout(timer);
  }
}

function abortedPromise(signal: AbortSignal): { promise: Promise<'aborted'>; dispose: () => void } {
  let onAbort: (() => void) | undefined;
  const promise = new Promise<'aborted'>((resolve) => {
    onAbort = () => resolve('aborted');
    if (signal.aborted) resolve('aborted');
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  return { promise, dispose: () => onAbort !== undefined && signal.removeEventListener('abort', onAbort) };
}

function mib(bytes: number): string {
  return `${(bytes / MIB).toFixed(1)} MiB`;
}

/** mkdir -p over SFTP: create each missing directory from the top; an existing directory is fine, an existing file is not. */
export async function mkdirp(sftp: SFTPWrapper, directory: string): Promise<void> {
  const existing = await statOrUndefined(sftp, directory);
  if (existing !== undefined) {
    if (!existing.isDirectory()) throw new SshError(`cannot create directory ${directory} in the VM: a file of that name exists`, { operation: 'mkdir' });
    return;
  }
  const parent = posix.dirname(directory);
  if (parent !== directory) await mkdirp(sftp, parent);
  try {
    await sftpCall<void>(`mkdir ${directory}`, (done) => sftp.mkdir(directory, { mode: DIRECTORY_MODE }, done));
  } catch (error) {
    // Another writer may have made it meanwhile.
    const now = await statOrUndefined(sftp, directory);
    if (now === undefined || !now.isDirectory()) throw error;
  }
}

function statOrUndefined(sftp: SFTPWrapper, path: string, how: 'stat' | 'lstat' = 'stat'): Promise<Stats | undefined> {
  return new Promise((resolve, reject) => {
    sftp[how](path, (error, stats) => {
      if (!error) resolve(stats);
      else if ((error as Error & { code?: number }).code === 2) resolve(undefined); // SSH_FX_NO_SUCH_FILE
      else reject(new SshError(`cannot stat ${path} in the VM: ${error.message}`, { cause: error, operation: 'sftp stat' }));
    });
  });
}

function sftpCall<T>(what: string, run: (done: (error: Error | null | undefined, value?: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    run((error, value) => {
      if (error) reject(new SshError(`SFTP ${what} failed: ${error.message}`, { cause: error, operation: 'sftp' }));
      else resolve(value as T);
    });
  });
}

/** Run `work`; when `signal` aborts, close the connection (which fails any SFTP call in flight) and reject with CancelledError. */
export async function withCancellation<T>(connection: SshConnection, signal: AbortSignal | undefined, what: string, work: () => Promise<T>): Promise<T> {
  if (signal === undefined) return work();
  if (signal.aborted) throw new CancelledError(what);
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_resolve, reject) => {
    onAbort = () => {
      connection.close();
      reject(new CancelledError(what));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
  const running = work();
  // The losing promise must not surface as an unhandled rejection.
  running.catch(() => undefined);
  try {
    return await Promise.race([running, aborted]);
  } finally {
    if (onAbort !== undefined) signal.removeEventListener('abort', onAbort);
  }
}
