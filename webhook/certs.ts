/**
 * Self-managed TLS: a CA and a serving certificate (EC P-256, X.509 v3) built with node:crypto alone,
 * so the distroless image needs no openssl. Minimal DER: the fields kube-apiserver's Go verifier
 * checks (basicConstraints, keyUsage, extKeyUsage serverAuth, subjectAltName).
 */
import { createPublicKey, generateKeyPairSync, randomBytes, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';

const der = (tag: number, body: Buffer): Buffer => {
  const n = body.length;
  const len = n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : n < 0x10000 ? Buffer.from([0x82, n >> 8, n & 0xff]) : Buffer.from([0x83, n >> 16, (n >> 8) & 0xff, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), len, body]);
};
const seq = (...items: Buffer[]) => der(0x30, Buffer.concat(items));
const set = (...items: Buffer[]) => der(0x31, Buffer.concat(items));
/**
 * DER INTEGER of a non-negative big-endian magnitude, minimally encoded (ITU-T X.690 §8.3.2: no leading
 * 0x00 unless the next byte's high bit is set). Go's x509 parser refuses anything else ("x509: malformed
 * serial number"), so kube-apiserver could not call a webhook whose CA had a random serial starting 0x00.
 */
export const derInteger = (b: Buffer): Buffer => {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  const m = b.subarray(i);
  return der(0x02, m[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), m]) : m);
};
const int = derInteger;
const bitString = (b: Buffer, unused = 0) => der(0x03, Buffer.concat([Buffer.from([unused]), b]));
const octets = (b: Buffer) => der(0x04, b);
const bool = (v: boolean) => der(0x01, Buffer.from([v ? 0xff : 0]));
const utf8 = (s: string) => der(0x0c, Buffer.from(s, 'utf8'));
const oid = (dotted: string): Buffer => {
  const parts = dotted.split('.').map(Number);
  const bytes: number[] = [parts[0]! * 40 + parts[1]!];
  for (const p of parts.slice(2)) {
    const stack: number[] = [];
    let v = p;
    do {
      stack.unshift(v & 0x7f);
      v >>>= 7;
    } while (v > 0);
    for (let i = 0; i < stack.length - 1; i++) stack[i]! |= 0x80;
    bytes.push(...stack);
  }
  return der(0x06, Buffer.from(bytes));
};
const time = (d: Date): Buffer => {
  const iso = d.toISOString().replace(/[-:T]/g, '').slice(0, 14); // YYYYMMDDHHMMSS
  return d.getUTCFullYear() < 2050 ? der(0x17, Buffer.from(iso.slice(2) + 'Z')) : der(0x18, Buffer.from(iso + 'Z'));
};
const name = (cn: string) => seq(set(seq(oid('2.5.4.3'), utf8(cn))));
const ext = (id: string, critical: boolean, value: Buffer) => seq(oid(id), ...(critical ? [bool(true)] : []), octets(value));
const ECDSA_SHA256 = seq(oid('1.2.840.10045.4.3.2'));

function pem(label: string, body: Buffer): string {
  return `-----BEGIN ${label}-----\n${body.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n?$/, '\n')}-----END ${label}-----\n`;
}

interface CertSpec {
  /** 16 random bytes (a test can fix them). */
  serial: Buffer;
  subject: string;
  issuer: string;
  publicKey: KeyObject;
  signingKey: KeyObject;
  notBefore: Date;
  notAfter: Date;
  ca: boolean;
  sans?: string[];
}

function certificate(s: CertSpec): string {
  // RFC 5280 §4.1.2.2: a positive integer of at most 20 octets.
  const serial = Buffer.from(s.serial);
  serial[0]! &= 0x7f;
  const extensions = [
    ext('2.5.29.19', true, s.ca ? seq(bool(true)) : seq()),
    // keyUsage: CA digitalSignature|keyCertSign|cRLSign (0x86, 1 unused bit); leaf digitalSignature (0x80, 7)
    ext('2.5.29.15', true, s.ca ? bitString(Buffer.from([0x86]), 1) : bitString(Buffer.from([0x80]), 7)),
  ];
  if (!s.ca) {
    extensions.push(ext('2.5.29.37', false, seq(oid('1.3.6.1.5.5.7.3.1'))));
    const names = (s.sans ?? []).map((n) => {
      if (isIP(n) === 4) return der(0x87, Buffer.from(n.split('.').map(Number)));
      return der(0x82, Buffer.from(n, 'ascii'));
    });
    if (names.length > 0) extensions.push(ext('2.5.29.17', false, seq(...names)));
  }
  const tbs = seq(
    der(0xa0, int(Buffer.from([2]))),
    int(serial),
    ECDSA_SHA256,
    name(s.issuer),
    seq(time(s.notBefore), time(s.notAfter)),
    name(s.subject),
    s.publicKey.export({ type: 'spki', format: 'der' }),
    der(0xa3, seq(...extensions)),
  );
  const signature = sign('sha256', tbs, s.signingKey);
  return pem('CERTIFICATE', seq(tbs, ECDSA_SHA256, bitString(signature)));
}

export interface IssuedTls {
  caCert: string;
  caKey: string;
  cert: string;
  key: string;
  notAfter: Date;
}

/** A fresh CA and a serving certificate for `sans` (DNS names or IPv4 addresses). */
export function issueSelfSigned(o: { commonName: string; sans: string[]; now: Date; validityDays: number; randomSerial?: () => Buffer }): IssuedTls {
  const serial = o.randomSerial ?? (() => randomBytes(16));
  const ca = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const leaf = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const notBefore = new Date(o.now.getTime() - 5 * 60_000);
  const caNotAfter = new Date(o.now.getTime() + 2 * o.validityDays * 86_400_000);
  const notAfter = new Date(o.now.getTime() + o.validityDays * 86_400_000);
  const caName = `${o.commonName} CA`;
  const caCert = certificate({ serial: serial(), subject: caName, issuer: caName, publicKey: ca.publicKey, signingKey: ca.privateKey, notBefore, notAfter: caNotAfter, ca: true });
  const cert = certificate({ serial: serial(), subject: o.commonName, issuer: caName, publicKey: leaf.publicKey, signingKey: ca.privateKey, notBefore, notAfter, ca: false, sans: o.sans });
  return {
    caCert,
    caKey: ca.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    cert,
    key: leaf.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    notAfter,
  };
}

/** When to renew: at two thirds of the certificate's lifetime. */
export function renewalTime(certPem: string): Date {
  const c = new X509Certificate(certPem);
  const from = new Date(c.validFrom).getTime();
  const to = new Date(c.validTo).getTime();
  return new Date(from + ((to - from) * 2) / 3);
}

export function verifiesAgainst(certPem: string, caPem: string): boolean {
  const c = new X509Certificate(certPem);
  return c.verify(createPublicKey(new X509Certificate(caPem).publicKey.export({ type: 'spki', format: 'pem' })));
}
