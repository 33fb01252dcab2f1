/**
 * ESO's PKCS#12 template functions (runtime/template/v2/pkcs12.go): archives in, PEM out (pkcs12key,
 * pkcs12cert and their *Pass forms) and PEM in, base64 archives out (pemToPkcs12, fullPemToPkcs12,
 * pemTruststoreToPKCS12 and their *Pass forms). Where ESO dereferences a PEM block that did not decode,
 * Go panics and text/template reports it; esi reports the same text.
 */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { orderChainPEM } from './cert-chain.ts';
import { CallError } from './exec.ts';
import { pemDecode, pemEncode } from './pem.ts';
import { decodeChain, encodePkcs12, encodeTrustStore, Pkcs12Error, type Random } from './pkcs12.ts';
import { CertificateParseError, nameString, parseCertificate } from './x509.ts';

const NIL_DEREF = 'runtime error: invalid memory address or nil pointer dereference';
const pemOf = (type: string, der: Buffer) => pemEncode({ type, headers: [], bytes: der });

function decode(input: string, pass: string, prefix: string) {
  try {
    return decodeChain(Buffer.from(input, 'latin1'), pass);
  } catch (e) {
    if (e instanceof Pkcs12Error) throw new CallError(`${prefix}${e.message}`);
    throw e;
  }
}

/** pkcs12keyPass: the archive's private key as PKCS#8 PEM. */
export function pkcs12keyPass(pass: string, input: string): string {
  const { key } = decode(input, pass, 'unable to decode pkcs12 with password: ');
  return pemOf('PRIVATE KEY', key.export({ type: 'pkcs8', format: 'der' }));
}

/** pkcs12certPass: the certificates as PEM, ordered leaf → root when they form one chain. */
export function pkcs12certPass(pass: string, input: string): string {
  const { cert, caCerts } = decode(input, pass, 'unable to decode pkcs12 certificate with password: ');
  const all = [cert, ...caCerts].map((c) => pemOf('CERTIFICATE', c)).join('');
  try {
    return orderChainPEM(all);
  } catch (e) {
    if (e instanceof CallError) return all;
    throw e;
  }
}

/** pem.Decode then x509.ParseCertificate, panicking on a missing block as ESO's code does. */
function certificateAt(data: string): { der: Buffer; rest: string } {
  const { block, rest } = pemDecode(data);
  if (!block) throw new CallError(NIL_DEREF);
  try {
    parseCertificate(block.bytes);
  } catch (e) {
    if (e instanceof CertificateParseError) throw new CallError(e.message);
    throw e;
  }
  return { der: block.bytes, rest };
}

/** parseCaCerts: every block until the input is used up. */
function caCerts(data: string): Buffer[] {
  const out: Buffer[] = [];
  for (let rest = data; rest.length > 0; ) {
    const c = certificateAt(rest);
    out.push(c.der);
    rest = c.rest;
  }
  return out;
}

/** pkcs12.go parsePrivateKey: PKCS#1, then PKCS#8, then SEC 1. */
function privateKey(keyPEM: string): KeyObject {
  const { block } = pemDecode(keyPEM);
  if (!block) throw new CallError(NIL_DEREF);
  for (const type of ['pkcs1', 'pkcs8', 'sec1'] as const) {
    try {
      return createPrivateKey({ key: block.bytes, format: 'der', type });
    } catch {
      /* next format */
    }
  }
  throw new CallError('unable to parse private key type');
}

export function pemToPkcs12(cert: string, key: string, pass: string, withChain: boolean, random: () => Random): string {
  const leaf = certificateAt(cert);
  const cas = withChain ? caCerts(leaf.rest) : [];
  const k = privateKey(key);
  const pfx = encodePkcs12(k.export({ type: 'pkcs8', format: 'der' }), leaf.der, cas, pass, random());
  return pfx.toString('base64');
}

export function pemTruststoreToPKCS12(cert: string, pass: string, random: () => Random): string {
  const certs = caCerts(cert).map((der) => ({ der, friendlyName: nameString(parseCertificate(der).rawSubject) }));
  return encodeTrustStore(certs, pass, random()).toString('base64');
}

export { Pkcs12Error };
