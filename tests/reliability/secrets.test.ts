import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startVersLocal, type VersLocalProcess } from '../helpers/vers-local';
import { isSecret, PluginHarness, secret, type Props } from '../pulumi/plugin-harness';
import { diagnostics } from './harness/diagnostics';
import { APPLY, DESTROY, liveVmIds, PROVIDER_HEADER, ReliabilityWorkspace, terraformSuite } from './harness/reliability-workspace';
import { apiKeyNeedles, canaryNeedles, findNeedles, planOrStateWithoutSensitive, planWithoutUserInputs, privateKeyNeedles, stateFileWithoutSensitive, type Needle } from './harness/secret-scan';

/**
 * The golden pipeline with a canary API key, everything captured: terraform's
 * TRACE log (provider lines included), the stdout and stderr of every
 * command, the plans (`terraform show` and `show -json`), the outputs and the
 * state files. The key, its 64-hex secret half and every VM's private key
 * may appear only in state attributes Terraform marks sensitive. The same for
 * the Pulumi plugin: its logs and stderr, and its answers except the values
 * it returns as secrets.
 */

const suite = terraformSuite('tests/reliability/secrets.test.ts');

/** Recognisable, and valid: a UUID key id and 64 hex digits. */
const CANARY_KEY = `c0ffee00-cafe-4bad-8eed-5ec7e7000001${randomBytes(32).toString('hex')}`;

/** Canaries of provisioning secrets: an `environment` value, a file `content`, a sensitive variable interpolated into a command. */
const ENV_CANARY = `canary-env-${randomBytes(8).toString('hex')}`;
const FILE_CANARY = `canary-file-${randomBytes(8).toString('hex')}`;
const COMMAND_CANARY = `canary-cmd-${randomBytes(8).toString('hex')}`;

type Json = Parameters<typeof planOrStateWithoutSensitive>[0];

let local: VersLocalProcess;

beforeAll(async () => {
  local = await startVersLocal({ args: ['--api-key', CANARY_KEY] });
});

afterAll(async () => {
  const report = await local?.stop();
  expect(report?.exitCode ?? 0).toBe(0);
});

/** The private key of every VM that exists now, fetched with the API (a paused VM is resumed for it, as Vers requires). */
async function privateKeysOfLiveVms(): Promise<Map<string, string>> {
  const keys = new Map<string, string>();
  for (const vmId of await liveVmIds(local)) {
    const status = (await local.api('GET', `/vm/${vmId}/status`)).json<{ state: string }>();
    if (status.state === 'paused') await local.api('PATCH', `/vm/${vmId}/state`, { json: { state: 'Running' } });
    const res = await local.api('GET', `/vm/${vmId}/ssh_key`);
    if (res.status !== 200) throw new Error(`ssh_key of ${vmId}: ${res.status}`);
    keys.set(`VM ${vmId}`, res.json<{ ssh_private_key: string }>().ssh_private_key);
  }
  return keys;
}

