import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startVersLocal, type VersLocalProcess } from '../helpers/vers-local';
import { PluginHarness, secret, type Props } from '../pulumi/plugin-harness';
import { apiRequestCount } from '../tfbridge/harness/vers-local-terraform';
import { diagnostics } from './harness/diagnostics';
import { PROVIDER_HEADER, ReliabilityWorkspace, terraformSuite } from './harness/reliability-workspace';

/**
 * A table of invalid configurations — wrong types, out-of-range numbers,
 * exclusive fields, missing files, malformed ids, bad URLs, a missing or
 * wrong API key, an unreachable API. Each one, alone in its configuration,
 * gives terraform exactly one error that names the attribute, points at its
 * line and states the rule; the same inputs through the Pulumi plugin's
 * Check/CheckConfig give a failure on the same property. Whatever can be
 * judged locally reaches vers-local not once (its /stats count).
 */

const suite = terraformSuite('tests/reliability/bad-input.test.ts');

const VM_ID = '01234567-89ab-4def-8123-456789abcdef';
/** Well-formed, but not vers-local's key. */
const WRONG_KEY = `0badc0de-0000-4000-8000-000000000000${'0'.repeat(64)}`;

interface BadInput {
  name: string;
  /** Inside `provider "vers" { }`. Default empty (everything from VERS_* of vers-local). */
  provider?: string;
  /** Resources and data sources. */
  body: string;
  /** Where the error must point: the first line containing this text. */
  at: string;
  /** The resource or data source the error is about; none for provider errors. */
  address?: string;
  /** The attribute and the rule, as terraform prints the diagnostic on one line. */
  message: RegExp;
  /** `validate` is enough for most; `plan` configures the provider and reads data sources. Default validate. */
  command?: 'validate' | 'plan';
  /** Judged without the API: vers-local must count no request. Default true. */
  local?: boolean;
  /** Run without VERS_API_KEY. */
  noApiKey?: boolean;
  /** The same input through the Pulumi plugin, where it applies. */
  pulumi?: { config: Props; property: string; reason: RegExp } | { type: string; news: Props; property: string; reason: RegExp };
}

const VM = 'vers:index:Vm';
const COMMIT = 'vers:index:VmCommit';
const RESTORE = 'vers:index:VmRestore';
const BRANCH = 'vers:index:VmBranch';
const PROVISION = 'vers:index:Provision';

const vm = (attributes: string): string => `resource "vers_vm" "bad" {\n${attributes}\n}\n`;
const provision = (inner: string): string => `resource "vers_provision" "bad" {\n  vm_id = "${VM_ID}"\n${inner}\n}\n`;
const file = (inner: string): string => `  file {\n${inner}\n  }`;

/**
 * A rule about a whole `file` block (file[0]) is located by Terraform at the
 * resource that holds the block: the attribute path in the message is what
 * makes it precise.
 */
const BLOCK_LEVEL = 'resource "vers_provision" "bad"';

