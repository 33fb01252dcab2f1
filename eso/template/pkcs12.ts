/**
 * PKCS#12 (RFC 7292) as ESO v2.9.0 uses it through software.sslmate.com/src/go-pkcs12 v0.7.0:
 * DecodeChain (password-protected, v3 PFX; PBES2/AES, 3DES and RC2 encryption; SHA-1/256/512 and
 * PBMAC1 MACs) and the Modern2023 encoder (PBES2 AES-256-CBC with PBKDF2-HMAC-SHA256 and 2048
 * iterations, SHA-256 MAC) for Encode and EncodeTrustStore. Its random bytes come from the caller,
 * read in go-pkcs12's order, so a fixed source gives Go's bytes (pkcs12.diff.test.ts).
 */
import { createCipheriv, createDecipheriv, createHash, createHmac, createPrivateKey, type KeyObject, pbkdf2Sync } from 'node:crypto';
import {
  children, ctx, integer, intValue, octets, oid, oidString, parseOne, seq, set, TAG, tlv, type Tlv,
} from './der.ts';
import { rc2DecryptCBC } from './rc2.ts';

export class Pkcs12Error extends Error {}

const OID = {
  data: '1.2.840.113549.1.7.1',
  encryptedData: '1.2.840.113549.1.7.6',
  keyBag: '1.2.840.113549.1.12.10.1.1',
  shroudedKeyBag: '1.2.840.113549.1.12.10.1.2',
  certBag: '1.2.840.113549.1.12.10.1.3',
  x509Certificate: '1.2.840.113549.1.9.22.1',
  localKeyId: '1.2.840.113549.1.9.21',
  friendlyName: '1.2.840.113549.1.9.20',
  javaTrustStore: '2.16.840.1.113894.746875.1.1',
  anyExtendedKeyUsage: '2.5.29.37.0',
  pbeSHA3DES: '1.2.840.113549.1.12.1.3',
  pbeSHA128RC2: '1.2.840.113549.1.12.1.5',
  pbeSHA40RC2: '1.2.840.113549.1.12.1.6',
  pbes2: '1.2.840.113549.1.5.13',
  pbkdf2: '1.2.840.113549.1.5.12',
  pbmac1: '1.2.840.113549.1.5.14',
  hmacSHA1: '1.2.840.113549.2.7',
  hmacSHA256: '1.2.840.113549.2.9',
  hmacSHA512: '1.2.840.113549.2.11',
  aes128: '2.16.840.1.101.3.4.1.2',
  aes192: '2.16.840.1.101.3.4.1.22',
  aes256: '2.16.840.1.101.3.4.1.42',
  sha1: '1.3.14.3.2.26',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha512: '2.16.840.1.101.3.4.2.3',
} as const;

const notImplemented = (what: string) => new Pkcs12Error(`pkcs12: ${what}`);
const ERR_DECRYPTION = 'pkcs12: decryption error, incorrect padding';
const ERR_PASSWORD = 'pkcs12: decryption password incorrect';

// ------------------------------------------------------------------------------- passwords and KDFs

/** bmpStringZeroTerminated: UCS-2 big-endian of the runes of a Go (byte) string, then 00 00. */
export function bmpPassword(password: string, zeroTerminated = true): Buffer {
  const out: number[] = [];
  for (const ch of Buffer.from(password, 'latin1').toString('utf8')) {
    const r = ch.codePointAt(0)!;
    if (r > 0xffff) throw new Pkcs12Error('pkcs12: string contains characters that cannot be encoded in UCS-2');
    out.push(r >> 8, r & 0xff);
  }
  if (zeroTerminated) out.push(0, 0);
  return Buffer.from(out);
}

/** decodeBMPString and back to UTF-8 bytes: what PBES2 and PBMAC1 use as the password. */
function utf8OfBmp(bmp: Buffer | null): Buffer {
  if (!bmp) return Buffer.alloc(0);
  let b = bmp;
  if (b.length >= 2 && b[b.length - 1] === 0 && b[b.length - 2] === 0) b = b.subarray(0, b.length - 2);
  const units: number[] = [];
  for (let i = 0; i + 1 < b.length; i += 2) units.push((b[i]! << 8) | b[i + 1]!);
  // lone surrogates become U+FFFD in both utf16.Decode and Buffer.from
  return Buffer.from(String.fromCharCode(...units), 'utf8');
}