suite('secrets through the golden pipeline with a canary API key (terraform)', () => {

  test('terraform: the key and the VM private keys appear in no log line, output, plan or state except sensitive state attributes', async () => {
    const ws = new ReliabilityWorkspace(local, { env: (dir) => ({ TF_LOG: 'TRACE', TF_LOG_PATH: join(dir, 'terraform.log') }) });
    try {
      ws.useExample('golden-image');
      // Documents whose sensitive values are taken out before searching; everything else is searched as is.
      const documents: Array<{ where: string; raw: string; json: Json }> = [];
      const showJson = async (where: string, args: string[]): Promise<void> => {
        const result = await ws.run(['show', '-json', ...args]);
        expect(result.code).toBe(0);
        documents.push({ where, raw: result.stdout, json: planOrStateWithoutSensitive(JSON.parse(result.stdout) as Json) });
      };

      await ws.ok(['plan', '-no-color', '-out=create.tfplan']);
      await showJson('show -json of the create plan', ['create.tfplan']);
      await ws.ok(['show', '-no-color', 'create.tfplan']);
      await ws.ok(['apply', '-no-color', '-compact-warnings', 'create.tfplan'], 300_000);
      const keys = await privateKeysOfLiveVms();
      expect(keys.size).toBe(4);
      // The state does hold them (marked sensitive): the search below looks for real values.
      const stateText = readFileSync(join(ws.workDir, 'terraform.tfstate'), 'utf8');
      for (const pem of keys.values()) expect(stateText).toContain(JSON.stringify(pem).slice(1, -1));

      await ws.ok(['plan', '-no-color', '-refresh=true', '-out=noop.tfplan']);
      await showJson('show -json of the refresh plan', ['noop.tfplan']);
      await ws.ok(['show', '-no-color', 'noop.tfplan']);
      await showJson('show -json of the state', []);
      await ws.ok(['show', '-no-color']);
      await ws.ok(['output', '-json']);
      await ws.ok(['state', 'show', '-no-color', 'vers_vm.golden_base']);
      const state = stateFileWithoutSensitive(JSON.parse(readFileSync(join(ws.workDir, 'terraform.tfstate'), 'utf8')) as Json);
      await ws.ok(['destroy', '-auto-approve', '-no-color', '-compact-warnings'], 300_000);

      const needles: Needle[] = [...apiKeyNeedles(CANARY_KEY), ...privateKeyNeedles(keys)];
      const log = readFileSync(join(ws.dir, 'terraform.log'), 'utf8');
      // The provider did log: its progress and the provisioning's output are in the log file.
      expect(log).toMatch(/provider\.terraform-provider-vers: .*creating a root VM/);
      expect(log).toMatch(/provider\.terraform-provider-vers: .*golden image v1 bootstrapped/);
      const found = [
        ...findNeedles('TF_LOG_PATH log', log, needles),
        ...ws.transcript.filter(({ args }) => !(args[0] === 'show' && args[1] === '-json')).flatMap(({ args, result }) => findNeedles(`terraform ${args.join(' ')}`, result.output, needles)),
        ...documents.flatMap(({ where, json }) => findNeedles(where, JSON.stringify(json), needles)),
        ...findNeedles('state file without its sensitive attributes', JSON.stringify(state), needles),
      ];
      const backup = join(ws.workDir, 'terraform.tfstate.backup');
      if (existsSync(backup)) found.push(...findNeedles('state backup without its sensitive attributes', JSON.stringify(stateFileWithoutSensitive(JSON.parse(readFileSync(backup, 'utf8')) as Json)), needles));
      expect(found).toEqual([]);
      // show -json does print sensitive values (marked): taking them out is what makes it clean.
      expect(findNeedles('state', documents.find((d) => d.where === 'show -json of the state')?.raw ?? '', needles)).not.toEqual([]);
      expect(await liveVmIds(local)).toEqual([]);
    } finally {
      ws.dispose();
    }
  }, 600_000);
});

/**
 * Three provisionings of one VM: one that succeeds and prints its
 * environment secret; one whose failing command echoes the secret with
 * `set -x` and cats a secret file; one whose failing command (curl, exit 7)
 * carries a sensitive variable on its command line.
 */
const CANARY_CONFIG = `${PROVIDER_HEADER}
provider "vers" {}

variable "command_token" {
  type      = string
  sensitive = true
}

resource "vers_vm" "target" {}

resource "vers_provision" "prints_secret" {
  vm_id       = vers_vm.target.id
  environment = { TOKEN = "${ENV_CANARY}" }
  commands    = ["echo \\"the token is $TOKEN\\""]
}

resource "vers_provision" "set_x" {
  vm_id       = vers_vm.target.id
  environment = { TOKEN = "${ENV_CANARY}" }
  file {
    content     = "${FILE_CANARY}"
    destination = "/root/secret.txt"
  }
  commands = ["set -x; echo \\"token=$TOKEN\\" >&2; cat /root/secret.txt >&2; exit 3"]
}

resource "vers_provision" "curl" {
  vm_id    = vers_vm.target.id
  commands = ["curl -sS -H 'X-Token: \${var.command_token}' http://127.0.0.1:9/"]
}
`;

