/**
 * sprig's key and certificate functions as ESO v2.9.0 vendors them (runtime/template/v2/sprig/crypto.go):
 * genPrivateKey, buildCustomCert, genCA, genSelfSignedCert, genSignedCert and their *WithKey forms.
 * Keys come from node:crypto's generator; certificates are encoded here the way crypto/x509
 * CreateCertificate lays them out (extension order, key identifiers, string and time types) and signed
 * by node:crypto, so that Go's parser reads every field the same (sprig-certs.diff.test.ts compares the
 * DER with Go's for the same inputs).
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { isIPv4 } from 'node:net';
import { toText } from '../../core/go/utf8.ts';
import { bitString, bool, children, ctx, integer, nullValue, octets, oid, parseOne, seq, set, TAG, tlv } from './der.ts';
import { b64decode } from './encoding.ts';
import { CallError } from './exec.ts';
import { pemDecode, pemEncode } from './pem.ts';
import { sprint } from './fmt.ts';
import { quote } from '../../core/go/strconv.ts';
import { GoObject, GoSlice, type GoValue } from './value.ts';
import { CertificateParseError, parseCertificate } from './x509.ts';

const pem = (type: string, der: Buffer) => pemEncode({ type, headers: [], bytes: der });

// ---------------------------------------------------------------------------------------------- keys

/** A private key as sprig holds it; DSA keys stay raw (crypto/dsa keys cannot sign certificates). */
export type PrivateKey = { kind: 'dsa'; der: Buffer } | { kind: 'node'; key: KeyObject };

const DSA_OID = '1.2.840.10040.4.1';

/** pemBlockForKey: RSA as PKCS#1, EC as SEC 1, DSA in OpenSSL's layout, anything else as PKCS#8. */
export function pemForKey(k: PrivateKey): string {
  if (k.kind === 'dsa') return pem('DSA PRIVATE KEY', k.der);
  const type = k.key.asymmetricKeyType;
  if (type === 'rsa') return pem('RSA PRIVATE KEY', k.key.export({ type: 'pkcs1', format: 'der' }));
  if (type === 'ec') return pem('EC PRIVATE KEY', k.key.export({ type: 'sec1', format: 'der' }));
  return pem('PRIVATE KEY', k.key.export({ type: 'pkcs8', format: 'der' }));
}

/** OpenSSL's "DSA PRIVATE KEY" (sprig DSAKeyFormat): SEQUENCE { 0, p, q, g, y, x }, from Node's PKCS#8 and SPKI. */
function dsaKeyFormat(priv: KeyObject, pub: KeyObject): Buffer {
  const pk = children(parseOne(priv.export({ type: 'pkcs8', format: 'der' }), TAG.SEQUENCE).body);
  const [, params] = children(pk[1]!.body);
  const [p, q, g] = children(params!.body);
  const x = parseOne(pk[2]!.body, TAG.INTEGER);
  const spki = children(parseOne(pub.export({ type: 'spki', format: 'der' }), TAG.SEQUENCE).body);
  const y = parseOne(spki[1]!.body.subarray(1), TAG.INTEGER);
  return seq(integer(0), p!.full, q!.full, g!.full, y.full, x.full);
}

/** genPrivateKey(type): "" or rsa (4096 bits), dsa (L2048N256), ecdsa (P-256), ed25519. */
export function genPrivateKey(typ: string, allowRandom: () => unknown): string {
  if (['', 'rsa', 'dsa', 'ecdsa', 'ed25519'].includes(typ)) allowRandom();
  switch (typ) {
    case '':
    case 'rsa':
      return pemForKey({ kind: 'node', key: generateKeyPairSync('rsa', { modulusLength: 4096 }).privateKey });
    case 'dsa': {
      const { privateKey, publicKey } = generateKeyPairSync('dsa', { modulusLength: 2048, divisorLength: 256 });
      return pemForKey({ kind: 'dsa', der: dsaKeyFormat(privateKey, publicKey) });
    }
    case 'ecdsa':
      return pemForKey({ kind: 'node', key: generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey });
    case 'ed25519':
      return pemForKey({ kind: 'node', key: generateKeyPairSync('ed25519').privateKey });
  }
  return `Unknown type ${typ}`;
}