function fillWithRepeats(pattern: Buffer, v: number): Buffer {
  if (pattern.length === 0) return Buffer.alloc(0);
  const outLen = v * Math.ceil(pattern.length / v);
  return Buffer.concat(Array(Math.ceil(outLen / pattern.length)).fill(pattern)).subarray(0, outLen);
}

/** RFC 7292 Appendix B.2: the PKCS#12 key derivation (ID 1 key, 2 IV, 3 MAC key). */
function pkcs12Kdf(hash: 'sha1' | 'sha256' | 'sha512', salt: Buffer, password: Buffer | null, iterations: number, id: number, size: number): Buffer {
  const u = hash === 'sha1' ? 20 : hash === 'sha256' ? 32 : 64;
  const v = hash === 'sha512' ? 128 : 64;
  const d = Buffer.alloc(v, id);
  const i = Buffer.concat([fillWithRepeats(salt, v), fillWithRepeats(password ?? Buffer.alloc(0), v)]);
  const c = Math.ceil(size / u);
  const a: Buffer[] = [];
  for (let n = 0; n < c; n++) {
    let ai = createHash(hash).update(d).update(i).digest();
    for (let j = 1; j < iterations; j++) ai = createHash(hash).update(ai).digest();
    a.push(ai);
    if (n < c - 1) {
      const b = fillWithRepeats(ai, v).subarray(0, v);
      const bb = BigInt('0x' + b.toString('hex'));
      const mod = 1n << BigInt(8 * v);
      for (let j = 0; j < i.length / v; j++) {
        const ij = BigInt('0x' + (i.subarray(j * v, (j + 1) * v).toString('hex') || '0'));
        const sum = (ij + bb + 1n) % mod;
        Buffer.from(sum.toString(16).padStart(2 * v, '0'), 'hex').copy(i, j * v);
      }
    }
  }
  return Buffer.concat(a).subarray(0, size);
}

// ---------------------------------------------------------------------------------------- decrypting

interface Algorithm {
  oid: string;
  /** the parameters TLV, if any */
  params: Tlv | null;
}

function algorithm(t: Tlv): Algorithm {
  const parts = children(t.body);
  return { oid: oidString(parts[0]!.body), params: parts[1] ?? null };
}

const prfDigest = (o: string | null): string => {
  if (o === null || o === OID.hmacSHA1) return 'sha1';
  if (o === OID.hmacSHA256) return 'sha256';
  if (o === OID.hmacSHA512) return 'sha512';
  return '';
};

/** pbDecrypt: CBC with the algorithm's key and IV, then a strict PKCS#7 padding check. */
function pbDecrypt(alg: Algorithm, data: Buffer, password: Buffer | null): Buffer {
  let block = 8;
  let decrypt: (d: Buffer) => Buffer;
  const legacy = (keyLen: number, make: (key: Buffer, iv: Buffer) => (d: Buffer) => Buffer) => {
    const [salt, iter] = children(alg.params!.body);
    const iterations = Number(intValue(iter!.body));
    const key = pkcs12Kdf('sha1', salt!.body, password, iterations, 1, keyLen);
    const iv = pkcs12Kdf('sha1', salt!.body, password, iterations, 2, 8);
    return make(key, iv);
  };
  switch (alg.oid) {
    case OID.pbeSHA3DES:
      decrypt = legacy(24, (key, iv) => (d) => cbc('des-ede3-cbc', key, iv, d));
      break;
    case OID.pbeSHA128RC2:
      decrypt = legacy(16, (key, iv) => (d) => Buffer.from(rc2DecryptCBC(key, iv, d)));
      break;
    case OID.pbeSHA40RC2:
      decrypt = legacy(5, (key, iv) => (d) => Buffer.from(rc2DecryptCBC(key, iv, d)));
      break;
    case OID.pbes2: {
      const [kdf, scheme] = children(alg.params!.body).map(algorithm);
      if (kdf!.oid !== OID.pbkdf2) throw notImplemented(`pbes2 kdf algorithm ${kdf!.oid} is not supported`);
      const kp = children(kdf!.params!.body);
      if (kp[0]!.tag !== TAG.OCTET_STRING) throw notImplemented('only octet string salts are supported for pbes2/pbkdf2');
      const prf = kp.find((p, i) => i >= 2 && p.tag === TAG.SEQUENCE);
      const prfOid = prf ? algorithm(prf).oid : null;
      const digest = prfDigest(prfOid);
      if (!digest) throw notImplemented(`pbes2 prf ${prfOid} is not supported`);
      const keyLen = { [OID.aes256]: 32, [OID.aes192]: 24, [OID.aes128]: 16 }[scheme!.oid];
      if (!keyLen) throw notImplemented(`pbes2 algorithm ${scheme!.oid} is not supported`);
      const key = pbkdf2Sync(utf8OfBmp(password), kp[0]!.body, Number(intValue(kp[1]!.body)), keyLen, digest);
      const iv = scheme!.params!.body;
      block = 16;
      decrypt = (d) => cbc(`aes-${keyLen * 8}-cbc`, key, iv, d);
      break;
    }
    default:
      throw notImplemented(`pbe algorithm ${alg.oid} is not supported`);
  }
  if (data.length === 0) throw new Pkcs12Error('pkcs12: empty encrypted data');
  if (data.length % block !== 0) throw new Pkcs12Error('pkcs12: input is not a multiple of the block size');
  const plain = decrypt(data);
  const ps = plain[plain.length - 1]!;
  if (ps === 0 || ps > block || plain.length < ps) throw new Pkcs12Error(ERR_DECRYPTION);
  for (let i = plain.length - ps; i < plain.length; i++) if (plain[i] !== ps) throw new Pkcs12Error(ERR_DECRYPTION);
  return plain.subarray(0, plain.length - ps);
}

