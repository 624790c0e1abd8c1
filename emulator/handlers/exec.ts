import type { ExecRequest } from '../sandbox/types';
import { BadRequestError } from '../models/errors';
import { describe } from '../models/vms';
import type { HandlerContext } from './context';
import { absentable, bool, optional, required, sequence, string, stringMap, struct, u32, u64, uuid } from './json-decode';
import { jsonBody, pathUuid, queryParams, queryString, requireQuery, type ApiRequest } from './request';
import { empty, json, type Reply } from './reply';

/** Handlers of the exec and file endpoints (reference §4.2). */

const VmExecRequest = struct('VmExecRequest', {
  command: required(sequence(string)),
  env: absentable(optional(stringMap)),
  working_dir: absentable(optional(string)),
  stdin: absentable(optional(string)),
  timeout_secs: absentable(optional(u64)),
  exec_id: absentable(optional(uuid)),
});
const VmWriteFileRequest = struct('VmWriteFileRequest', {
  path: required(string),
  content_b64: required(string),
  mode: absentable(u32),
  create_dirs: absentable(bool),
});

type ParsedExec = { request: ExecRequest; execId: string | null };

function parseExec(req: ApiRequest): ParsedExec {
  const body = jsonBody(req, VmExecRequest);
  if (body.command.length === 0) throw new BadRequestError('command must not be empty', 'EMPTY_COMMAND');
  const request: ExecRequest = {
    command: body.command,
    ...(body.env ? { env: body.env } : {}),
    ...(body.working_dir ? { workingDir: body.working_dir } : {}),
    ...(body.stdin != null ? { stdin: Buffer.from(body.stdin, 'utf8') } : {}),
    ...(body.timeout_secs ? { timeoutSecs: body.timeout_secs } : {}),
  };
  return { request, execId: body.exec_id ?? null };
}

export async function execVm(req: ApiRequest, ctx: HandlerContext): Promise<Reply> {
  const vmId = pathUuid(req, 'vm_id');
  const { request, execId } = parseExec(req);
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  const result = await ctx.vms.exec(vmId, request, (stream, chunk) => (stream === 'stdout' ? stdout : stderr).push(chunk));
  return json(200, {
    exit_code: result.exitCode,
    // Lossy UTF-8, as the server's String::from_utf8_lossy.
    stdout: Buffer.concat(stdout).toString('utf8'),
    stderr: Buffer.concat(stderr).toString('utf8'),
    // The server omits exec_id rather than sending null.
    ...(execId !== null ? { exec_id: execId } : {}),
  });
}

/** NDJSON: `chunk` events as output arrives, then one `exit` (or `error`) event. */
export async function execVmStream(req: ApiRequest, ctx: HandlerContext): Promise<Reply> {
  const vmId = pathUuid(req, 'vm_id');
  const { request, execId } = parseExec(req);
  // Lookup, boot wait and the paused check fail as ordinary HTTP errors, before the stream starts.
  const sandbox = await ctx.vms.readySandbox(vmId);
  return {
    kind: 'stream',
    status: 200,
    contentType: 'application/x-ndjson',
    run: async (write) => {
      let cursor = 0;
      const event = (fields: Record<string, unknown>): void => write(`${JSON.stringify(fields)}\n`);
      try {
        const result = await sandbox.exec(request, (stream, chunk) => {
          cursor++;
          event({ type: 'chunk', exec_id: execId, cursor, stream, data_b64: chunk.toString('base64') });
        });
        event({ type: 'exit', exec_id: execId, cursor: cursor + 1, exit_code: result.exitCode });
      } catch (error) {
        event({ type: 'error', code: 'exec_failed', message: describe(error) });
      }
    },
  };
}

export async function readFileVm(req: ApiRequest, ctx: HandlerContext): Promise<Reply> {
  const vmId = pathUuid(req, 'vm_id');
  const path = requireQuery(queryParams(req, { path: queryString }).path, 'path');
  const content = await ctx.vms.readFile(vmId, path);
  return json(200, { content_b64: content.toString('base64') });
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export async function writeFileVm(req: ApiRequest, ctx: HandlerContext): Promise<Reply> {
  const vmId = pathUuid(req, 'vm_id');
  const body = jsonBody(req, VmWriteFileRequest);
  if (!BASE64.test(body.content_b64)) throw new BadRequestError('invalid base64 in content_b64', 'INVALID_BASE64');
  if (!body.path.startsWith('/')) throw new BadRequestError(`path must be absolute: ${body.path}`, 'RELATIVE_PATH');
  await ctx.vms.writeFile(vmId, body.path, Buffer.from(body.content_b64, 'base64'), body.mode ?? 0o644, body.create_dirs ?? false);
  return empty(200);
}

