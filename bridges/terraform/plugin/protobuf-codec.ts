import type { FieldDescriptor, ProtoDescriptor, ScalarType } from './proto-descriptor';

/**
 * A small protobuf (proto3) codec driven by proto-descriptor.json, producing
 * exactly the plain objects @grpc/proto-loader gave the provider service
 * (options keepCase, longs Number, enums String, bytes Buffer, defaults,
 * oneofs): absent scalars get their zero value, absent messages null,
 * repeated fields [] and maps {}; oneof members appear only when set, and
 * the oneof's name holds the member's name. Encoding accepts those objects
 * (enums by name or number, bytes as Buffer/Uint8Array or base64), skips
 * null and undefined, and packs repeated numbers.
 */

type PlainObject = Record<string, unknown>;

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_BYTES = 2;
const WIRE_FIXED32 = 5;

const VARINT_TYPES: ReadonlySet<string> = new Set(['int32', 'int64', 'uint32', 'uint64', 'sint32', 'sint64', 'bool']);
const FIXED64_TYPES: ReadonlySet<string> = new Set(['fixed64', 'sfixed64', 'double']);
const FIXED32_TYPES: ReadonlySet<string> = new Set(['fixed32', 'sfixed32', 'float']);

export class ProtobufDecodeError extends Error {
  override readonly name = 'ProtobufDecodeError';
}

function wireTypeOf(field: FieldDescriptor): number {
  if (field.kind === 'enum') return WIRE_VARINT;
  if (field.kind === 'message' || field.keyType !== undefined) return WIRE_BYTES;
  if (VARINT_TYPES.has(field.type)) return WIRE_VARINT;
  if (FIXED64_TYPES.has(field.type)) return WIRE_FIXED64;
  if (FIXED32_TYPES.has(field.type)) return WIRE_FIXED32;
  return WIRE_BYTES; // string, bytes
}

function zeroValue(field: FieldDescriptor, descriptor: ProtoDescriptor): unknown {
  if (field.kind === 'message') return null;
  if (field.kind === 'enum') {
    const values = descriptor.enums[field.type] ?? {};
    return Object.keys(values).find((name) => values[name] === 0) ?? 0;
  }
  switch (field.type as ScalarType) {
    case 'bool':
      return false;
    case 'string':
      return '';
    case 'bytes':
      return Buffer.alloc(0);
    default:
      return 0;
  }
}

class Reader {
  pos = 0;
  readonly end: number;
  constructor(readonly buf: Buffer) {
    this.end = buf.length;
  }

  /** An unsigned varint up to 2^53 (lengths, tags, uint64 as proto-loader's longs: Number). */
  varint(): number {
    const { lo, hi } = this.varint64();
    return hi * 0x100000000 + lo;
  }

  /** The 64 bits of a varint as two unsigned 32-bit halves (exact, for signed and 32-bit reads). */
  varint64(): { lo: number; hi: number } {
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new ProtobufDecodeError('truncated varint');
      const byte = this.buf[this.pos++] as number;
      const bits = byte & 0x7f;
      if (i < 4) lo |= bits << (7 * i);
      else if (i === 4) {
        lo |= bits << 28;
        hi |= bits >>> 4;
      } else hi |= bits << (7 * i - 32);
      if (byte < 0x80) return { lo: lo >>> 0, hi: hi >>> 0 };
    }
    throw new ProtobufDecodeError('varint longer than 10 bytes');
  }

  bytes(): Buffer {
    const length = this.varint();
    if (this.pos + length > this.end) throw new ProtobufDecodeError('truncated length-delimited field');
    const out = this.buf.subarray(this.pos, this.pos + length);
    this.pos += length;
    return out;
  }

  skip(wireType: number): void {
    if (wireType === WIRE_VARINT) this.varint();
    else if (wireType === WIRE_FIXED64) this.pos += 8;
    else if (wireType === WIRE_BYTES) this.bytes();
    else if (wireType === WIRE_FIXED32) this.pos += 4;
    else throw new ProtobufDecodeError(`unsupported wire type ${wireType}`);
    if (this.pos > this.end) throw new ProtobufDecodeError('truncated field');
  }
}

/** Two's complement 64-bit → number (precision beyond 2^53 is lost, as with longs: Number). */
function signed64({ lo, hi }: { lo: number; hi: number }): number {
  if (hi & 0x80000000) return -((~hi >>> 0) * 0x100000000 + (~lo >>> 0) + 1);
  return hi * 0x100000000 + lo;
}