const CASES: BadInput[] = [
  // Provider configuration.
  { name: 'base_url with an ftp scheme', provider: 'base_url = "ftp://example.com/api/v1"', body: vm(''), at: 'base_url', message: /base_url must use http or https, got "ftp"/, pulumi: { config: { baseUrl: 'ftp://example.com/api/v1' }, property: 'baseUrl', reason: /must use http or https/ } },
  { name: 'base_url that is not a URL', provider: 'base_url = "api dot vers dot sh"', body: vm(''), at: 'base_url', message: /base_url "api dot vers dot sh" is not a URL/, pulumi: { config: { baseUrl: 'api dot vers dot sh' }, property: 'baseUrl', reason: /is not a URL/ } },
  { name: 'base_url with credentials', provider: 'base_url = "https://user:hunter2@api.example.com"', body: vm(''), at: 'base_url', message: /base_url must not contain credentials/, pulumi: { config: { baseUrl: 'https://user:hunter2@api.example.com' }, property: 'baseUrl', reason: /must not contain credentials/ } },
  { name: 'base_url with a query', provider: 'base_url = "https://api.example.com/api/v1?debug=1"', body: vm(''), at: 'base_url', message: /base_url must not have a query or fragment/, pulumi: { config: { baseUrl: 'https://api.example.com/api/v1?debug=1' }, property: 'baseUrl', reason: /must not have a query or fragment/ } },
  { name: 'a short api_key', provider: 'api_key = "short-and-wrong"', body: vm(''), at: 'api_key', message: /API key is malformed \(15 characters\)/, pulumi: { config: { apiKey: secret('short-and-wrong') }, property: 'apiKey', reason: /malformed \(15 characters\)/ } },
  { name: 'an api_key of the right length that is not hex', provider: `api_key = "${VM_ID}${'z'.repeat(64)}"`, body: vm(''), at: 'api_key', message: /API key is malformed \(100 characters\)/, pulumi: { config: { apiKey: secret(`${VM_ID}${'z'.repeat(64)}`) }, property: 'apiKey', reason: /malformed/ } },
  { name: 'ssh_gateway without a port', provider: 'ssh_gateway = "gateway.example.com"', body: vm(''), at: 'ssh_gateway', message: /ssh_gateway "gateway\.example\.com" must be host:port/, pulumi: { config: { sshGateway: 'gateway.example.com' }, property: 'sshGateway', reason: /must be host:port/ } },
  { name: 'ssh_gateway with a port out of range', provider: 'ssh_gateway = "127.0.0.1:70000"', body: vm(''), at: 'ssh_gateway', message: /ssh_gateway "127\.0\.0\.1:70000" must be host:port .*port from 1 to 65535/, pulumi: { config: { sshGateway: '127.0.0.1:70000' }, property: 'sshGateway', reason: /port from 1 to 65535/ } },
  { name: 'vm_domain that is not a domain', provider: 'vm_domain = "not a domain!"', body: vm(''), at: 'vm_domain', message: /vm_domain "not a domain!" is not a DNS domain/, pulumi: { config: { vmDomain: 'not a domain!' }, property: 'vmDomain', reason: /is not a DNS domain/ } },
  { name: 'tls_ca_file that does not exist', provider: 'tls_ca_file = "missing-ca.pem"', body: vm(''), at: 'tls_ca_file', message: /tls_ca_file "missing-ca\.pem" cannot be read \(ENOENT/, pulumi: { config: { tlsCaFile: 'missing-ca.pem' }, property: 'tlsCaFile', reason: /cannot be read/ } },
  { name: 'tls_ca_file that is not a certificate', provider: 'tls_ca_file = "exists.txt"', body: vm(''), at: 'tls_ca_file', message: /tls_ca_file "exists\.txt" is not a PEM certificate/, pulumi: { config: { tlsCaFile: 'exists.txt' }, property: 'tlsCaFile', reason: /is not a PEM certificate/ } },
  { name: 'boot_timeout that is not a duration', provider: 'boot_timeout = "forever"', body: vm(''), at: 'boot_timeout', message: /boot_timeout must be a (positive )?duration such as 90s, 10m or 1h30m/, pulumi: { config: { bootTimeout: 'forever' }, property: 'bootTimeout', reason: /duration such as 90s/ } },
  { name: 'boot_timeout of 0s', provider: 'boot_timeout = "0s"', body: vm(''), at: 'boot_timeout', message: /boot_timeout must be between 1s and 24h/, pulumi: { config: { bootTimeout: '0s' }, property: 'bootTimeout', reason: /between 1s and 24h/ } },
  { name: 'boot_timeout of half a second', provider: 'boot_timeout = "0.5s"', body: vm(''), at: 'boot_timeout', message: /boot_timeout must be between 1s and 24h/, pulumi: { config: { bootTimeout: '0.5s' }, property: 'bootTimeout', reason: /between 1s and 24h/ } },
  { name: 'boot_timeout of 25h', provider: 'boot_timeout = "25h"', body: vm(''), at: 'boot_timeout', message: /boot_timeout must be between 1s and 24h/, pulumi: { config: { bootTimeout: '25h' }, property: 'bootTimeout', reason: /between 1s and 24h/ } },
  { name: 'base_url over plain http to a remote host', provider: 'base_url = "http://api.example.com/api/v1"', body: vm(''), at: 'base_url', message: /base_url .*plain http .*allow_insecure_http/, pulumi: { config: { baseUrl: 'http://api.example.com/api/v1' }, property: 'baseUrl', reason: /plain http/ } },
  { name: 'allow_insecure_http that is not a bool', provider: 'allow_insecure_http = "sometimes"', body: vm(''), at: 'allow_insecure_http', message: /Inappropriate value for attribute "allow_insecure_http": a bool is required/, pulumi: { config: { allowInsecureHttp: 'sometimes' }, property: 'allowInsecureHttp', reason: /must be a boolean/ } },
  { name: 'insecure_skip_tls_verify that is not a bool', provider: 'insecure_skip_tls_verify = "sometimes"', body: vm(''), at: 'insecure_skip_tls_verify', message: /Inappropriate value for attribute "insecure_skip_tls_verify": a bool is required/, pulumi: { config: { insecureSkipTlsVerify: 'sometimes' }, property: 'insecureSkipTlsVerify', reason: /must be a boolean/ } },
  { name: 'a misspelt provider argument', provider: 'vm_domian = "vm.example.com"', body: vm(''), at: 'vm_domian', message: /Unsupported argument .*An argument named "vm_domian" is not expected here\. Did you mean "vm_domain"\?/, pulumi: { config: { vmDomian: 'vm.example.com' }, property: 'vmDomian', reason: /unknown|not expected|vmDomain/ } },
  { name: 'no API key when a data source must be read', noApiKey: true, command: 'plan', body: 'data "vers_vms" "all" {}\n', at: 'data "vers_vms" "all"', address: 'data.vers_vms.all', message: /no Vers API key configured: set the provider api_key argument or the VERS_API_KEY environment variable/ },
  { name: 'an API nobody answers', provider: 'base_url = "http://127.0.0.1:9/api/v1"', command: 'plan', body: 'data "vers_vms" "all" {}\n', at: 'data "vers_vms" "all"', address: 'data.vers_vms.all', message: /cannot reach the Vers API \(GET http:\/\/127\.0\.0\.1:9\/api\/v1\/vms\): .*ECONNREFUSED.*check base_url/ },
  { name: 'an API key Vers rejects', provider: `api_key = "${WRONG_KEY}"`, command: 'plan', local: false, body: 'data "vers_vms" "all" {}\n', at: 'data "vers_vms" "all"', address: 'data.vers_vms.all', message: /HTTP 403.*the API key was rejected; check VERS_API_KEY \(or the provider api_key\)/ },

  // vers_vm.
  { name: 'vcpu_count of 0', body: vm('  vcpu_count = 0'), at: 'vcpu_count', address: 'vers_vm.bad', message: /Invalid value for vcpu_count .*vcpu_count must be at least 1/, pulumi: { type: VM, news: { vcpuCount: 0 }, property: 'vcpuCount', reason: /at least 1/ } },
  { name: 'vcpu_count above the maximum', body: vm('  vcpu_count = 65'), at: 'vcpu_count', address: 'vers_vm.bad', message: /Invalid value for vcpu_count .*vcpu_count must be at most 64/, pulumi: { type: VM, news: { vcpuCount: 65 }, property: 'vcpuCount', reason: /at most 64/ } },
  { name: 'a fractional vcpu_count', body: vm('  vcpu_count = 1.5'), at: 'vcpu_count', address: 'vers_vm.bad', message: /Invalid value for vcpu_count .*vcpu_count must be an? (integer|whole number)/, pulumi: { type: VM, news: { vcpuCount: 1.5 }, property: 'vcpuCount', reason: /integer|whole number/ } },
  { name: 'vcpu_count that is not a number', body: vm('  vcpu_count = "lots"'), at: 'vcpu_count', address: 'vers_vm.bad', message: /Inappropriate value for attribute "vcpu_count": a number is required/, pulumi: { type: VM, news: { vcpuCount: 'lots' }, property: 'vcpuCount', reason: /integer|number/ } },
  { name: 'mem_size_mib below the minimum', body: vm('  mem_size_mib = 100'), at: 'mem_size_mib', address: 'vers_vm.bad', message: /Invalid value for mem_size_mib .*mem_size_mib must be at least 128/, pulumi: { type: VM, news: { memSizeMib: 100 }, property: 'memSizeMib', reason: /at least 128/ } },
  { name: 'fs_size_mib below the minimum', body: vm('  fs_size_mib = 100'), at: 'fs_size_mib', address: 'vers_vm.bad', message: /Invalid value for fs_size_mib .*fs_size_mib must be at least 512/, pulumi: { type: VM, news: { fsSizeMib: 100 }, property: 'fsSizeMib', reason: /at least 512/ } },
  { name: 'an empty image_name', body: vm('  image_name = ""'), at: 'image_name', address: 'vers_vm.bad', message: /Invalid value for image_name .*image_name must (not be empty|have at least 1 character)/, pulumi: { type: VM, news: { imageName: '' }, property: 'imageName', reason: /empty|at least 1/ } },
  { name: 'from_commit with mem_size_mib', body: vm(`  from_commit  = "${VM_ID}"\n  mem_size_mib = 1024`), at: 'mem_size_mib', address: 'vers_vm.bad', message: /Invalid value for mem_size_mib .*conflicts with `from_commit`/, pulumi: { type: VM, news: { fromCommit: VM_ID, memSizeMib: 1024 }, property: 'memSizeMib', reason: /conflicts with `fromCommit`/ } },
  { name: 'a malformed from_commit', body: vm('  from_commit = "abc"'), at: 'from_commit', address: 'vers_vm.bad', message: /Invalid value for from_commit .*from_commit must be a UUID/, pulumi: { type: VM, news: { fromCommit: 'abc' }, property: 'fromCommit', reason: /must be a UUID/ } },
  { name: 'a desired_state that does not exist', body: vm('  desired_state = "sleeping"'), at: 'desired_state', address: 'vers_vm.bad', message: /Invalid value for desired_state with vers_vm\.bad, .*desired_state must be one of running, paused/, pulumi: { type: VM, news: { desiredState: 'sleeping' }, property: 'desiredState', reason: /running.*paused/ } },
  { name: 'wait_boot that is not a bool', body: vm('  wait_boot = "maybe"'), at: 'wait_boot', address: 'vers_vm.bad', message: /Inappropriate value for attribute "wait_boot": a bool is required/, pulumi: { type: VM, news: { waitBoot: 'maybe' }, property: 'waitBoot', reason: /boolean|true or false/ } },
  { name: 'labels that are not a map', body: vm('  labels = "team=ops"'), at: 'labels', address: 'vers_vm.bad', message: /Inappropriate value for attribute "labels": map of string required/, pulumi: { type: VM, news: { labels: 'team=ops' }, property: 'labels', reason: /object|map/ } },

  { name: 'the reserved request-token label', body: vm('  labels = { "vers.sh/request-token" = "mine" }'), at: 'labels', address: 'vers_vm.bad', message: /Invalid value for labels\["vers\.sh\/request-token"\] .*reserved/, pulumi: { type: VM, news: { labels: { 'vers.sh/request-token': 'mine' } }, property: 'labels["vers.sh/request-token"]', reason: /reserved/ } },
  { name: 'another label under vers.sh/', body: vm('  labels = { team = "ops", "vers.sh/owner" = "me" }'), at: 'labels', address: 'vers_vm.bad', message: /Invalid value for labels\["vers\.sh\/owner"\] .*reserved/, pulumi: { type: VM, news: { labels: { team: 'ops', 'vers.sh/owner': 'me' } }, property: 'labels["vers.sh/owner"]', reason: /reserved/ } },

  // vers_vm_commit, vers_vm_restore, vers_vm_branch.
  { name: 'a commit without vm_id', body: 'resource "vers_vm_commit" "bad" {\n  name = "golden"\n}\n', at: 'resource "vers_vm_commit"', address: 'vers_vm_commit.bad', message: /Missing required argument .*The argument "vm_id" is required/, pulumi: { type: COMMIT, news: { name: 'golden' }, property: 'vmId', reason: /required|missing/ } },
  { name: 'a malformed commit vm_id', body: 'resource "vers_vm_commit" "bad" {\n  vm_id = "not-a-uuid"\n}\n', at: 'vm_id', address: 'vers_vm_commit.bad', message: /Invalid value for vm_id .*vm_id must be a UUID/, pulumi: { type: COMMIT, news: { vmId: 'not-a-uuid' }, property: 'vmId', reason: /must be a UUID/ } },
  { name: 'an empty commit name', body: `resource "vers_vm_commit" "bad" {\n  vm_id = "${VM_ID}"\n  name  = ""\n}\n`, at: 'name', address: 'vers_vm_commit.bad', message: /Invalid value for name .*name must (not be empty|have at least 1 character)/, pulumi: { type: COMMIT, news: { vmId: VM_ID, name: '' }, property: 'name', reason: /empty|at least 1/ } },
  { name: 'commit triggers that are not a map', body: `resource "vers_vm_commit" "bad" {\n  vm_id    = "${VM_ID}"\n  triggers = ["a"]\n}\n`, at: 'triggers', address: 'vers_vm_commit.bad', message: /Inappropriate value for attribute "triggers": map of string required/, pulumi: { type: COMMIT, news: { vmId: VM_ID, triggers: ['a'] }, property: 'triggers', reason: /object|map/ } },
  { name: 'a malformed restore commit_id', body: 'resource "vers_vm_restore" "bad" {\n  commit_id = "0123-4567"\n}\n', at: 'commit_id', address: 'vers_vm_restore.bad', message: /Invalid value for commit_id .*commit_id must be a UUID/, pulumi: { type: RESTORE, news: { commitId: '0123-4567' }, property: 'commitId', reason: /must be a UUID/ } },
  { name: 'a restore desired_state that does not exist', body: `resource "vers_vm_restore" "bad" {\n  commit_id     = "${VM_ID}"\n  desired_state = "stopped"\n}\n`, at: 'desired_state', address: 'vers_vm_restore.bad', message: /Invalid value for desired_state .*(running.*paused)/, pulumi: { type: RESTORE, news: { commitId: VM_ID, desiredState: 'stopped' }, property: 'desiredState', reason: /running.*paused/ } },
  { name: 'an empty branch source_vm_id', body: 'resource "vers_vm_branch" "bad" {\n  source_vm_id = ""\n}\n', at: 'source_vm_id', address: 'vers_vm_branch.bad', message: /Invalid value for source_vm_id .*source_vm_id must be a UUID/, pulumi: { type: BRANCH, news: { sourceVmId: '' }, property: 'sourceVmId', reason: /must be a UUID/ } },

  { name: 'a restore with the reserved request-token label', body: `resource "vers_vm_restore" "bad" {\n  commit_id = "${VM_ID}"\n  labels    = { "vers.sh/request-token" = "x" }\n}\n`, at: 'labels', address: 'vers_vm_restore.bad', message: /Invalid value for labels\["vers\.sh\/request-token"\] .*reserved/, pulumi: { type: RESTORE, news: { commitId: VM_ID, labels: { 'vers.sh/request-token': 'x' } }, property: 'labels["vers.sh/request-token"]', reason: /reserved/ } },
  { name: 'a branch with the reserved request-token label', body: `resource "vers_vm_branch" "bad" {\n  source_vm_id = "${VM_ID}"\n  labels       = { "vers.sh/request-token" = "x" }\n}\n`, at: 'labels', address: 'vers_vm_branch.bad', message: /Invalid value for labels\["vers\.sh\/request-token"\] .*reserved/, pulumi: { type: BRANCH, news: { sourceVmId: VM_ID, labels: { 'vers.sh/request-token': 'x' } }, property: 'labels["vers.sh/request-token"]', reason: /reserved/ } },

  // vers_provision.
  { name: 'a file with both source and content', body: provision(file('    source      = "exists.txt"\n    content     = "inline"\n    destination = "/tmp/both"')), at: BLOCK_LEVEL, address: 'vers_provision.bad', message: /Invalid value for file\[0\] .*file\[0\] must set exactly one of `source` and `content`/, pulumi: { type: PROVISION, news: { vmId: VM_ID, files: [{ source: 'exists.txt', content: 'inline', destination: '/tmp/both' }] }, property: 'files[0]', reason: /exactly one of/ } },
  { name: 'a file with neither source nor content', body: provision(file('    destination = "/tmp/neither"')), at: BLOCK_LEVEL, address: 'vers_provision.bad', message: /Invalid value for file\[0\] .*file\[0\] must set exactly one of `source` and `content`/, pulumi: { type: PROVISION, news: { vmId: VM_ID, files: [{ destination: '/tmp/neither' }] }, property: 'files[0]', reason: /exactly one of/ } },
  { name: 'a source file that does not exist', body: provision(`${file('    content     = "fine"\n    destination = "/tmp/fine"')}\n${file('    source      = "missing.txt"\n    destination = "/tmp/missing"')}`), at: 'missing.txt', address: 'vers_provision.bad', message: /Invalid value for file\[1\]\.source .*file\[1\]\.source file not found: \/.*\/missing\.txt/, pulumi: { type: PROVISION, news: { vmId: VM_ID, files: [{ content: 'fine', destination: '/tmp/fine' }, { source: 'missing.txt', destination: '/tmp/missing' }] }, property: 'files[1].source', reason: /file not found/ } },
  { name: 'a source that is a directory', body: provision(file('    source      = "a-directory"\n    destination = "/tmp/dir"')), at: 'a-directory', address: 'vers_provision.bad', message: /Invalid value for file\[0\]\.source .*must be a regular file/, pulumi: { type: PROVISION, news: { vmId: VM_ID, files: [{ source: 'a-directory', destination: '/tmp/dir' }] }, property: 'files[0].source', reason: /regular file/ } },
  { name: 'a relative destination', body: provision(file('    content     = "x"\n    destination = "relative/path"')), at: 'relative/path', address: 'vers_provision.bad', message: /Invalid value for file\[0\]\.destination .*must be an absolute path/, pulumi: { type: PROVISION, news: { vmId: VM_ID, files: [{ content: 'x', destination: 'relative/path' }] }, property: 'files[0].destination', reason: /absolute path/ } },
  { name: 'a mode that is not octal', body: provision(file('    content     = "x"\n    destination = "/tmp/x"\n    mode        = "999"')), at: 'mode', address: 'vers_provision.bad', message: /Invalid value for file\[0\]\.mode .*must be octal permission bits such as 0644 or 0755/, pulumi: { type: PROVISION, news: { vmId: VM_ID, files: [{ content: 'x', destination: '/tmp/x', mode: '999' }] }, property: 'files[0].mode', reason: /octal/ } },
  { name: 'a timeout that is not a duration', body: provision('  timeout = "forever"'), at: 'timeout', address: 'vers_provision.bad', message: /Invalid value for timeout .*timeout must be a duration such as 90s, 10m or 1h30m/, pulumi: { type: PROVISION, news: { vmId: VM_ID, timeout: 'forever' }, property: 'timeout', reason: /duration/ } },
  { name: 'commands given as one string', body: provision('  commands = "apt-get update"'), at: 'commands', address: 'vers_provision.bad', message: /Inappropriate value for attribute "commands": list of string required/, pulumi: { type: PROVISION, news: { vmId: VM_ID, commands: 'apt-get update' }, property: 'commands', reason: /array|list/ } },
  { name: 'an empty command', body: provision('  commands = ["echo ok", ""]'), at: 'commands', address: 'vers_provision.bad', message: /Invalid value for commands\[1\] .*commands\[1\] must (not be empty|be a non-empty string|have at least 1 character)/, pulumi: { type: PROVISION, news: { vmId: VM_ID, commands: ['echo ok', ''] }, property: 'commands[1]', reason: /empty|at least 1/ } },
  { name: 'environment that is not a map', body: provision('  environment = ["A=1"]'), at: 'environment', address: 'vers_provision.bad', message: /Inappropriate value for attribute "environment": map of string required/, pulumi: { type: PROVISION, news: { vmId: VM_ID, environment: ['A=1'] }, property: 'environment', reason: /object|map/ } },
  { name: 'a malformed provision vm_id', body: 'resource "vers_provision" "bad" {\n  vm_id    = "vm-1"\n  commands = ["true"]\n}\n', at: 'vm_id', address: 'vers_provision.bad', message: /Invalid value for vm_id .*vm_id must be a UUID/, pulumi: { type: PROVISION, news: { vmId: 'vm-1', commands: ['true'] }, property: 'vmId', reason: /must be a UUID/ } },

  ...['0s', '0.0001ms', '500ms', '600h', '999999h'].map((timeout): BadInput => ({
    name: `a timeout of ${timeout}`,
    body: provision(`  timeout = "${timeout}"`),
    at: 'timeout',
    address: 'vers_provision.bad',
    message: /Invalid value for timeout .*timeout must be between 1s and 24h/,
    pulumi: { type: PROVISION, news: { vmId: VM_ID, timeout }, property: 'timeout', reason: /^must be between 1s and 24h$/ },
  })),
  ...['1BAD-NAME', 'BAD-NAME', 'A B', ''].map((key): BadInput => ({
    name: `an environment key ${JSON.stringify(key)}`,
    body: provision(`  environment = { ${JSON.stringify(key)} = "x" }`),
    at: 'environment',
    address: 'vers_provision.bad',
    message: new RegExp(`Invalid value for environment\\[${JSON.stringify(key).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\] .*must be a shell variable name`),
    pulumi: { type: PROVISION, news: { vmId: VM_ID, environment: { [key]: 'x' } }, property: `environment[${JSON.stringify(key)}]`, reason: /shell variable name/ },
  })),
  { name: 'an environment value with a NUL character', body: provision('  environment = { A = "x\\u0000y" }'), at: 'environment', address: 'vers_provision.bad', message: /Invalid value for environment\["A"\] .*NUL/, pulumi: { type: PROVISION, news: { vmId: VM_ID, environment: { A: 'x\u0000y' } }, property: 'environment["A"]', reason: /NUL/ } },
  { name: 'an environment value of 200 KB', body: provision('  environment = { BIG = format("%0200000d", 0) }'), at: 'environment', address: 'vers_provision.bad', message: /Invalid value for environment\["BIG"\] .*at most 128 KiB/, pulumi: { type: PROVISION, news: { vmId: VM_ID, environment: { BIG: '0'.repeat(200_000) } }, property: 'environment["BIG"]', reason: /at most 128 KiB/ } },
  { name: 'an environment of more than 1 MiB', body: provision('  environment = { for i in range(9) : "V${i}" => format("%0120000d", 0) }'), at: 'environment', address: 'vers_provision.bad', message: /Invalid value for environment .*at most 1 MiB/, pulumi: { type: PROVISION, news: { vmId: VM_ID, environment: Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`V${i}`, '0'.repeat(120_000)])) }, property: 'environment', reason: /at most 1 MiB/ } },
  { name: 'a command with a NUL character', body: provision('  commands = ["echo a\\u0000b"]'), at: 'commands', address: 'vers_provision.bad', message: /Invalid value for commands\[0\] .*NUL/, pulumi: { type: PROVISION, news: { vmId: VM_ID, commands: ['echo a\u0000b'] }, property: 'commands[0]', reason: /NUL/ } },
  { name: 'a command of 200 KB', body: provision('  commands = [format("echo %0200000d", 0)]'), at: 'commands', address: 'vers_provision.bad', message: /Invalid value for commands\[0\] .*at most 131072 characters/, pulumi: { type: PROVISION, news: { vmId: VM_ID, commands: [`echo ${'0'.repeat(200_000)}`] }, property: 'commands[0]', reason: /at most 131072 characters/ } },
  { name: 'a command of 1 MiB', body: provision('  commands = ["true", format("echo %01048576d", 0)]'), at: 'commands', address: 'vers_provision.bad', message: /Invalid value for commands\[1\] .*at most 131072 characters/, pulumi: { type: PROVISION, news: { vmId: VM_ID, commands: ['true', `echo ${'0'.repeat(1_048_576)}`] }, property: 'commands[1]', reason: /at most 131072 characters/ } },
  { name: 'a command of blanks', body: provision('  commands = ["   "]'), at: 'commands', address: 'vers_provision.bad', message: /Invalid value for commands\[0\] .*commands\[0\] must (not be empty|be a non-empty string|not be blank)/, pulumi: { type: PROVISION, news: { vmId: VM_ID, commands: ['   '] }, property: 'commands[0]', reason: /empty|blank/ } },
  ...['/', '/tmp/', '/root/newdir/', '/tmp/.', '/tmp/..', '/tmp/a\\u0000b'].map((destination): BadInput => ({
    name: `the destination ${destination}`,
    body: provision(file(`    content     = "x"\n    destination = "${destination}"`)),
    at: `"${destination}"`,
    address: 'vers_provision.bad',
    message: /Invalid value for file\[0\]\.destination .*must be an absolute path to a file/,
    pulumi: { type: PROVISION, news: { vmId: VM_ID, files: [{ content: 'x', destination: destination.replace('\\u0000', '\u0000') }] }, property: 'files[0].destination', reason: /absolute path to a file/ },
  })),
  ...['07777', '4755', '02755', '1777'].map((mode): BadInput => ({
    name: `the mode ${mode} with setuid, setgid or sticky bits`,
    body: provision(file(`    content     = "x"\n    destination = "/tmp/x"\n    mode        = "${mode}"`)),
    at: 'mode',
    address: 'vers_provision.bad',
    message: /Invalid value for file\[0\]\.mode .*setuid, setgid and sticky bits .*not allowed/,
    pulumi: { type: PROVISION, news: { vmId: VM_ID, files: [{ content: 'x', destination: '/tmp/x', mode }] }, property: 'files[0].mode', reason: /setuid, setgid and sticky bits/ },
  })),
  { name: 'a symbolic mode', body: provision(file('    content     = "x"\n    destination = "/tmp/x"\n    mode        = "rwxr-xr-x"')), at: 'mode', address: 'vers_provision.bad', message: /Invalid value for file\[0\]\.mode .*must be octal permission bits/, pulumi: { type: PROVISION, news: { vmId: VM_ID, files: [{ content: 'x', destination: '/tmp/x', mode: 'rwxr-xr-x' }] }, property: 'files[0].mode', reason: /octal/ } },

  // Data sources.
  { name: 'a malformed commit id to look up', body: 'data "vers_commit" "bad" {\n  commit_id = "nope"\n}\n', at: 'commit_id', address: 'data.vers_commit.bad', message: /Invalid value for commit_id .*commit_id must be a UUID/ },
  { name: 'VM labels to match that are not a map', body: 'data "vers_vms" "bad" {\n  labels = "role"\n}\n', at: 'labels', address: 'data.vers_vms.bad', message: /Inappropriate value for attribute "labels": map of string required/ },
];

