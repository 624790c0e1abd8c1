import { StringDecoder } from 'node:string_decoder';

/**
 * Turns a byte stream into lines as they arrive, without buffering more than
 * one line: UTF-8 sequences split across chunks are kept whole, and a line
 * longer than `maxLineLength` is emitted in pieces.
 */
export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';

  constructor(
    private readonly onLine: (line: string) => void,
    private readonly maxLineLength = 16_384,
  ) {}

  /** Bytes (decoded here) or text already decoded. */
  push(chunk: Buffer | string): void {
    this.consume(typeof chunk === 'string' ? chunk : this.decoder.write(chunk));
  }

  /** Emit what is left (a last line without a newline). */
  end(): void {
    this.consume(this.decoder.end());
    if (this.pending !== '') this.onLine(this.pending);
    this.pending = '';
  }

  private consume(text: string): void {
    let rest = this.pending + text;
    for (let newline = rest.indexOf('\n'); newline !== -1; newline = rest.indexOf('\n')) {
      this.onLine(rest.slice(0, newline).replace(/\r$/, ''));
      rest = rest.slice(newline + 1);
    }
    while (rest.length > this.maxLineLength) {
      this.onLine(rest.slice(0, this.maxLineLength));
      rest = rest.slice(this.maxLineLength);
    }
    this.pending = rest;
  }
}

/** The last `maxLines` lines / `maxBytes` characters of a stream: for error messages. */
export class TailBuffer {
  private lines: string[] = [];
  private size = 0;

  constructor(
    private readonly maxLines = 20,
    private readonly maxBytes = 4096,
  ) {}

  add(line: string): void {
    const bounded = line.length > this.maxBytes ? line.slice(line.length - this.maxBytes) : line;
    this.lines.push(bounded);
    this.size += bounded.length + 1;
    while (this.lines.length > this.maxLines || (this.size > this.maxBytes && this.lines.length > 1)) {
      this.size -= (this.lines.shift() as string).length + 1;
    }
  }

  toString(): string {
    return this.lines.join('\n');
  }
}
