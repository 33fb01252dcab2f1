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

/** crypto/x509/pkix attribute types that Name parses into fields, in ToRDNSequence's order. */
const NAME_FIELDS: [string, string][] = [
  ['2.5.4.6', 'C'], ['2.5.4.10', 'O'], ['2.5.4.11', 'OU'], ['2.5.4.7', 'L'], ['2.5.4.8', 'ST'], ['2.5.4.9', 'STREET'],
  ['2.5.4.17', 'POSTALCODE'], ['2.5.4.5', 'SERIALNUMBER'], ['2.5.4.3', 'CN'],
];

/**
 * pkix.Name.String() of a DER Name, as a Go (byte) string: the attributes Name keeps in fields, grouped
 * per type in ToRDNSequence's order (multi-valued for repeats), after the others, all reversed into
 * RFC 2253 form with Go's escaping; unknown types print as `OID=#hex`.
 */
export function nameString(rawName: Buffer): string {
  const known = new Map(NAME_FIELDS);
  const byType = new Map<string, string[]>();
  const rdns: string[][] = [];
  for (const rdn of children(parseOne(rawName, TAG.SEQUENCE).body)) {
    for (const atv of children(rdn.body)) {
      const [type, value] = children(atv.body);
      const id = oidString(type!.body);
      if (known.has(id)) {
        // Go reads the value as a string (PrintableString, UTF8String, …) and keeps its bytes
        const v = value!.body.toString('latin1');
        byType.set(id, [...(byType.get(id) ?? []), v]);
      } else rdns.push([`${id}=#${value!.full.toString('hex')}`]);
    }
  }
  for (const [id, name] of NAME_FIELDS) {
    const values = byType.get(id);
    if (values) rdns.push(values.map((v) => `${name}=${escapeValue(v)}`));
  }
  return rdns.reverse().map((r) => r.join('+')).join(',');
}

function escapeValue(v: string): string {
  let out = '';
  const chars = [...Buffer.from(v, 'latin1').toString('utf8')];
  // Go ranges over runes but compares byte offsets with len(valueString)-1
  let offset = 0;
  const byteLen = v.length;
  for (const c of chars) {
    let escape = false;
    if (',+"\\<>;'.includes(c)) escape = true;
    else if (c === ' ') escape = offset === 0 || offset === byteLen - 1;
    else if (c === '#') escape = offset === 0;
    out += (escape ? '\\' : '') + Buffer.from(c, 'utf8').toString('latin1');
    offset += Buffer.byteLength(c, 'utf8');
  }
  return out;
}
