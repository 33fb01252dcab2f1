/**
 * Reading X.509 certificates the way the template functions need them (crypto/x509 Certificate fields:
 * Raw, RawSubject, SubjectKeyId, AuthorityKeyId, PublicKey). OpenSSL (node:crypto X509Certificate) decides
 * whether the certificate parses; the identifiers are read from the DER.
 */
import { type KeyObject, X509Certificate } from 'node:crypto';
import { children, oidString, parseOne, readTlv, TAG } from './der.ts';

export interface Certificate {
  raw: Buffer;
  rawSubject: Buffer;
  /** null when the extension is absent (Go: a nil slice) */
  subjectKeyId: Buffer | null;
  authorityKeyId: Buffer | null;
  publicKey: KeyObject;
  isCA: boolean;
}

/** The error Go's parser gives for DER it cannot read; esi does not reproduce its finer messages. */
export class CertificateParseError extends Error {}

export function parseCertificate(der: Uint8Array): Certificate {
  const raw = Buffer.from(der);
  let x: X509Certificate;
  try {
    x = new X509Certificate(raw);
    const cert = parseOne(raw, TAG.SEQUENCE);
    const tbs = children(children(cert.body)[0]!.body);
    let i = tbs[0]!.tag === 0xa0 ? 1 : 0; // [0] version
    i += 4; // serial, signature, issuer, validity
    const rawSubject = tbs[i]!.full;
    let skid: Buffer | null = null;
    let akid: Buffer | null = null;
    for (const t of tbs.slice(i + 1)) {
      if (t.tag !== 0xa3) continue; // [3] extensions
      for (const ext of children(parseOne(t.body, TAG.SEQUENCE).body)) {
        const parts = children(ext.body);
        const id = oidString(parts[0]!.body);
        const value = parts[parts.length - 1]!.body;
        if (id === '2.5.29.14') skid = Buffer.from(parseOne(value, TAG.OCTET_STRING).body);
        if (id === '2.5.29.35') {
          const keyId = children(parseOne(value, TAG.SEQUENCE).body).find((c) => c.tag === 0x80);
          if (keyId) akid = Buffer.from(keyId.body);
        }
      }
    }
    return { raw, rawSubject: Buffer.from(rawSubject), subjectKeyId: skid, authorityKeyId: akid, publicKey: x.publicKey, isCA: x.ca };
  } catch (e) {
    if (e instanceof Error) throw new CertificateParseError(malformed(raw));
    throw e;
  }
}

/** The first of Go's structural checks (x509/parser.go parseCertificate) that `der` fails. */
function malformed(der: Buffer): string {
  try {
    const outer = parseOne(der.subarray(0, readTlv(der, 0)[1]), TAG.SEQUENCE);
    const first = readTlv(outer.body, 0)[0];
    if (first.tag !== TAG.SEQUENCE) return 'x509: malformed tbs certificate';
  } catch {
    /* the outer SEQUENCE itself is broken */
  }
  return 'x509: malformed certificate';
}

/** bytes.Equal: a nil and an empty slice are equal. */
export function bytesEqual(a: Buffer | null, b: Buffer | null): boolean {
  return Buffer.compare(a ?? Buffer.alloc(0), b ?? Buffer.alloc(0)) === 0;
}