class KeyError extends Error {}

/** parsePrivateKeyPEM: the key of the first PEM block, by block type. */
export function parsePrivateKeyPEM(pemText: string): PrivateKey {
  const { block } = pemDecode(pemText);
  if (!block) throw new KeyError('no PEM data in input');
  const load = (type: 'pkcs8' | 'pkcs1' | 'sec1', prefix: string): PrivateKey => {
    try {
      return { kind: 'node', key: createPrivateKey({ key: block.bytes, format: 'der', type }) };
    } catch {
      throw new KeyError(`${prefix}x509: malformed private key`);
    }
  };
  if (block.type === 'PRIVATE KEY') return load('pkcs8', 'decoding PEM as PKCS#8: ');
  if (!block.type.endsWith(' PRIVATE KEY')) throw new KeyError(`no private key data in PEM block of type ${block.type}`);
  switch (block.type.slice(0, -12)) {
    case 'RSA':
      return load('pkcs1', 'parsing RSA private key from PEM: ');
    case 'EC':
      return load('sec1', 'parsing EC private key from PEM: ');
    case 'DSA':
      try {
        const ints = children(parseOne(block.bytes, TAG.SEQUENCE).body);
        if (ints.length < 6 || ints.some((i) => i.tag !== TAG.INTEGER)) throw new Error('bad DSA key');
      } catch {
        throw new KeyError('parsing DSA private key from PEM: asn1: structure error');
      }
      return { kind: 'dsa', der: block.bytes };
  }
  throw new KeyError(`invalid private key type ${block.type}`);
}

// ------------------------------------------------------------------------------------- certificates

export interface CertSpec {
  cn: string;
  /** IP addresses as 4 or 16 bytes */
  ips: Buffer[];
  dns: string[];
  notBefore: Date;
  notAfter: Date;
  serial: bigint;
  isCA: boolean;
  /** the certificate's own key */
  key: PrivateKey;
  /** the signer: its certificate DER (absent: self-signed) and key */
  parent?: { der: Buffer; key: PrivateKey };
}

/** The error crypto/x509 CreateCertificate returns, which sprig wraps as `error creating certificate: …`. */
export class CreateCertificateError extends Error {}

const SIG: Record<string, { oid: string; params: boolean; hash: string | null }> = {
  rsa: { oid: '1.2.840.113549.1.1.11', params: true, hash: 'sha256' },
  'ec:prime256v1': { oid: '1.2.840.10045.4.3.2', params: false, hash: 'sha256' },
  'ec:secp224r1': { oid: '1.2.840.10045.4.3.2', params: false, hash: 'sha256' },
  'ec:secp384r1': { oid: '1.2.840.10045.4.3.3', params: false, hash: 'sha384' },
  'ec:secp521r1': { oid: '1.2.840.10045.4.3.4', params: false, hash: 'sha512' },
  ed25519: { oid: '1.3.101.112', params: false, hash: null },
};

function sigFor(k: KeyObject) {
  const t = k.asymmetricKeyType === 'ec' ? `ec:${k.asymmetricKeyDetails?.namedCurve}` : k.asymmetricKeyType!;
  return SIG[t];
}

