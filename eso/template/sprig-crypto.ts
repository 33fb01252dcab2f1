/**
 * sprig's hashing and symmetric functions as ESO v2.9.0 vendors them (runtime/template/v2/sprig/crypto.go
 * and strings.go): bcrypt, htpasswd, derivePassword, encryptAES, decryptAES, hexdec. Outputs, error
 * texts and Go's runtime panics (which text/template reports as errors) follow Go; the differential test
 * runs them through Go's own code.
 */
import { createCipheriv, createDecipheriv, createHash, createHmac, scryptSync } from 'node:crypto';
import { encodeBase64, hashSync } from 'bcryptjs';
import { fromBytes, fromText, isValidUTF8, toBytes, toText } from '../../core/go/utf8.ts';
import { b64decode, b64encode } from './encoding.ts';
import { CallError } from './exec.ts';
import { isPrint } from '../../core/go/strconv.ts';

/** The caller's random source, asked for only when a function needs one (so `{SHA}` htpasswd needs none). */
export type RandomBytes = () => (n: number) => Uint8Array;

/** encoding/hex DecodeString; sprig's hexdec returns the error text in place of the result. */
export function hexdec(s: string): string {
  const hexVal = (c: number): number => (c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1);
  // hex.InvalidByteError prints the byte as a rune with %#U
  const invalid = (c: number): string => {
    const code = 'U+' + c.toString(16).toUpperCase().padStart(4, '0');
    return `encoding/hex: invalid byte: ${code}${isPrint(c) ? ` '${fromText(String.fromCodePoint(c))}'` : ''}`;
  };
  let out = '';
  let j = 1;
  for (; j < s.length; j += 2) {
    const p = s.charCodeAt(j - 1);
    const q = s.charCodeAt(j);
    const a = hexVal(p);
    const b = hexVal(q);
    if (a < 0) return invalid(p);
    if (b < 0) return invalid(q);
    out += String.fromCharCode((a << 4) | b);
  }
  if (s.length % 2 === 1) {
    const last = s.charCodeAt(j - 1);
    if (hexVal(last) < 0) return invalid(last);
    return 'encoding/hex: odd length hex string';
  }
  return out;
}

/**
 * bcrypt.GenerateFromPassword(password, DefaultCost=10): a `$2a$10$` hash with a fresh 16-byte salt. Go
 * refuses passwords over 72 bytes (x/crypto v0.53.0); sprig then returns the error text as the result.
 * bcryptjs hashes the UTF-8 of a JavaScript string, so a password that is not valid UTF-8 cannot be
 * given to it byte for byte: esi fails those instead of hashing different bytes.
 */
export function bcrypt(password: string, random: RandomBytes): string {
  if (password.length > 72) return 'failed to encrypt string with bcrypt: bcrypt: password length exceeds 72 bytes';
  if (!isValidUTF8(password)) throw new CallError('esi hashes bcrypt passwords only when they are valid UTF-8');
  const salt = `$2a$10$${encodeBase64(Array.from(random()(16)), 16)}`;
  return hashSync(toText(password), salt);
}

/** sprig htpasswd(username, password, hashAlgorithm): `{SHA}` for "sha", bcrypt otherwise. */
export function htpasswd(username: string, password: string, algorithm: string, random: RandomBytes): string {
  if (username.includes(':')) return `invalid username: ${username}`;
  if (algorithm === 'sha') return `${username}:{SHA}${createHash('sha1').update(toBytes(password)).digest('base64')}`;
  return `${username}:${bcrypt(password, random)}`;
}

const MASTER_PASSWORD_SEED = 'com.lyndir.masterpassword';

