import { Struct } from 'google-protobuf/google/protobuf/struct_pb';
import { UNKNOWN } from '../../core/base/unknown';
import {
  ARCHIVE_SIGNATURE,
  ASSET_SIGNATURE,
  OUTPUT_VALUE_SIGNATURE,
  RESOURCE_REFERENCE_SIGNATURE,
  SECRET_SIGNATURE,
  SIGNATURE_KEY,
  UnsupportedWireValueError,
  fromWire,
  toWire,
} from './property-values';

const secret = (value: unknown): Record<string, unknown> => ({ [SIGNATURE_KEY]: SECRET_SIGNATURE, value });

/** What the engine would send: through a real protobuf Struct and back. */
function overTheWire(value: Record<string, unknown>): Record<string, unknown> {
  const bytes = Struct.fromJavaScript(value as Parameters<typeof Struct.fromJavaScript>[0]).serializeBinary();
  return Struct.deserializeBinary(bytes).toJavaScript();
}

describe('Pulumi wire values and core property bags', () => {
  test('a secret is unwrapped for the core and its top-level property is remembered', () => {
    const { bag, secretKeys } = fromWire(overTheWire({ environment: { TOKEN: secret('s3cret') }, commands: ['echo hi'] }));
    expect(bag).toEqual({ environment: { TOKEN: 's3cret' }, commands: ['echo hi'] });
    expect([...secretKeys]).toEqual(['environment']);
  });

  test('a property marked secret goes back wrapped as a secret, the others plain', () => {
    const wire = overTheWire(toWire({ sshPrivateKey: '-----BEGIN OPENSSH PRIVATE KEY-----', ip: 'fd00::1' }, ['sshPrivateKey']));
    expect(wire).toEqual({ sshPrivateKey: secret('-----BEGIN OPENSSH PRIVATE KEY-----'), ip: 'fd00::1' });
  });

  test('a value schema.json marks secret below the top level is wrapped there, and coming back it keeps its property plain', () => {
    const nested = new Set(['files[].content']);
    const files = [{ destination: '/etc/app.conf', content: 'password=s3cret', mode: '0600' }];
    const wire = overTheWire(toWire({ files }, [], nested));
    expect(wire).toEqual({ files: [{ destination: '/etc/app.conf', content: secret('password=s3cret'), mode: '0600' }] });
    const back = fromWire(wire, nested);
    expect(back.bag).toEqual({ files });
    expect([...back.secretKeys]).toEqual([]);
    // A secret anywhere else still makes its whole property secret.
    expect([...fromWire(overTheWire({ files: [{ destination: secret('/etc/app.conf') }] }), nested).secretKeys]).toEqual(['files']);
  });

  test('unknowns pass through both ways as the core UNKNOWN sentinel', () => {
    const { bag } = fromWire(overTheWire({ vmId: UNKNOWN, labels: { a: UNKNOWN } }));
    expect(bag).toEqual({ vmId: UNKNOWN, labels: { a: UNKNOWN } });
    expect(overTheWire(toWire({ id: UNKNOWN }, ['id']))).toEqual({ id: secret(UNKNOWN) });
  });

  test('numbers, booleans, nulls, nested lists and maps survive the round trip', () => {
    const bag = { vcpuCount: 2, waitBoot: false, fromCommit: null, files: [{ destination: '/etc/motd', mode: '0644' }], labels: { env: 'dev' } };
    expect(fromWire(overTheWire(toWire(bag))).bag).toEqual(bag);
  });

  test('undefined members are dropped instead of breaking the Struct encoder', () => {
    const bag = { a: 'x', b: undefined, c: { d: undefined, e: 1 } } as unknown as Record<string, never>;
    expect(overTheWire(toWire(bag))).toEqual({ a: 'x', c: { e: 1 } });
  });

  test('a Date or Buffer in an output is refused with the property path instead of silently becoming {}', () => {
    expect(() => toWire({ createdAt: new Date() as unknown as string })).toThrow(UnsupportedWireValueError);
    expect(() => toWire({ files: [{ content: Buffer.from('x') as unknown as string }] })).toThrow(/files\[0\]\.content/);
  });

  test('an output value becomes its value, and an unknown output value becomes UNKNOWN', () => {
    const known = fromWire({ vmId: { [SIGNATURE_KEY]: OUTPUT_VALUE_SIGNATURE, value: 'abc', secret: true } });
    expect(known.bag).toEqual({ vmId: 'abc' });
    expect([...known.secretKeys]).toEqual(['vmId']);
    expect(fromWire({ vmId: { [SIGNATURE_KEY]: OUTPUT_VALUE_SIGNATURE } }).bag).toEqual({ vmId: UNKNOWN });
  });

  test('a resource reference becomes the id of the resource', () => {
    const reference = { [SIGNATURE_KEY]: RESOURCE_REFERENCE_SIGNATURE, urn: 'urn:pulumi:s::p::vers:index:Vm::golden', id: 'vm-1' };
    expect(fromWire({ vmId: reference }).bag).toEqual({ vmId: 'vm-1' });
  });

  test('assets and archives are refused, naming the property', () => {
    const asset = { [SIGNATURE_KEY]: ASSET_SIGNATURE, hash: 'h', path: './x' };
    const archive = { [SIGNATURE_KEY]: ARCHIVE_SIGNATURE, hash: 'h', path: './x' };
    expect(() => fromWire({ files: [{ source: asset }] })).toThrow('files[0].source is an asset, which no vers property accepts');
    expect(() => fromWire({ bundle: archive })).toThrow(/bundle is an archive/);
  });
});
