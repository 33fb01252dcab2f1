/**
 * The little DER (ITU-T X.690) the template functions need to read and write certificates, keys and
 * PKCS#12 archives: tag-length-value with single-byte tags. Reading is strict about lengths; node:crypto
 * does all the cryptography.
 */
export class DerError extends Error {}

export interface Tlv {
  /** the identifier byte: class, constructed bit and tag number */
  tag: number;
  /** the content bytes */
  body: Buffer;
  /** the whole encoding, header included */
  full: Buffer;
}

export const TAG = {
  BOOLEAN: 0x01, INTEGER: 0x02, BIT_STRING: 0x03, OCTET_STRING: 0x04, NULL: 0x05, OID: 0x06, UTF8: 0x0c,
  PRINTABLE: 0x13, IA5: 0x16, UTC_TIME: 0x17, GENERALIZED_TIME: 0x18, BMP: 0x1e, SEQUENCE: 0x30, SET: 0x31,
} as const;

/** Reads one TLV at `at`; returns it and the offset after it. */
export function readTlv(buf: Buffer, at = 0): [Tlv, number] {
  if (at + 2 > buf.length) throw new DerError('truncated DER');
  const tag = buf[at]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError('multi-byte DER tags are not supported');
  let len = buf[at + 1]!;
  let p = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || p + n > buf.length) throw new DerError('bad DER length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[p + i]!;
    p += n;
  }
  if (p + len > buf.length) throw new DerError('truncated DER');
  return [{ tag, body: buf.subarray(p, p + len), full: buf.subarray(at, p + len) }, p + len];
}

/** The TLVs inside a constructed value (or a whole buffer). */
export function children(body: Buffer): Tlv[] {
  const out: Tlv[] = [];
  for (let p = 0; p < body.length; ) {
    const [t, next] = readTlv(body, p);
    out.push(t);
    p = next;
  }
  return out;
}

/** Reads exactly one TLV filling `buf`, with the expected tag. */
export function parseOne(buf: Buffer, tag?: number): Tlv {
  const [t, end] = readTlv(buf, 0);
  if (end !== buf.length) throw new DerError('trailing data after DER value');
  if (tag !== undefined && t.tag !== tag) throw new DerError(`expected DER tag ${tag}, found ${t.tag}`);
  return t;
}

export function oidString(body: Buffer): string {
  const parts: number[] = [];
  let v = 0;
  for (const b of body) {
    v = v * 128 + (b & 0x7f);
    if (!(b & 0x80)) {
      if (parts.length === 0) parts.push(v < 80 ? Math.floor(v / 40) : 2, v < 80 ? v % 40 : v - 80);
      else parts.push(v);
      v = 0;
    }
  }
  return parts.join('.');
}

// ------------------------------------------------------------------------------------------- writing

export function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  const n = body.length;
  let head: number[];
  if (n < 0x80) head = [tag, n];
  else {
    const bytes: number[] = [];
    for (let x = n; x > 0; x = Math.floor(x / 256)) bytes.unshift(x & 0xff);
    head = [tag, 0x80 | bytes.length, ...bytes];
  }
  return Buffer.concat([Buffer.from(head), body]);
}

export const seq = (...c: Buffer[]) => tlv(TAG.SEQUENCE, ...c);
export const set = (...c: Buffer[]) => tlv(TAG.SET, ...c);
export const octets = (b: Uint8Array) => tlv(TAG.OCTET_STRING, Buffer.from(b));
export const nullValue = () => tlv(TAG.NULL);
/** context-specific [n]; constructed (EXPLICIT or IMPLICIT SEQUENCE) unless `primitive` */
export const ctx = (n: number, content: Buffer, primitive = false) => tlv((primitive ? 0x80 : 0xa0) | n, content);
export const bitString = (b: Uint8Array, unused = 0) => tlv(TAG.BIT_STRING, Buffer.from([unused]), Buffer.from(b));
export const bool = (v: boolean) => tlv(TAG.BOOLEAN, Buffer.from([v ? 0xff : 0]));

/** INTEGER from a non-negative bigint (minimal two's complement). */
export function integer(v: bigint | number): Buffer {
  let x = BigInt(v);
  if (x < 0n) throw new DerError('negative INTEGER');
  const bytes: number[] = [];
  do {
    bytes.unshift(Number(x & 0xffn));
    x >>= 8n;
  } while (x > 0n);
  if (bytes[0]! & 0x80) bytes.unshift(0);
  return tlv(TAG.INTEGER, Buffer.from(bytes));
}

export function intValue(body: Buffer): bigint {
  if (body.length === 0) throw new DerError('empty INTEGER');
  let v = 0n;
  for (const b of body) v = (v << 8n) | BigInt(b);
  if (body[0]! & 0x80) v -= 1n << BigInt(8 * body.length);
  return v;
}

export function oid(dotted: string): Buffer {
  const p = dotted.split('.').map(Number);
  const out: number[] = [];
  const push = (v: number) => {
    const stack = [v & 0x7f];
    for (v = Math.floor(v / 128); v > 0; v = Math.floor(v / 128)) stack.unshift((v & 0x7f) | 0x80);
    out.push(...stack);
  };
  push(p[0]! * 40 + p[1]!);
  for (const v of p.slice(2)) push(v);
  return tlv(TAG.OID, Buffer.from(out));
}