/** `vers_vm.bad` → `in resource "vers_vm" "bad"`, `data.vers_vms.all` → `in data "vers_vms" "all"`. */
function blockOf(address: string): string {
  const [first, second, third] = address.split('.');
  return first === 'data' ? `in data "${second}" "${third}"` : `in resource "${first}" "${second}"`;
}

suite('bad input: a clear, attribute-precise error at validate/plan time, and no API call for what can be judged locally', () => {
  let local: VersLocalProcess;
  let ws: ReliabilityWorkspace;
  let noKey: ReliabilityWorkspace;
  let plugin: PluginHarness;

  beforeAll(async () => {
    local = await startVersLocal();
    ws = new ReliabilityWorkspace(local);
    noKey = new ReliabilityWorkspace(local, { env: { VERS_API_KEY: '' } });
    for (const workspace of [ws, noKey]) {
      writeFileSync(join(workspace.workDir, 'exists.txt'), 'present\n');
      mkdirSync(join(workspace.workDir, 'a-directory'));
    }
    // The plugin runs where the configuration lives, as the engine runs it in the project directory.
    plugin = await PluginHarness.start({
      cwd: ws.workDir,
      env: { VERS_BASE_URL: local.ready.base_url, VERS_API_KEY: local.ready.api_key, VERS_VM_DOMAIN: local.ready.vm_domain, VERS_SSH_GATEWAY: local.ready.ssh_gateway },
    });
    await plugin.handshake();
    await plugin.configure({ apiKey: secret(local.ready.api_key), baseUrl: local.ready.base_url, vmDomain: local.ready.vm_domain, sshGateway: local.ready.ssh_gateway });
  });

  afterAll(async () => {
    await plugin?.close();
    ws?.dispose();
    noKey?.dispose();
    const report = await local?.stop();
    expect(report?.exitCode ?? 0).toBe(0);
  });

  test('the table holds at least 80 invalid configurations', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(80);
    expect(new Set(CASES.map((c) => c.name)).size).toBe(CASES.length);
  });

  test.each(CASES.map((c) => [c.name, c] as const))('terraform: %s', async (_name, bad) => {
    const workspace = bad.noApiKey === true ? noKey : ws;
    const hcl = `${PROVIDER_HEADER}\nprovider "vers" {\n  ${bad.provider ?? ''}\n}\n\n${bad.body}`;
    workspace.writeConfig(hcl);
    const line = hcl.split('\n').findIndex((text) => text.includes(bad.at)) + 1;
    expect(line).toBeGreaterThan(0);

    const before = await apiRequestCount(local);
    const result = await workspace.run([bad.command ?? 'validate', '-no-color']);
    const calls = (await apiRequestCount(local)) - before;

    expect(result.code).toBe(1);
    const errors = diagnostics(result.output);
    expect({ errors, output: errors.length === 1 ? '' : result.output }).toEqual({ errors: [expect.stringMatching(bad.message)], output: '' });
    const error = errors[0] as string;
    expect(error).toContain(`on main.tf line ${line}`);
    // Terraform's own errors (types, required arguments) name the block; the provider's also say `with <address>`.
    expect(error).toContain(bad.address === undefined ? 'in provider "vers"' : blockOf(bad.address));
    if (bad.local !== false) expect(calls).toBe(0);
  });

  test('terraform: plain http with allow_insecure_http, and insecure_skip_tls_verify, are warnings the plan shows', async () => {
    ws.writeConfig(`${PROVIDER_HEADER}\nprovider "vers" {\n  base_url                 = "http://vers.example.com/api/v1"\n  allow_insecure_http      = true\n  insecure_skip_tls_verify = true\n}\n\n${vm('')}`);
    const before = await apiRequestCount(local);
    const result = await ws.run(['plan', '-no-color']);
    expect(result.code).toBe(0);
    const warnings = result.output.split(/\n(?=\s*Warning: )/).map((block) => block.replace(/\s+/g, ' ')).filter((block) => /^ ?Warning: /.test(block));
    expect(warnings).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/Warning: .*API key .*unencrypted.*http:\/\/vers\.example\.com/),
        expect.stringMatching(/Warning: .*insecure_skip_tls_verify.*not verified/),
      ]),
    );
    expect(await apiRequestCount(local)).toBe(before);
  });

  test('pulumi: insecure_skip_tls_verify is a warning in the engine log', async () => {
    const warned = await PluginHarness.start({ cwd: ws.workDir, env: { VERS_API_KEY: local.ready.api_key } });
    try {
      await warned.handshake();
      await warned.configure({ baseUrl: local.ready.base_url, vmDomain: local.ready.vm_domain, insecureSkipTlsVerify: true });
      await expect(warned.waitForLog((entry) => entry.severity === 2 && /insecure_skip_tls_verify.*not verified/.test(entry.message))).resolves.toBeDefined();
    } finally {
      await warned.close();
    }
  });

  const pulumiCases = CASES.filter((c) => c.pulumi !== undefined);

  test.each(pulumiCases.map((c) => [c.name, c] as const))('pulumi: %s', async (_name, bad) => {
    const input = bad.pulumi!;
    const before = await apiRequestCount(local);
    const outcome = 'config' in input ? await plugin.checkConfig(input.config) : await plugin.check(input.type, 'bad', input.news);
    expect(await apiRequestCount(local)).toBe(before);
    expect(outcome.failures).toEqual([{ property: input.property, reason: expect.stringMatching(input.reason) }]);
  });
});