function cbc(cipher: string, key: Buffer, iv: Buffer, data: Buffer): Buffer {
  const d = createDecipheriv(cipher, key, iv);
  d.setAutoPadding(false);
  return Buffer.concat([d.update(data), d.final()]);
}

/** doMac: HMAC over the authenticated safe with a PKCS#12-KDF key, or PBMAC1 (RFC 9579). */
function mac(macData: Tlv[], message: Buffer, password: Buffer | null): { digest: Buffer; expected: Buffer } {
  const [digestInfo, macSalt, iter] = macData;
  const [algTlv, digest] = children(digestInfo!.body);
  const alg = algorithm(algTlv!);
  if (alg.oid === OID.pbmac1) {
    const [kdf, macAlg] = children(alg.params!.body).map(algorithm);
    if (kdf!.oid !== OID.pbkdf2) throw notImplemented(`PBMAC1 KDF algorithm ${kdf!.oid} is not supported`);
    const kp = children(kdf!.params!.body);
    if (kp[0]!.tag !== TAG.OCTET_STRING) throw notImplemented('only octet string salts are supported for PBMAC1/PBKDF2');
    const keyLenTlv = kp.find((p, i) => i >= 2 && p.tag === TAG.INTEGER);
    const prf = kp.find((p, i) => i >= 2 && p.tag === TAG.SEQUENCE);
    const prfOid = prf ? algorithm(prf).oid : null;
    const digestName = prfDigest(prfOid);
    if (!digestName) throw notImplemented(`PBMAC1 PRF ${prfOid} is not supported`);
    const h = prfDigest(macAlg!.oid === OID.hmacSHA1 || macAlg!.oid === OID.hmacSHA256 || macAlg!.oid === OID.hmacSHA512 ? macAlg!.oid : 'x');
    if (!h) throw notImplemented(`PBMAC1 MAC algorithm ${macAlg!.oid} is not supported`);
    const keyLen = keyLenTlv ? Number(intValue(keyLenTlv.body)) : 0;
    if (keyLen <= 0) throw new Pkcs12Error('pkcs12: PBMAC1 requires explicit KeyLength parameter in PBKDF2 parameters');
    const key = pbkdf2Sync(utf8OfBmp(password), kp[0]!.body, Number(intValue(kp[1]!.body)), keyLen, digestName);
    return { digest: digest!.body, expected: createHmac(h, key).update(message).digest() };
  }
  const iterations = iter ? Number(intValue(iter.body)) : 1;
  const hash = alg.oid === OID.sha1 ? 'sha1' : alg.oid === OID.sha256 ? 'sha256' : alg.oid === OID.sha512 ? 'sha512' : null;
  if (!hash) throw notImplemented(`MAC digest algorithm not supported: ${alg.oid}`);
  const size = hash === 'sha1' ? 20 : hash === 'sha256' ? 32 : 64;
  const key = pkcs12Kdf(hash, macSalt!.body, password, iterations, 3, size);
  return { digest: digest!.body, expected: createHmac(hash, key).update(message).digest() };
}

export interface Pkcs12Contents {
  key: KeyObject;
  /** DER of the first certificate bag */
  cert: Buffer;
  /** DER of the other certificate bags, in order */
  caCerts: Buffer[];
}

