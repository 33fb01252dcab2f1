/**
 * A service principal's certificate credential (`authSecretRef.clientCertificate`): the PEM ESO's
 * keyvault_certificate.go reads (a CERTIFICATE block and an RSA private key, PKCS#1 or PKCS#8, with its
 * error texts) and the client assertion Entra ID takes instead of a secret
 * (learn.microsoft.com/entra/identity-platform/certificate-credentials: an RS256 JWT with header `x5t`, the
 * certificate's SHA-1 thumbprint, and claims aud = the token endpoint, iss = sub = the client id, jti, nbf, exp).
 */
import { createPrivateKey, createSign, randomUUID, X509Certificate, type KeyObject } from 'node:crypto';
import { EsiError } from '../../../core/index.ts';

export interface ClientCertificate {
  /** base64url SHA-1 of the certificate's DER. */
  x5t: string;
  key: KeyObject;
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/g;

/** ESO's loadCertificateFromBytes: the first certificate and RSA key among the PEM blocks (later ones win, as there). */
export function parseClientCertificate(pem: string): ClientCertificate {
  let cert: X509Certificate | undefined;
  let key: KeyObject | undefined;
  for (const m of pem.matchAll(PEM_BLOCK)) {
    const type = m[1]!;
    const der = Buffer.from(m[2]!.replace(/\s+/g, ''), 'base64');
    if (type === 'CERTIFICATE') {
      try {
        cert = new X509Certificate(der);
      } catch (e) {
        throw new EsiError('azure-config', `failed to decode certificate: failed to parse PEM certificate: ${(e as Error).message}`);
      }
      continue;
    }
    key = rsaKey(der);
  }
  if (!cert) throw new EsiError('azure-config', 'failed to decode certificate: no certificate found in PEM file');
  if (!key) throw new EsiError('azure-config', 'failed to decode certificate: no private key found in PEM file');
  const x5t = Buffer.from(cert.fingerprint.replaceAll(':', ''), 'hex').toString('base64url');
  return { x5t, key };
}

/** ESO's parsePrivateKey: PKCS#1, else PKCS#8 holding RSA. */
function rsaKey(der: Buffer): KeyObject {
  for (const type of ['pkcs1', 'pkcs8'] as const) {
    let k: KeyObject;
    try {
      k = createPrivateKey({ key: der, format: 'der', type });
    } catch {
      continue;
    }
    if (k.asymmetricKeyType === 'rsa') return k;
    throw new EsiError('azure-config', 'failed to decode certificate: failed to extract private key from PEM certificate: found unknown private key type in PKCS#8 wrapping');
  }
  throw new EsiError('azure-config', 'failed to decode certificate: failed to extract private key from PEM certificate: failed to parse private key');
}

/** The signed client assertion for one token request (10 minutes valid). */
export function clientAssertion(c: ClientCertificate, clientId: string, tokenUrl: string, nowMs: number): string {
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const now = Math.floor(nowMs / 1000);
  const signing = `${b64({ alg: 'RS256', typ: 'JWT', x5t: c.x5t })}.${b64({ aud: tokenUrl, iss: clientId, sub: clientId, jti: randomUUID(), nbf: now, exp: now + 600 })}`;
  const sig = createSign('RSA-SHA256').update(signing).sign(c.key).toString('base64url');
  return `${signing}.${sig}`;
}