/** pkix.Name{CommonName: cn}: one CN attribute (none when empty), PrintableString when it fits. */
function subjectName(cn: string): Buffer {
  if (cn === '') return seq();
  const printable = /^[A-Za-z0-9'()+,\-./:=? ]*$/.test(cn);
  if (!printable && Buffer.from(toText(cn), 'utf8').toString('latin1') !== cn) throw new CreateCertificateError('asn1: string not valid UTF-8');
  return seq(set(seq(oid('2.5.4.3'), tlv(printable ? TAG.PRINTABLE : TAG.UTF8, Buffer.from(cn, 'latin1')))));
}

/** asn1 time: UTCTime for 1950–2049, GeneralizedTime otherwise, whole seconds, UTC. */
function asn1Time(d: Date): Buffer {
  const y = d.getUTCFullYear();
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const rest = `${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`;
  if (y >= 1950 && y < 2050) return tlv(TAG.UTC_TIME, Buffer.from(p(y % 100) + rest, 'latin1'));
  if (y < 0 || y > 9999) throw new CreateCertificateError('asn1: cannot represent time as GeneralizedTime');
  return tlv(TAG.GENERALIZED_TIME, Buffer.from(p(y, 4) + rest, 'latin1'));
}

/** marshalKeyUsage: the bits reversed into a BIT STRING without trailing zero bits. */
function keyUsage(ku: number): Buffer {
  const rev = (b: number) => { let r = 0; for (let i = 0; i < 8; i++) r |= ((b >> i) & 1) << (7 - i); return r; };
  const bytes = [rev(ku & 0xff), rev(ku >> 8)];
  const used = bytes[1] !== 0 ? bytes : [bytes[0]!];
  const last = used[used.length - 1]!;
  let unused = 0;
  while (unused < 8 && !(last & (1 << unused))) unused++;
  return bitString(Buffer.from(used), unused % 8);
}

const ext = (id: string, critical: boolean, value: Buffer) => seq(oid(id), ...(critical ? [bool(true)] : []), octets(value));

/** x509.CreateCertificate for sprig's templates (getBaseCertTemplate, + CertSign and IsCA for a CA). */
export function createCertificate(s: CertSpec): Buffer {
  const signer = s.parent?.key ?? s.key;
  if (signer.kind === 'dsa') throw new CreateCertificateError('x509: certificate private key does not implement crypto.Signer');
  const sig = sigFor(signer.key);
  if (!sig) throw new CreateCertificateError('x509: only RSA, ECDSA and Ed25519 keys supported');
  if (s.key.kind === 'dsa') throw new CreateCertificateError('x509: unsupported public key type: *dsa.PublicKey');
  const spki = createPublicKey(s.key.key).export({ type: 'spki', format: 'der' });
  const publicKeyBits = children(parseOne(spki, TAG.SEQUENCE).body)[1]!.body.subarray(1);
  const subject = subjectName(s.cn);
  const parent = s.parent ? parseCertificate(s.parent.der) : null;
  const issuer = parent ? parent.rawSubject : subject;
  const akid = parent && !issuer.equals(subject) && parent.subjectKeyId && parent.subjectKeyId.length > 0 ? parent.subjectKeyId : null;
  if (parent && !createPublicKey(signer.key).equals(parent.publicKey)) {
    throw new CreateCertificateError("x509: provided PrivateKey doesn't match parent's PublicKey");
  }
  for (const name of s.dns) {
    if (/[^\x00-\x7f]/.test(name)) throw new CreateCertificateError(`x509: ${quote(name)} cannot be encoded as an IA5String`);
  }
  const ku = 1 | 4 | (s.isCA ? 32 : 0); // DigitalSignature | KeyEncipherment (| CertSign)
  const extensions = [
    ext('2.5.29.15', true, keyUsage(ku)),
    ext('2.5.29.37', false, seq(oid('1.3.6.1.5.5.7.3.1'), oid('1.3.6.1.5.5.7.3.2'))),
    ext('2.5.29.19', true, s.isCA ? seq(bool(true)) : seq()),
  ];
  if (s.isCA) extensions.push(ext('2.5.29.14', false, octets(createHash('sha256').update(publicKeyBits).digest().subarray(0, 20))));
  if (akid) extensions.push(ext('2.5.29.35', false, seq(tlv(0x80, akid))));
  if (s.dns.length > 0 || s.ips.length > 0) {
    const names = [...s.dns.map((d) => tlv(0x82, Buffer.from(d, 'latin1'))), ...s.ips.map((ip) => tlv(0x87, ip))];
    extensions.push(ext('2.5.29.17', subject.equals(seq()), seq(...names)));
  }
  const algId = seq(oid(sig.oid), ...(sig.params ? [nullValue()] : []));
  const tbs = seq(
    ctx(0, integer(2)),
    integer(s.serial),
    algId,
    issuer,
    seq(asn1Time(s.notBefore), asn1Time(s.notAfter)),
    subject,
    spki,
    ctx(3, seq(...extensions)),
  );
  const signature = sign(sig.hash, tbs, signer.key);
  return seq(tbs, algId, bitString(signature));
}

// ------------------------------------------------------------------------------ the template values

/** sprig's `certificate` struct: exported fields Cert and Key, printed as {Cert Key}. */
export function certificateValue(cert: string, key: string): GoObject {
  return new GoObject('sprig.certificate', 'struct', new Map<string, GoValue>([['Cert', cert], ['Key', key]]), new Map());
}

function field(c: GoValue, name: 'Cert' | 'Key'): string {
  return (c as GoObject).fields.get(name) as string;
}

/** getNetIPs: strings that net.ParseIP accepts, as 4 bytes for IPv4 (and v4-mapped) or 16. */
export function netIPs(v: GoValue): Buffer[] {
  const items = v instanceof GoSlice ? v.items : [];
  return items.map((ip) => {
    if (typeof ip !== 'string') throw new CallError(`error parsing ip: ${sprint([ip])} is not a string`);
    const b = parseIP(ip);
    if (!b) throw new CallError(`error parsing ip: ${ip}`);
    return b;
  });
}

function parseIP(s: string): Buffer | null {
  if (isIPv4(s)) {
    const parts = s.split('.');
    if (parts.some((p) => p.length > 1 && p[0] === '0')) return null;
    return Buffer.from(parts.map(Number));
  }
  if (!/^[0-9A-Fa-f:.]+$/.test(s)) return null;
  let head = s;
  let v4: number[] = [];
  const lastColon = s.lastIndexOf(':');
  if (s.slice(lastColon + 1).includes('.')) {
    const tail = s.slice(lastColon + 1);
    if (!isIPv4(tail) || tail.split('.').some((p) => p.length > 1 && p[0] === '0')) return null;
    v4 = tail.split('.').map(Number);
    head = s.slice(0, lastColon + 1) + '0:0';
  }
  const halves = head.split('::');
  if (halves.length > 2) return null;
  const groups = (h: string) => (h === '' ? [] : h.split(':'));
  const a = groups(halves[0]!);
  const b = halves.length === 2 ? groups(halves[1]!) : [];
  if ([...a, ...b].some((g) => !/^[0-9A-Fa-f]{1,4}$/.test(g))) return null;
  const missing = 8 - a.length - b.length;
  if ((halves.length === 1 && missing !== 0) || (halves.length === 2 && missing < 1)) return null;
  const all = [...a, ...Array(halves.length === 2 ? missing : 0).fill('0'), ...b].map((g) => parseInt(g, 16));
  const out = Buffer.alloc(16);
  all.forEach((g, i) => out.writeUInt16BE(g, 2 * i));
  if (v4.length) Buffer.from(v4).copy(out, 12);
  const mapped = out.subarray(0, 10).every((x) => x === 0) && out[10] === 0xff && out[11] === 0xff;
  return mapped ? Buffer.from(out.subarray(12)) : out;
}

export function dnsNames(v: GoValue): string[] {
  const items = v instanceof GoSlice ? v.items : [];
  return items.map((d) => {
    if (typeof d !== 'string') throw new CallError(`error processing alternate dns name: ${sprint([d])} is not a string`);
    return d;
  });
}

export interface CertEnv {
  now: () => Date;
  random: () => (n: number) => Uint8Array;
}

function serialNumber(env: CertEnv): bigint {
  return BigInt('0x' + Buffer.from(env.random()(16)).toString('hex'));
}

function daysLater(now: Date, days: bigint): Date {
  // time.Hour * 24 * time.Duration(days) wraps around int64 nanoseconds as Go's arithmetic does
  const ns = BigInt.asIntN(64, 86_400_000_000_000n * days);
  return new Date(now.getTime() + Number(ns / 1_000_000n));
}

function rsa2048(): PrivateKey {
  return { kind: 'node', key: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey };
}

function certAndKey(spec: Omit<CertSpec, 'serial' | 'notBefore' | 'notAfter'>, days: bigint, env: CertEnv): GoObject {
  const now = env.now();
  const serial = serialNumber(env);
  let der: Buffer;
  try {
    der = createCertificate({ ...spec, serial, notBefore: now, notAfter: daysLater(now, days) });
  } catch (e) {
    if (e instanceof CreateCertificateError) throw new CallError(`error creating certificate: ${e.message}`);
    throw e;
  }
  return certificateValue(pem('CERTIFICATE', der), pemForKey(spec.key));
}

/** A PEM private key, its parse error in sprig's words: `<prefix>: <x509 error>`. */
function withKey(privPEM: string, prefix = 'parsing private key'): PrivateKey {
  try {
    return parsePrivateKeyPEM(privPEM);
  } catch (e) {
    if (e instanceof KeyError) throw new CallError(`${prefix}: ${e.message}`);
    throw e;
  }
}

/**
 * The DER of a PEM certificate, checked as sprig checks it (pem.Decode, then x509.ParseCertificate);
 * `goVar` is the Go expression sprig's error names (crypto.go: decodedSignerCert.Bytes, decodedCert.Bytes).
 */
function certificateDer(certPEM: string, goVar: string): Buffer {
  const { block } = pemDecode(certPEM);
  if (!block) throw new CallError('unable to decode certificate');
  try {
    parseCertificate(block.bytes);
  } catch (e) {
    if (e instanceof CertificateParseError) throw new CallError(`error parsing certificate: ${goVar}: ${e.message}`);
    throw e;
  }
  return block.bytes;
}

/** genCA / genCAWithKey */
export function genCA(cn: string, days: bigint, privPEM: string | null, env: CertEnv): GoObject {
  const key = privPEM === null ? rsa2048() : withKey(privPEM);
  return certAndKey({ cn, ips: [], dns: [], isCA: true, key }, days, env);
}

/** genSelfSignedCert / genSelfSignedCertWithKey */
export function genSelfSignedCert(cn: string, ips: GoValue, dns: GoValue, days: bigint, privPEM: string | null, env: CertEnv): GoObject {
  const key = privPEM === null ? null : withKey(privPEM);
  const spec = { cn, ips: netIPs(ips), dns: dnsNames(dns), isCA: false };
  return certAndKey({ ...spec, key: key ?? rsa2048() }, days, env);
}

/** genSignedCert / genSignedCertWithKey: signed by `ca` (a certificate value). */
export function genSignedCert(cn: string, ips: GoValue, dns: GoValue, days: bigint, ca: GoValue, privPEM: string | null, env: CertEnv): GoObject {
  const key = privPEM === null ? null : withKey(privPEM);
  const signerDer = certificateDer(field(ca, 'Cert'), 'decodedSignerCert.Bytes');
  const signerKey = withKey(field(ca, 'Key'), 'error parsing private key');
  const spec = { cn, ips: netIPs(ips), dns: dnsNames(dns), isCA: false, parent: { der: signerDer, key: signerKey } };
  return certAndKey({ ...spec, key: key ?? rsa2048() }, days, env);
}

/** buildCustomCert(b64cert, b64key): checks both and returns them as a certificate value. */
export function buildCustomCert(b64cert: string, b64key: string): GoObject {
  let cert: string;
  let key: string;
  try {
    cert = b64decode(b64cert);
  } catch {
    throw new CallError('unable to decode base64 certificate');
  }
  try {
    key = b64decode(b64key);
  } catch {
    throw new CallError('unable to decode base64 private key');
  }
  certificateDer(cert, 'decodedCert.Bytes');
  withKey(key, 'error parsing private key');
  return certificateValue(cert, key);
}
