import { REDACTED, SecretRedactor } from './redaction';

/** Everything a stream emits for `chunks`, pushed one by one. */
function streamed(redactor: SecretRedactor, chunks: string[]): { text: string; emits: string[] } {
  const emits: string[] = [];
  const stream = redactor.stream((text) => emits.push(text));
  for (const chunk of chunks) stream.push(chunk);
  stream.end();
  return { text: emits.join(''), emits };
}

describe('SecretRedactor', () => {
  test('blanks remembered values, longest first, and their JSON-quoted form', () => {
    const redactor = new SecretRedactor(['abcdef', 'abcdefgh-longer', 'line one\nline "two" is long enough']);
    expect(redactor.redact('x abcdefgh-longer y abcdef z')).toBe(`x ${REDACTED} y ${REDACTED} z`);
    expect(redactor.redact(JSON.stringify('line one\nline "two" is long enough'))).toBe(`"${REDACTED}"`);
  });

  test('ignores values too short to be told from ordinary text', () => {
    const redactor = new SecretRedactor(['true', '8080', undefined]);
    expect(redactor.redact('listen on 8080: true')).toBe('listen on 8080: true');
  });

  test('an API key goes with its secret half, which identifies it alone', () => {
    const key = `0b3c1f6e-2a4d-4c8e-9f10-1234567890ab${'a1b2c3d4'.repeat(8)}`;
    expect(new SecretRedactor([key]).redact(`half ${key.slice(36)}`)).toBe(`half ${REDACTED}`);
  });

  test('lines of a multi-line secret are blanked on their own when long enough', () => {
    const pem = '-----BEGIN X-----\nAAAABBBBCCCCDDDDEEEE\nshort\n-----END X-----';
    expect(new SecretRedactor([pem]).redact('printed: AAAABBBBCCCCDDDDEEEE and short')).toBe(`printed: ${REDACTED} and short`);
  });
});

describe('RedactingStream', () => {
  test('a secret split over chunks is blanked, and text that cannot start one goes out at once', () => {
    const { text, emits } = streamed(new SecretRedactor(['s3cret-token']), ['ok\nthe value is s3c', 'ret-tok', 'en!\n']);
    expect(text).toBe(`ok\nthe value is ${REDACTED}!\n`);
    expect(emits[0]).toBe('ok\nthe value is ');
  });

  test('a multi-line secret printed line by line is blanked whole', () => {
    const secret = 'ab12cd\nef34gh\nij56kl\n';
    expect(streamed(new SecretRedactor([secret]), ['ab12cd\n', 'ef34gh\n', 'ij56kl\n', 'after\n']).text).toBe(`${REDACTED}after\n`);
  });

  test('a held-back start that never completes a secret is emitted unchanged at the end', () => {
    expect(streamed(new SecretRedactor(['s3cret-token']), ['almost s3cret-to']).text).toBe('almost s3cret-to');
  });

  test('a secret that ends where a longer one could start is not cut in two', () => {
    const redactor = new SecretRedactor(['abcdefgh', 'efghijkl']);
    expect(streamed(redactor, ['xxabcdefg', 'hijkl yy']).text).toBe(`xx${REDACTED}ijkl yy`);
  });

  test('without secrets the stream passes everything through as it comes', () => {
    const { text, emits } = streamed(new SecretRedactor(), ['a', 'b\n', 'c']);
    expect(text).toBe('ab\nc');
    expect(emits).toEqual(['a', 'b\n', 'c']);
  });
});
