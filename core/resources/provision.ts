import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { NotFoundError, ProviderError } from '../base/errors';
import { info, providerOf } from '../provider';
import { resourceSpec, secretValuesOf } from '../schema/package-schema';
import { provisionVm, type UploadFileSpec } from '../ssh';
import { parseDuration } from '../base/duration';
import { checkResource, isKnown } from './check';
import { diffResource } from './diff';
import type { CheckFailure } from '../base/check-failure';
import type { JsonValue, PropertyBag } from '../base/json';
import type { LifecycleContext, ResourceLifecycle } from './types';
import { containsUnknown, isUnknown, UNKNOWN } from '../base/unknown';
import { stringMap } from './string-map';

/**
 * `vers:index:Provision` / `vers_provision`: files then commands over one
 * SSH-over-TLS connection. Each resource is one provisioning run: every
 * input that makes it run again is `replaceOnChanges` in schema.json, so a
 * new run has a new id that commits and other dependents follow. `check`
 * hashes every file (streaming `source` files from disk), so an edited local
 * file is a change even without a trigger. A run replacing one on the same
 * VM carries the host key that run recorded and insists on it.
 */

const TOKEN = 'vers:index:Provision';

type FileBag = { [key: string]: JsonValue };

async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

/** Fill `sha256` of every file, and report missing or unreadable `source` files. */
async function hashFiles(files: FileBag[]): Promise<CheckFailure[]> {
  const failures: CheckFailure[] = [];
  for (const [index, file] of files.entries()) {
    if (containsUnknown(file.source) || containsUnknown(file.content)) {
      file.sha256 = UNKNOWN;
    } else if (typeof file.content === 'string') {
      file.sha256 = createHash('sha256').update(file.content).digest('hex');
    } else if (typeof file.source === 'string') {
      const path = resolve(file.source);
      try {
        const info = await stat(path);
        if (!info.isFile()) {
          failures.push({ property: `files[${index}].source`, reason: `must be a regular file; ${path} is not` });
          continue;
        }
        file.sha256 = await sha256OfFile(path);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        failures.push({
          property: `files[${index}].source`,
          reason: code === 'ENOENT' ? `file not found: ${path}` : `cannot read ${path} (${code ?? String(error)})`,
        });
      }
    }
  }
  return failures;
}


/**
 * The kernel refuses to start a program whose environment holds one string
 * over MAX_ARG_STRLEN (32 pages, 128 KiB, with its name, `=` and NUL), or
 * whose arguments and environment together pass ARG_MAX (2 MiB by default);
 * every command of the run would fail with E2BIG. 1 MiB in all leaves the
 * other half to the VM's own environment and the programs' arguments.
 */
const MAX_ENVIRONMENT_VARIABLE_BYTES = 128 * 1024;
const MAX_ENVIRONMENT_BYTES = 1024 * 1024;

/** The size rules of `environment`, which JSON Schema cannot say (they are in bytes of name=value). */
function environmentSizeFailures(environment: JsonValue | undefined): CheckFailure[] {
  if (environment === null || typeof environment !== 'object' || Array.isArray(environment) || containsUnknown(environment)) return [];
  const failures: CheckFailure[] = [];
  let total = 0;
  for (const [name, value] of Object.entries(environment)) {
    if (typeof value !== 'string') continue;
    const bytes = Buffer.byteLength(name) + Buffer.byteLength(value) + 2;
    total += bytes;
    if (bytes > MAX_ENVIRONMENT_VARIABLE_BYTES) {
      failures.push({
        property: `environment[${JSON.stringify(name)}]`,
        reason: 'must be at most 128 KiB with its name (the kernel refuses to start programs with a longer environment variable); pass larger values in a file',
      });
    }
  }
  if (failures.length === 0 && total > MAX_ENVIRONMENT_BYTES) {
    failures.push({ property: 'environment', reason: 'must be at most 1 MiB in all, names included (the kernel limits what a program can be started with); pass larger values in files' });
  }
  return failures;
}

function uploadSpecs(files: JsonValue | undefined): UploadFileSpec[] {
  if (!Array.isArray(files)) return [];
  return files.map((item) => {
    const file = item as FileBag;
    return {
      destination: file.destination as string,
      ...(typeof file.source === 'string' ? { source: resolve(file.source) } : {}),
      ...(typeof file.content === 'string' ? { content: file.content } : {}),
      ...(typeof file.mode === 'string' ? { mode: file.mode } : {}),
    };
  });
}

/** The host key a run recorded (or a carry holds), if any. */
function recordedHostKey(bag: PropertyBag): string | undefined {
  return typeof bag.sshHostKey === 'string' && bag.sshHostKey !== '' ? bag.sshHostKey : undefined;
}