suite('secrets of failing provisioning commands (terraform)', () => {
  test('terraform: an environment secret under set -x, a secret file and a sensitive variable in a failing command appear nowhere but sensitive state, with TF_LOG=trace', async () => {
    const ws = new ReliabilityWorkspace(local, { env: (dir) => ({ TF_LOG: 'TRACE', TF_LOG_PATH: join(dir, 'terraform.log'), TF_VAR_command_token: COMMAND_CANARY }) });
    try {
      ws.writeConfig(CANARY_CONFIG);
      const documents: Array<{ where: string; json: Json }> = [];
      await ws.ok(['plan', '-no-color', '-out=create.tfplan']);
      const planJson = await ws.run(['show', '-json', 'create.tfplan']);
      expect(planJson.code).toBe(0);
      // The canaries are literals and a variable: the plan's echo of the .tf files and variables holds them by the user's hand.
      documents.push({ where: 'show -json of the plan', json: planOrStateWithoutSensitive(planWithoutUserInputs(JSON.parse(planJson.stdout) as Json)) });
      // The plan does carry the canaries (marked sensitive): the search below looks for real values.
      expect(planJson.stdout).toContain(ENV_CANARY);
      await ws.ok(['show', '-no-color', 'create.tfplan']);

      const failed = await ws.run([...APPLY, 'create.tfplan'], 300_000);
      expect(failed.code).toBe(1);
      const errors = diagnostics(failed.output);
      expect(errors).toHaveLength(2);
      expect(errors.find((error) => error.includes('vers_provision.set_x'))).toMatch(/commands\[0\] exited with code 3/);
      expect(errors.find((error) => error.includes('vers_provision.curl'))).toMatch(/commands\[0\] exited with code 7/);
      // The successful one streamed its output, blanked.
      const log = readFileSync(join(ws.dir, 'terraform.log'), 'utf8');
      expect(log).toMatch(/provider\.terraform-provider-vers: .*the token is \[REDACTED\]/);

      const stateJson = await ws.run(['show', '-json']);
      documents.push({ where: 'show -json of the state', json: planOrStateWithoutSensitive(JSON.parse(stateJson.stdout) as Json) });
      expect(stateJson.stdout).toContain(ENV_CANARY);
      await ws.ok(['state', 'show', '-no-color', 'vers_provision.prints_secret']);
      const state = stateFileWithoutSensitive(JSON.parse(readFileSync(join(ws.workDir, 'terraform.tfstate'), 'utf8')) as Json);
      await ws.ok(DESTROY, 300_000);

      const needles: Needle[] = [...apiKeyNeedles(CANARY_KEY), ...canaryNeedles({ 'the environment canary': ENV_CANARY, 'the file canary': FILE_CANARY, 'the command canary': COMMAND_CANARY })];
      const found = [
        ...findNeedles('TF_LOG_PATH log', readFileSync(join(ws.dir, 'terraform.log'), 'utf8'), needles),
        ...ws.transcript.filter(({ args }) => !(args[0] === 'show' && args[1] === '-json')).flatMap(({ args, result }) => findNeedles(`terraform ${args.join(' ')}`, result.output, needles)),
        ...documents.flatMap(({ where, json }) => findNeedles(where, JSON.stringify(json), needles)),
        ...findNeedles('state file without its sensitive attributes', JSON.stringify(state), needles),
      ];
      expect(found).toEqual([]);
      expect(await liveVmIds(local)).toEqual([]);
    } finally {
      ws.dispose();
    }
  }, 600_000);
});