/** Master Password templates and character classes (crypto.go passwordTypeTemplates, templateCharacters). */
const PASSWORD_TEMPLATES: Record<string, string[]> = {
  maximum: ['anoxxxxxxxxxxxxxxxxx', 'axxxxxxxxxxxxxxxxxno'],
  long: [
    'CvcvnoCvcvCvcv', 'CvcvCvcvnoCvcv', 'CvcvCvcvCvcvno', 'CvccnoCvcvCvcv', 'CvccCvcvnoCvcv', 'CvccCvcvCvcvno',
    'CvcvnoCvccCvcv', 'CvcvCvccnoCvcv', 'CvcvCvccCvcvno', 'CvcvnoCvcvCvcc', 'CvcvCvcvnoCvcc', 'CvcvCvcvCvccno',
    'CvccnoCvccCvcv', 'CvccCvccnoCvcv', 'CvccCvccCvcvno', 'CvcvnoCvccCvcc', 'CvcvCvccnoCvcc', 'CvcvCvccCvccno',
    'CvccnoCvcvCvcc', 'CvccCvcvnoCvcc', 'CvccCvcvCvccno',
  ],
  medium: ['CvcnoCvc', 'CvcCvcno'],
  short: ['Cvcn'],
  basic: ['aaanaaan', 'aannaaan', 'aaannaaa'],
  pin: ['nnnn'],
};
const TEMPLATE_CHARACTERS: Record<string, string> = {
  V: 'AEIOU',
  C: 'BCDFGHJKLMNPQRSTVWXYZ',
  v: 'aeiou',
  c: 'bcdfghjklmnpqrstvwxyz',
  A: 'AEIOUBCDFGHJKLMNPQRSTVWXYZ',
  a: 'AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz',
  n: '0123456789',
  o: "@&%?,=[]_:-+*$#!'^~;()/.",
  x: 'AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz0123456789!@#$%^&*()',
};

function be32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

/**
 * derivePassword(counter, type, password, user, site): the Master Password algorithm — scrypt
 * (N=32768, r=8, p=2, 64 bytes) over the user, HMAC-SHA256 over the site and counter, then the template.
 */
export function derivePassword(counter: number, passwordType: string, password: string, user: string, site: string): string {
  const templates = Object.hasOwn(PASSWORD_TEMPLATES, passwordType) ? PASSWORD_TEMPLATES[passwordType]! : undefined;
  if (!templates) return `cannot find password template ${passwordType}`;
  const seed = Buffer.from(MASTER_PASSWORD_SEED, 'latin1');
  const salt = Buffer.concat([seed, be32(user.length), toBytes(user)]);
  const key = scryptSync(toBytes(password), salt, 64, { N: 32768, r: 8, p: 2, maxmem: 64 * 1024 * 1024 });
  const message = Buffer.concat([seed, be32(site.length), toBytes(site), be32(counter)]);
  const mac = createHmac('sha256', key).update(message).digest();
  const template = templates[mac[0]! % templates.length]!;
  let out = '';
  for (let i = 0; i < template.length; i++) {
    const chars = TEMPLATE_CHARACTERS[template[i]!]!;
    out += chars[mac[i + 1]! % chars.length];
  }
  return out;
}

/** The AES-256 key sprig makes of a password: its bytes, cut or zero-padded to 32. */
function aesKey(password: string): Buffer {
  const key = Buffer.alloc(32);
  Buffer.from(toBytes(password)).copy(key, 0, 0, 32);
  return key;
}

/** encryptAES: AES-256-CBC, PKCS#7 padding, a random IV prepended, base64. */
export function encryptAES(password: string, plaintext: string, random: RandomBytes): string {
  if (plaintext === '') return '';
  const iv = Buffer.from(random()(16));
  const c = createCipheriv('aes-256-cbc', aesKey(password), iv);
  const ct = Buffer.concat([iv, c.update(toBytes(plaintext)), c.final()]);
  return b64encode(fromBytes(ct));
}

/**
 * decryptAES: the inverse, with sprig's lack of checks: Go panics on short or ragged input (text/template
 * reports the panic) and strips as many bytes as the last one says, without checking the padding.
 */
export function decryptAES(password: string, crypt64: string): string {
  if (crypt64 === '') return '';
  let crypt: Uint8Array;
  try {
    crypt = toBytes(b64decode(crypt64));
  } catch (e) {
    throw new CallError((e as Error).message);
  }
  if (crypt.length < 16) {
    // base64.DecodeString's buffer has room for DecodedLen(len(s)) bytes
    const capacity = Math.floor(crypt64.length / 4) * 3;
    throw new CallError(`runtime error: slice bounds out of range [:16] with capacity ${capacity}`);
  }
  const iv = crypt.subarray(0, 16);
  const body = crypt.subarray(16);
  if (body.length % 16 !== 0) throw new CallError('crypto/cipher: input not full blocks');
  if (body.length === 0) throw new CallError('runtime error: index out of range [-1]');
  const d = createDecipheriv('aes-256-cbc', aesKey(password), iv);
  d.setAutoPadding(false);
  const plain = Buffer.concat([d.update(body), d.final()]);
  const end = plain.length - plain[plain.length - 1]!;
  if (end < 0) throw new CallError(`runtime error: slice bounds out of range [:${end}]`);
  return fromBytes(plain.subarray(0, end));
}