/** Run the provisioning and return the outputs; `expectedHostKey` pins the VM's host key. */
async function provision(inputs: PropertyBag, ctx: LifecycleContext, expectedHostKey: string | undefined): Promise<PropertyBag> {
  const provider = providerOf(ctx);
  const vmId = inputs.vmId as string;
  let state: string;
  try {
    state = (await provider.client.getVmStatus(vmId, { signal: ctx.signal })).state;
  } catch (error) {
    if (error instanceof NotFoundError) throw new ProviderError('VM_NOT_FOUND', `cannot provision VM ${vmId}: it does not exist`, { cause: error, resource: vmId });
    throw error;
  }
  if (state === 'paused') {
    // A VM must run to be provisioned (a commit with keep_paused leaves it paused).
    info(ctx, `VM ${vmId} is paused; resuming it to provision`);
    await provider.client.setVmState(vmId, 'Running', { signal: ctx.signal });
  }
  const result = await provisionVm(
    provider.client,
    vmId,
    {
      files: uploadSpecs(inputs.files),
      commands: (inputs.commands as string[] | undefined) ?? [],
      environment: stringMap(inputs.environment),
      timeoutMs: parseDuration(inputs.timeout as string),
      // What schema.json marks secret (environment values, file contents) is blanked from output and errors.
      secrets: secretValuesOf(resourceSpec(TOKEN).inputProperties, inputs),
    },
    { logger: ctx.logger, signal: ctx.signal, ...(expectedHostKey ? { expectedHostKey } : {}) },
  );
  info(ctx, `VM ${vmId} provisioned: ${result.filesUploaded} file(s), ${result.commandsRun} command(s) in ${(result.durationMs / 1000).toFixed(1)} s`);
  return { ...inputs, sshHostKey: result.hostKey.fingerprint };
}

export const provisionResource: ResourceLifecycle = {
  token: TOKEN,

  async check(news) {
    const result = checkResource(TOKEN, news);
    const files = Array.isArray(result.inputs.files) ? (result.inputs.files as FileBag[]) : [];
    for (const file of files) if (file !== null && typeof file === 'object' && file.mode === undefined) file.mode = '0644';
    // The schema only says "strings"; an empty command would otherwise fail at apply time, after the VM exists.
    if (Array.isArray(result.inputs.commands)) {
      result.inputs.commands.forEach((command, index) => {
        if (typeof command === 'string' && command.trim() === '') result.failures.push({ property: `commands[${index}]`, reason: 'must be a non-empty string' });
      });
    }
    result.failures.push(...environmentSizeFailures(result.inputs.environment));
    if (result.failures.length === 0 && !isUnknown(result.inputs.files)) result.failures.push(...(await hashFiles(files)));
    return result;
  },

  async diff(_id, olds, news) {
    const result = diffResource(TOKEN, olds, news);
    const hostKey = recordedHostKey(olds);
    // The same VM keeps its host key: the new run must see the one the old run recorded.
    if (result.replaces.length > 0 && hostKey !== undefined && isKnown(news.vmId) && news.vmId === olds.vmId) {
      result.carry = { appliesTo: { vmId: news.vmId }, values: { sshHostKey: hostKey } };
    }
    // A state without a recorded host key (written by an older version) records the one the next run sees.
    if (result.changes && !(typeof olds.sshHostKey === 'string' && olds.sshHostKey !== '')) result.stables = result.stables.filter((key) => key !== 'sshHostKey');
    return result;
  },

  async create(inputs, ctx, carried) {
    const pinned = recordedHostKey(carried ?? {});
    if (pinned !== undefined) info(ctx, `VM ${String(inputs.vmId)}: this run replaces one that recorded host key ${pinned}; expecting the same key`);
    const outs = await provision(inputs, ctx, pinned);
    return { id: randomUUID(), outs };
  },

  async read(id, olds, ctx) {
    if (olds === undefined) return undefined;
    try {
      await providerOf(ctx).client.getVmStatus(olds.vmId as string, { signal: ctx.signal });
    } catch (error) {
      // The VM is gone: so is what was provisioned into it.
      if (error instanceof NotFoundError) return undefined;
      throw error;
    }
    return { id, outs: olds };
  },

  async update(_id, olds, news, ctx) {
    // Only `timeout` changes in place. A re-run input changes in place only
    // when its old value was never recorded (see diffResource); run it then,
    // on the same VM, with its recorded key.
    const { changedKeys } = await this.diff(_id, olds, news);
    if (changedKeys.every((key) => key === 'timeout')) return { ...olds, ...news };
    return provision(news, ctx, olds.vmId === news.vmId ? recordedHostKey(olds) : undefined);
  },

  async delete(id, olds, ctx) {
    info(ctx, `provisioning ${id} of VM ${String(olds.vmId)} forgotten (nothing in the VM is undone)`);
  },
};