function readError(e: unknown): Pkcs12Error {
  return e instanceof Pkcs12Error ? e : new Pkcs12Error(`pkcs12: error reading P12 data: asn1: ${(e as Error).message}`);
}

/** go-pkcs12 DecodeChain: the private key, the first certificate and the rest. */
export function decodeChain(pfx: Buffer, password: string): Pkcs12Contents {
  let pw: Buffer | null = bmpPassword(password);
  let authSafeBytes: Buffer;
  let macData: Tlv[] | null;
  try {
    const top = children(parseOne(pfx, TAG.SEQUENCE).body);
    if (intValue(top[0]!.body) !== 3n) throw notImplemented("can only decode v3 PFX PDU's");
    const ci = children(top[1]!.body);
    if (oidString(ci[0]!.body) !== OID.data) throw notImplemented('only password-protected PFX is implemented');
    authSafeBytes = parseOne(ci[1]!.body, TAG.OCTET_STRING).body;
    macData = top[2] ? children(top[2].body) : null;
  } catch (e) {
    throw readError(e);
  }
  const isEmptyPw = pw.length === 2 && pw[0] === 0 && pw[1] === 0;
  if (!macData) {
    if (!isEmptyPw) throw new Pkcs12Error('pkcs12: no MAC in data');
  } else {
    let m = mac(macData, authSafeBytes, pw);
    if (!m.digest.equals(m.expected) && isEmptyPw) {
      pw = null;
      m = mac(macData, authSafeBytes, pw);
    }
    if (!m.digest.equals(m.expected)) throw new Pkcs12Error(ERR_PASSWORD);
  }
  const safes = children(parseOne(authSafeBytes, TAG.SEQUENCE).body);
  if (safes.length < 1 || safes.length > 2) {
    throw notImplemented(`expected between 1 and 2 items in the authenticated safe, but this file has ${safes.length}`);
  }
  const bags: Tlv[][] = [];
  for (const safe of safes) {
    const [type, content] = children(safe.body);
    const inner = parseOne(content!.body);
    let data: Buffer;
    switch (oidString(type!.body)) {
      case OID.data:
        data = parseOne(inner.full, TAG.OCTET_STRING).body;
        break;
      case OID.encryptedData: {
        const [version, eci] = children(inner.body);
        if (intValue(version!.body) !== 0n) throw notImplemented('only version 0 of EncryptedData is supported');
        const parts = children(eci!.body);
        const encrypted = parts.find((p) => p.tag === 0x80)?.body ?? Buffer.alloc(0);
        data = pbDecrypt(algorithm(parts[1]!), encrypted, pw);
        break;
      }
      default:
        throw notImplemented('only data and encryptedData content types are supported in authenticated safe');
    }
    for (const bag of children(parseOne(data, TAG.SEQUENCE).body)) bags.push(children(bag.body));
  }
  let key: KeyObject | null = null;
  let cert: Buffer | null = null;
  const caCerts: Buffer[] = [];
  for (const [id, value] of bags) {
    const v = parseOne(value!.body);
    switch (oidString(id!.body)) {
      case OID.certBag: {
        const [certType, certData] = children(v.body);
        if (oidString(certType!.body) !== OID.x509Certificate) throw notImplemented('only X509 certificates are supported in cert bags');
        const der = Buffer.from(parseOne(certData!.body, TAG.OCTET_STRING).body);
        if (cert === null) cert = der;
        else caCerts.push(der);
        break;
      }
      case OID.keyBag:
        if (key) throw new Pkcs12Error('pkcs12: expected exactly one key bag');
        key = pkcs8(v.full, '');
        break;
      case OID.shroudedKeyBag: {
        if (key) throw new Pkcs12Error('pkcs12: expected exactly one key bag');
        const [alg, enc] = children(v.body);
        let plain: Buffer;
        try {
          plain = pbDecrypt(algorithm(alg!), enc!.body, pw);
        } catch (e) {
          throw new Pkcs12Error(`pkcs12: error decrypting PKCS#8 shrouded key bag: ${(e as Error).message}`);
        }
        key = pkcs8(plain, 'pkcs12: error parsing PKCS#8 private key: ');
        break;
      }
    }
  }
  if (cert === null) throw new Pkcs12Error('pkcs12: certificate missing');
  if (key === null) throw new Pkcs12Error('pkcs12: private key missing');
  return { key, cert, caCerts };
}

function pkcs8(der: Buffer, prefix: string): KeyObject {
  try {
    return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  } catch {
    throw new Pkcs12Error(`${prefix}x509: failed to parse private key`);
  }
}

