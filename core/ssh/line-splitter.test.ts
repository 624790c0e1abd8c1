import { LineSplitter, TailBuffer } from './line-splitter';

describe('LineSplitter', () => {
  test('emits whole lines across chunk boundaries, keeping UTF-8 characters intact', () => {
    const lines: string[] = [];
    const splitter = new LineSplitter((line) => lines.push(line));
    const euro = Buffer.from('€');
    splitter.push(Buffer.concat([Buffer.from('ab'), euro.subarray(0, 1)]));
    splitter.push(Buffer.concat([euro.subarray(1), Buffer.from('\r\nsecond\nthi')]));
    expect(lines).toEqual(['ab€', 'second']);
    splitter.push(Buffer.from('rd'));
    splitter.end();
    expect(lines).toEqual(['ab€', 'second', 'third']);
  });

  test('splits overlong lines instead of buffering them', () => {
    const lines: string[] = [];
    const splitter = new LineSplitter((line) => lines.push(line), 10);
    splitter.push(Buffer.from('x'.repeat(25)));
    expect(lines).toEqual(['x'.repeat(10), 'x'.repeat(10)]);
  });
});

describe('TailBuffer', () => {
  test('keeps the last lines within both bounds', () => {
    const tail = new TailBuffer(3, 100);
    for (let i = 1; i <= 10; i++) tail.add(`line ${i}`);
    expect(tail.toString()).toBe('line 8\nline 9\nline 10');
    const bytes = new TailBuffer(20, 10);
    bytes.add('aaaa');
    bytes.add('bbbb');
    bytes.add('cccc');
    expect(bytes.toString()).toBe('bbbb\ncccc');
    const huge = new TailBuffer(20, 8);
    huge.add('0123456789abcdef');
    expect(huge.toString()).toBe('89abcdef');
  });
});