function readScalar(reader: Reader, type: string): unknown {
  switch (type as ScalarType) {
    case 'bool':
      return reader.varint() !== 0;
    case 'int32':
      return reader.varint64().lo | 0;
    case 'uint32':
      return reader.varint64().lo;
    case 'int64':
      return signed64(reader.varint64());
    case 'uint64':
      return reader.varint();
    case 'sint32':
    case 'sint64': {
      const value = reader.varint();
      return value % 2 === 0 ? value / 2 : -(value + 1) / 2;
    }
    case 'double': {
      const value = reader.buf.readDoubleLE(reader.pos);
      reader.pos += 8;
      return value;
    }
    case 'fixed64':
    case 'sfixed64': {
      const value = type === 'fixed64' ? reader.buf.readBigUInt64LE(reader.pos) : reader.buf.readBigInt64LE(reader.pos);
      reader.pos += 8;
      return Number(value);
    }
    case 'float': {
      const value = reader.buf.readFloatLE(reader.pos);
      reader.pos += 4;
      return value;
    }
    case 'fixed32':
    case 'sfixed32': {
      const value = type === 'fixed32' ? reader.buf.readUInt32LE(reader.pos) : reader.buf.readInt32LE(reader.pos);
      reader.pos += 4;
      return value;
    }
    case 'string':
      return reader.bytes().toString('utf8');
    case 'bytes':
      return Buffer.from(reader.bytes()); // a copy: the frame buffer is reused
  }
  throw new ProtobufDecodeError(`unknown scalar type ${type}`);
}

class Writer {
  private readonly chunks: Buffer[] = [];
  private current = Buffer.allocUnsafe(256);
  private pos = 0;
  private flushed = 0;

  get length(): number {
    return this.flushed + this.pos;
  }

  private ensure(bytes: number): void {
    if (this.pos + bytes <= this.current.length) return;
    this.chunks.push(this.current.subarray(0, this.pos));
    this.flushed += this.pos;
    this.current = Buffer.allocUnsafe(Math.max(bytes, 4096));
    this.pos = 0;
  }

  varint(value: number): void {
    this.ensure(10);
    if (value >= 0 && value <= 0xffffffff) {
      let v = value >>> 0;
      while (v > 0x7f) {
        this.current[this.pos++] = (v & 0x7f) | 0x80;
        v >>>= 7;
      }
      this.current[this.pos++] = v;
      return;
    }
    // Large and negative numbers: 64-bit two's complement, as protobuf encodes int32/int64.
    let big = BigInt.asUintN(64, BigInt(Math.trunc(value)));
    while (big > 0x7fn) {
      this.current[this.pos++] = Number(big & 0x7fn) | 0x80;
      big >>= 7n;
    }
    this.current[this.pos++] = Number(big);
  }

  raw(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.current.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  fixed(size: 4 | 8, write: (buf: Buffer, offset: number) => void): void {
    this.ensure(size);
    write(this.current, this.pos);
    this.pos += size;
  }

  finish(): Buffer {
    return Buffer.concat([...this.chunks, this.current.subarray(0, this.pos)]);
  }
}

function toBytes(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (typeof value === 'string') return Buffer.from(value, 'base64');
  if (Array.isArray(value)) return Buffer.from(value as number[]);
  throw new TypeError(`expected bytes, got ${typeof value}`);
}

export class ProtobufCodec {
  constructor(private readonly descriptor: ProtoDescriptor) {}

  decode(typeName: string, buf: Buffer): PlainObject {
    return this.decodeMessage(typeName, new Reader(buf));
  }

  encode(typeName: string, value: PlainObject): Buffer {
    const writer = new Writer();
    this.encodeMessage(typeName, value, writer);
    return writer.finish();
  }

  private message(typeName: string): { fields: FieldDescriptor[]; byId: Map<number, FieldDescriptor> } {
    let cached = this.messages.get(typeName);
    if (cached === undefined) {
      const message = this.descriptor.messages[typeName];
      if (message === undefined) throw new ProtobufDecodeError(`unknown message type ${typeName}`);
      cached = { fields: message.fields, byId: new Map(message.fields.map((field) => [field.id, field])) };
      this.messages.set(typeName, cached);
    }
    return cached;
  }

  private readonly messages = new Map<string, { fields: FieldDescriptor[]; byId: Map<number, FieldDescriptor> }>();

  private enumName(typeName: string, number: number): string | number {
    const values = this.descriptor.enums[typeName] ?? {};
    for (const name in values) if (values[name] === number) return name;
    return number; // an unknown value stays a number, as protobufjs does
  }

  private decodeMessage(typeName: string, reader: Reader): PlainObject {
    const { fields, byId } = this.message(typeName);
    const out: PlainObject = {};
    for (const field of fields) {
      if (field.keyType !== undefined) out[field.name] = {};
      else if (field.repeated) out[field.name] = [];
      else if (field.oneof === undefined) out[field.name] = zeroValue(field, this.descriptor);
    }
    while (reader.pos < reader.end) {
      const tag = reader.varint();
      const id = Math.floor(tag / 8);
      const wireType = tag & 7;
      const field = byId.get(id);
      if (field === undefined) {
        reader.skip(wireType);
        continue;
      }
      if (field.keyType !== undefined) {
        const entryReader = new Reader(reader.bytes());
        let key: unknown = zeroValue({ name: 'key', id: 1, type: field.keyType, kind: 'scalar' }, this.descriptor);
        let value: unknown = field.kind === 'message' ? this.decodeMessage(field.type, new Reader(Buffer.alloc(0))) : zeroValue(field, this.descriptor);
        while (entryReader.pos < entryReader.end) {
          const entryTag = entryReader.varint();
          if (entryTag >>> 3 === 1) key = readScalar(entryReader, field.keyType);
          else if (entryTag >>> 3 === 2) value = this.readValue(field, entryReader);
          else entryReader.skip(entryTag & 7);
        }
        (out[field.name] as PlainObject)[String(key)] = value;
      } else if (field.repeated) {
        const list = out[field.name] as unknown[];
        if (wireType === WIRE_BYTES && field.kind !== 'message' && field.type !== 'string' && field.type !== 'bytes') {
          const inner = new Reader(reader.bytes());
          while (inner.pos < inner.end) list.push(this.readValue(field, inner));
        } else {
          list.push(this.readValue(field, reader));
        }
      } else {
        out[field.name] = this.readValue(field, reader);
        if (field.oneof !== undefined) {
          // Only one member of a oneof is set: the last one on the wire wins.
          for (const other of fields) if (other.oneof === field.oneof && other !== field) delete out[other.name];
          out[field.oneof] = field.name;
        }
      }
    }
    return out;
  }