describe('secrets through the Pulumi plugin with a canary API key', () => {
  test('pulumi: the plugin logs neither the key nor a private key, and returns the private key only as a secret', async () => {
    const plugin = await PluginHarness.start({ env: { VERS_BASE_URL: local.ready.base_url } });
    try {
      await plugin.handshake();
      const config = { apiKey: secret(CANARY_KEY), vmDomain: local.ready.vm_domain, sshGateway: local.ready.ssh_gateway, tlsCaFile: local.ready.tls_ca_file };
      const checkedConfig = await plugin.checkConfig(config);
      expect(checkedConfig.failures).toEqual([]);
      await plugin.configure(checkedConfig.inputs);

      const answers: Props[] = [checkedConfig.inputs];
      const vmInputs = (await plugin.check('vers:index:Vm', 'canary', { labels: { role: 'canary' } })).inputs;
      const vm = await plugin.create('vers:index:Vm', 'canary', vmInputs);
      expect(isSecret(vm.properties.sshPrivateKey)).toBe(true);
      const pem = (vm.properties.sshPrivateKey as { value: string }).value;
      expect(pem).toMatch(/^-----BEGIN OPENSSH PRIVATE KEY-----/);
      answers.push({ ...vm.properties, sshPrivateKey: '(secret)' });
      const provisionInputs = (await plugin.check('vers:index:Provision', 'canary', { vmId: vm.id, commands: ['echo provisioned; echo on stderr >&2'] })).inputs;
      const provision = await plugin.create('vers:index:Provision', 'canary', provisionInputs);
      answers.push(provision.properties);

      // Plain (not secret-wrapped) environment and file content: the schema makes them secrets.
      const failing = await plugin.check('vers:index:Provision', 'failing', {
        vmId: vm.id,
        environment: { TOKEN: ENV_CANARY },
        files: [{ destination: '/root/secret.txt', content: FILE_CANARY }],
        commands: ['set -x; echo "$TOKEN" >&2; cat /root/secret.txt >&2; exit 3'],
      });
      expect(failing.failures).toEqual([]);
      expect(isSecret(failing.inputs.environment)).toBe(true);
      expect(isSecret((failing.inputs.files as Array<{ content: unknown }>)[0]?.content)).toBe(true);
      const failure = (await plugin.create('vers:index:Provision', 'failing', failing.inputs).catch((e: unknown) => e)) as Error;
      expect(failure.message).toMatch(/commands\[0\] exited with code 3/);
      // A secret output interpolated into a command: the engine sends the commands as a secret.
      const curl = await plugin.check('vers:index:Provision', 'curl', { vmId: vm.id, commands: secret([`curl -sS -H 'X-Token: ${COMMAND_CANARY}' http://127.0.0.1:9/`]) });
      const curlFailure = (await plugin.create('vers:index:Provision', 'curl', curl.inputs).catch((e: unknown) => e)) as Error;
      expect(curlFailure.message).toMatch(/commands\[0\] exited with code 7/);
      answers.push({ failure: failure.message }, { failure: curlFailure.message });
      const read = await plugin.read('vers:index:Vm', 'canary', vm.id, vm.properties, vmInputs);
      expect(isSecret(read.properties.sshPrivateKey)).toBe(true);
      answers.push({ ...read.properties, sshPrivateKey: '(secret)' }, read.inputs);
      await plugin.delete('vers:index:Vm', 'canary', vm.id, vm.properties, vmInputs);

      const needles = [
        ...apiKeyNeedles(CANARY_KEY),
        ...privateKeyNeedles(new Map([['the canary VM', pem]])),
        ...canaryNeedles({ 'the environment canary': ENV_CANARY, 'the file canary': FILE_CANARY, 'the command canary': COMMAND_CANARY }),
      ];
      // The plugin did log (-v=9): the search is over real output.
      expect(plugin.stderr.length + plugin.logs.length).toBeGreaterThan(0);
      const found = [
        ...findNeedles('plugin stderr', plugin.stderr, needles),
        ...findNeedles('engine log', plugin.logs.map((entry) => entry.message).join('\n'), needles),
        ...findNeedles('plugin stdout after the port', plugin.stdoutAfterPort, needles),
        ...findNeedles('plugin answers (secrets taken out)', JSON.stringify(answers.map((answer) => ({ ...answer, apiKey: isSecret(answer.apiKey) ? '(secret)' : answer.apiKey }))), needles),
      ];
      expect(found).toEqual([]);
      expect(await liveVmIds(local)).toEqual([]);
    } finally {
      await plugin.close();
    }
  }, 120_000);
});
