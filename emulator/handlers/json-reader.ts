/**
 * A JSON reader that keeps where each value starts and ends, so vers-local can
 * word body errors as the real server (axum + serde_json) does, down to
 * ``at line 1 column 19`` (reference §2). Syntax errors use serde_json's
 * texts.
 */

export type JsonNode =
  | { kind: 'null'; start: number; end: number }
  | { kind: 'bool'; value: boolean; start: number; end: number }
  | { kind: 'number'; text: string; start: number; end: number }
  | { kind: 'string'; value: string; start: number; end: number }
  | { kind: 'array'; items: JsonNode[]; start: number; end: number }
  | { kind: 'object'; entries: Array<{ key: string; value: JsonNode }>; start: number; end: number };

/** A position as serde_json reports it: 1-based line, column = characters since the line start. */
export function positionOf(source: string, index: number): { line: number; column: number } {
  const before = source.slice(0, index);
  const lastNewline = before.lastIndexOf('\n');
  const line = before.split('\n').length;
  return { line, column: index - (lastNewline + 1) };
}

/** Malformed JSON: the server answers 400 `Failed to parse the request body as JSON: …`. */
export class JsonSyntaxError extends Error {
  constructor(source: string, reason: string, index: number) {
    const { line, column } = positionOf(source, index);
    super(`${reason} at line ${line} column ${column}`);
    this.name = 'JsonSyntaxError';
  }
}

/** Parse a whole document; trailing non-whitespace is an error, as in serde_json. */
export function readJson(source: string): JsonNode {
  const reader = new Reader(source);
  const node = reader.value();
  reader.skipWhitespace();
  if (!reader.atEnd()) throw reader.peekError('trailing characters');
  return node;
}

const MAX_DEPTH = 128;

class Reader {
  private index = 0;
  private depth = 0;

  constructor(private readonly source: string) {}

  atEnd(): boolean {
    return this.index >= this.source.length;
  }

  skipWhitespace(): void {
    while (!this.atEnd() && ' \t\n\r'.includes(this.source[this.index]!)) this.index++;
  }

  /** serde_json's peek_error: the position just past the character looked at. */
  peekError(reason: string): JsonSyntaxError {
    return new JsonSyntaxError(this.source, reason, Math.min(this.source.length, this.index + 1));
  }

  private errorHere(reason: string): JsonSyntaxError {
    return new JsonSyntaxError(this.source, reason, this.index);
  }

  value(): JsonNode {
    this.skipWhitespace();
    if (this.atEnd()) throw this.peekError('EOF while parsing a value');
    const start = this.index;
    const c = this.source[this.index]!;
    switch (c) {
      case 'n':
        this.ident('null');
        return { kind: 'null', start, end: this.index };
      case 't':
        this.ident('true');
        return { kind: 'bool', value: true, start, end: this.index };
      case 'f':
        this.ident('false');
        return { kind: 'bool', value: false, start, end: this.index };
      case '"':
        return { kind: 'string', value: this.string(), start, end: this.index };
      case '[':
        return this.nested(() => this.array(start));
      case '{':
        return this.nested(() => this.object(start));
      default:
        if (c === '-' || (c >= '0' && c <= '9')) return { kind: 'number', text: this.number(), start, end: this.index };
        throw this.peekError('expected value');
    }
  }

  private nested(read: () => JsonNode): JsonNode {
    if (++this.depth > MAX_DEPTH) throw this.peekError('recursion limit exceeded');
    try {
      return read();
    } finally {
      this.depth--;
    }
  }

  private ident(word: string): void {
    for (const expected of word) {
      if (this.atEnd()) throw this.errorHere('EOF while parsing a value');
      if (this.source[this.index] !== expected) {
        this.index++;
        throw this.errorHere('expected ident');
      }
      this.index++;
    }
  }

  private number(): string {
    const match = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(this.source.slice(this.index));
    if (match === null || match[0] === '-') {
      this.index += match?.[0].length ?? 0;
      throw this.errorHere('invalid number');
    }
    this.index += match[0].length;
    const next = this.source[this.index];
    if (next !== undefined && /[0-9.eE]/.test(next)) throw this.peekError('invalid number');
    return match[0];
  }

  private string(): string {
    this.index++; // opening quote
    let out = '';
    for (;;) {
      if (this.atEnd()) throw this.errorHere('EOF while parsing a string');
      const c = this.source[this.index]!;
      if (c === '"') {
        this.index++;
        return out;
      }
      if (c === '\\') {
        this.index++;
        if (this.atEnd()) throw this.errorHere('EOF while parsing a string');
        const escape = this.source[this.index]!;
        const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
        if (escape in simple) {
          out += simple[escape];
          this.index++;
        } else if (escape === 'u') {
          const hex = this.source.slice(this.index + 1, this.index + 5);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
            this.index++;
            throw this.errorHere('invalid escape');
          }
          out += String.fromCharCode(parseInt(hex, 16));
          this.index += 5;
        } else {
          this.index++;
          throw this.errorHere('invalid escape');
        }
        continue;
      }
      if (c < ' ') {
        this.index++;
        throw this.errorHere('control character (\\u0000-\\u001F) found while parsing a string');
      }
      out += c;
      this.index++;
    }
  }

  private array(start: number): JsonNode {
    this.index++;
    const items: JsonNode[] = [];
    this.skipWhitespace();
    if (this.source[this.index] === ']') {
      this.index++;
      return { kind: 'array', items, start, end: this.index };
    }
    for (;;) {
      items.push(this.value());
      this.skipWhitespace();
      if (this.atEnd()) throw this.peekError('EOF while parsing a list');
      const c = this.source[this.index];
      if (c === ']') {
        this.index++;
        return { kind: 'array', items, start, end: this.index };
      }
      if (c !== ',') throw this.peekError('expected `,` or `]`');
      this.index++;
      this.skipWhitespace();
      if (this.source[this.index] === ']') throw this.peekError('trailing comma');
    }
  }

  private object(start: number): JsonNode {
    this.index++;
    const entries: Array<{ key: string; value: JsonNode }> = [];
    this.skipWhitespace();
    if (this.source[this.index] === '}') {
      this.index++;
      return { kind: 'object', entries, start, end: this.index };
    }
    for (;;) {
      this.skipWhitespace();
      if (this.atEnd()) throw this.peekError('EOF while parsing an object');
      if (this.source[this.index] !== '"') throw this.peekError('key must be a string');
      const key = this.string();
      this.skipWhitespace();
      if (this.atEnd()) throw this.peekError('EOF while parsing an object');
      if (this.source[this.index] !== ':') throw this.peekError('expected `:`');
      this.index++;
      entries.push({ key, value: this.value() });
      this.skipWhitespace();
      if (this.atEnd()) throw this.peekError('EOF while parsing an object');
      const c = this.source[this.index];
      if (c === '}') {
        this.index++;
        return { kind: 'object', entries, start, end: this.index };
      }
      if (c !== ',') throw this.peekError('expected `,` or `}`');
      this.index++;
      this.skipWhitespace();
      if (this.source[this.index] === '}') throw this.peekError('trailing comma');
    }
  }
}