  private readValue(field: FieldDescriptor, reader: Reader): unknown {
    if (field.kind === 'message') return this.decodeMessage(field.type, new Reader(reader.bytes()));
    if (field.kind === 'enum') return this.enumName(field.type, reader.varint64().lo | 0);
    return readScalar(reader, field.type);
  }

  private encodeMessage(typeName: string, value: PlainObject, writer: Writer): void {
    const { fields } = this.message(typeName);
    for (const field of fields) {
      const item = value[field.name];
      if (item === undefined || item === null) continue;
      if (field.keyType !== undefined) {
        for (const [key, entryValue] of Object.entries(item as PlainObject)) {
          if (entryValue === undefined || entryValue === null) continue;
          const entry = new Writer();
          this.writeField({ name: 'key', id: 1, type: field.keyType, kind: 'scalar' }, field.keyType === 'string' ? key : Number(key), entry);
          this.writeField({ ...field, id: 2, repeated: undefined, keyType: undefined } as FieldDescriptor, entryValue, entry);
          writer.varint(field.id * 8 + WIRE_BYTES);
          writer.varint(entry.length);
          writer.raw(entry.finish());
        }
      } else if (field.repeated) {
        const list = item as unknown[];
        if (list.length === 0) continue;
        const wireType = wireTypeOf(field);
        if (wireType !== WIRE_BYTES) {
          const packed = new Writer();
          for (const element of list) this.writeBare(field, element, packed);
          writer.varint(field.id * 8 + WIRE_BYTES);
          writer.varint(packed.length);
          writer.raw(packed.finish());
        } else {
          for (const element of list) if (element !== null && element !== undefined) this.writeField(field, element, writer);
        }
      } else {
        this.writeField(field, item, writer);
      }
    }
  }

  private writeField(field: FieldDescriptor, value: unknown, writer: Writer): void {
    writer.varint(field.id * 8 + wireTypeOf(field));
    this.writeBare(field, value, writer);
  }

  /** The value without its tag (length-prefixed for bytes, strings and messages). */
  private writeBare(field: FieldDescriptor, value: unknown, writer: Writer): void {
    if (field.kind === 'message') {
      const nested = new Writer();
      this.encodeMessage(field.type, value as PlainObject, nested);
      writer.varint(nested.length);
      writer.raw(nested.finish());
      return;
    }
    if (field.kind === 'enum') {
      const number = typeof value === 'number' ? value : this.descriptor.enums[field.type]?.[String(value)];
      if (number === undefined) throw new TypeError(`${String(value)} is not a value of enum ${field.type}`);
      writer.varint(number);
      return;
    }
    switch (field.type as ScalarType) {
      case 'bool':
        writer.varint(value ? 1 : 0);
        return;
      case 'string': {
        const bytes = Buffer.from(String(value), 'utf8');
        writer.varint(bytes.length);
        writer.raw(bytes);
        return;
      }
      case 'bytes': {
        const bytes = toBytes(value);
        writer.varint(bytes.length);
        writer.raw(bytes);
        return;
      }
      case 'sint32':
      case 'sint64': {
        const n = Number(value);
        writer.varint(n >= 0 ? n * 2 : -n * 2 - 1);
        return;
      }
      case 'double':
        writer.fixed(8, (buf, offset) => buf.writeDoubleLE(Number(value), offset));
        return;
      case 'float':
        writer.fixed(4, (buf, offset) => buf.writeFloatLE(Number(value), offset));
        return;
      case 'fixed64':
        writer.fixed(8, (buf, offset) => buf.writeBigUInt64LE(BigInt(Math.trunc(Number(value))), offset));
        return;
      case 'sfixed64':
        writer.fixed(8, (buf, offset) => buf.writeBigInt64LE(BigInt(Math.trunc(Number(value))), offset));
        return;
      case 'fixed32':
        writer.fixed(4, (buf, offset) => buf.writeUInt32LE(Number(value) >>> 0, offset));
        return;
      case 'sfixed32':
        writer.fixed(4, (buf, offset) => buf.writeInt32LE(Number(value) | 0, offset));
        return;
      default:
        writer.varint(Number(value));
    }
  }
}
