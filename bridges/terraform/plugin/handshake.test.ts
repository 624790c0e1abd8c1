import { formatHandshake, hasMagicCookie, MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE, negotiateProtocolVersion } from './handshake';

describe('the go-plugin handshake', () => {
  test('picks protocol 6 from what Terraform offers, in any order', () => {
    expect(negotiateProtocolVersion({ PLUGIN_PROTOCOL_VERSIONS: '5,6' })).toBe(6);
    expect(negotiateProtocolVersion({ PLUGIN_PROTOCOL_VERSIONS: '6,5' })).toBe(6);
    expect(negotiateProtocolVersion({ PLUGIN_PROTOCOL_VERSIONS: '5' })).toBe(6); // Terraform reports the mismatch.
  });

  test('writes the certificate as unpadded base64, as Go RawStdEncoding reads it', () => {
    const line = formatHandshake({ protocolVersion: 6, network: 'tcp', address: '127.0.0.1:1234', certDer: Buffer.from([1, 2, 3, 4]) });
    expect(line).toBe('1|6|tcp|127.0.0.1:1234|grpc|AQIDBA\n');
    expect(formatHandshake({ protocolVersion: 6, network: 'tcp', address: '127.0.0.1:1', certDer: undefined })).toBe('1|6|tcp|127.0.0.1:1|grpc|\n');
  });

  test('recognises Terraform by its magic cookie only', () => {
    expect(hasMagicCookie({ [MAGIC_COOKIE_KEY]: MAGIC_COOKIE_VALUE })).toBe(true);
    expect(hasMagicCookie({ [MAGIC_COOKIE_KEY]: 'nope' })).toBe(false);
    expect(hasMagicCookie({})).toBe(false);
  });
});