// ---------------------------------------------------------------------------------------- encoding

/** A random source read like go-pkcs12 reads its io.Reader: one call per salt or IV. */
export type Random = (n: number) => Uint8Array;

const ITERATIONS = 2048;
const SALT_LEN = 16;

const algId = (o: string, params?: Buffer) => seq(oid(o), ...(params ? [params] : []));

/** makePBES2Parameters: PBKDF2-HMAC-SHA256 over `salt`, AES-256-CBC with a fresh IV. */
function pbes2(random: Random, salt: Uint8Array): { params: Buffer; iv: Buffer } {
  const iv = Buffer.from(random(16));
  const params = seq(algId(OID.pbkdf2, seq(octets(salt), integer(ITERATIONS), algId(OID.hmacSHA256))), algId(OID.aes256, octets(iv)));
  return { params, iv };
}

function pbes2Encrypt(random: Random, data: Buffer, bmp: Buffer): { alg: Buffer; encrypted: Buffer } {
  const salt = Buffer.from(random(SALT_LEN));
  const { params, iv } = pbes2(random, salt);
  const key = pbkdf2Sync(utf8OfBmp(bmp), salt, ITERATIONS, 32, 'sha256');
  const c = createCipheriv('aes-256-cbc', key, iv);
  return { alg: algId(OID.pbes2, params), encrypted: Buffer.concat([c.update(data), c.final()]) };
}

const attribute = (o: string, ...values: Buffer[]) => seq(oid(o), set(...values));

function certBag(der: Buffer, attributes: Buffer[] | null): Buffer {
  const value = seq(oid(OID.x509Certificate), ctx(0, octets(der)));
  return seq(oid(OID.certBag), ctx(0, value), ...(attributes === null ? [] : [set(...attributes)]));
}

/** makeSafeContents with PBES2: EncryptedData of the bags. */
function encryptedSafe(random: Random, bags: Buffer[], bmp: Buffer): Buffer {
  const { alg, encrypted } = pbes2Encrypt(random, seq(...bags), bmp);
  const eci = seq(oid(OID.data), alg, tlv(0x80, encrypted));
  return seq(oid(OID.encryptedData), ctx(0, seq(integer(0), eci)));
}

function pfx(random: Random, safes: Buffer[], bmp: Buffer): Buffer {
  const authSafe = seq(...safes);
  const macSalt = Buffer.from(random(SALT_LEN));
  const key = pkcs12Kdf('sha256', macSalt, bmp, ITERATIONS, 3, 32);
  const digest = createHmac('sha256', key).update(authSafe).digest();
  const macData = seq(seq(algId(OID.sha256), octets(digest)), octets(macSalt), integer(ITERATIONS));
  return seq(integer(3), seq(oid(OID.data), ctx(0, octets(authSafe))), macData);
}

/** Modern2023.Encode(key, cert, caCerts, password). `keyPkcs8` is x509.MarshalPKCS8PrivateKey of the key. */
export function encodePkcs12(keyPkcs8: Buffer, cert: Buffer, caCerts: Buffer[], password: string, random: Random): Buffer {
  const bmp = bmpPassword(password);
  const localKeyId = attribute(OID.localKeyId, octets(createHash('sha1').update(cert).digest()));
  const certBags = [certBag(cert, [localKeyId]), ...caCerts.map((c) => certBag(c, []))];
  const { alg, encrypted } = pbes2Encrypt(random, keyPkcs8, bmp);
  const keyBag = seq(oid(OID.shroudedKeyBag), ctx(0, seq(alg, octets(encrypted))), set(localKeyId));
  const certSafe = encryptedSafe(random, certBags, bmp);
  const keySafe = seq(oid(OID.data), ctx(0, octets(seq(keyBag))));
  return pfx(random, [certSafe, keySafe], bmp);
}

/** Modern2023.EncodeTrustStore(certs, password): certificates marked trusted for any purpose (Java). */
export function encodeTrustStore(certs: { der: Buffer; friendlyName: string }[], password: string, random: Random): Buffer {
  const bmp = bmpPassword(password);
  const trusted = attribute(OID.javaTrustStore, oid(OID.anyExtendedKeyUsage));
  const bags = certs.map((c) => certBag(c.der, [trusted, attribute(OID.friendlyName, tlv(TAG.BMP, bmpPassword(c.friendlyName, false)))]));
  return pfx(random, [encryptedSafe(random, bags, bmp)], bmp);
}
