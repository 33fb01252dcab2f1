// authSecretRef.clientCertificate: ESO's PEM rules (keyvault_certificate.go) and the client assertion's
// shape (learn.microsoft.com/entra/identity-platform/certificate-credentials), verified with the public key.
import { readFileSync } from 'node:fs';
import { createHash, createVerify, X509Certificate } from 'node:crypto';
import { expect, test } from 'vitest';
import { clientAssertion, parseClientCertificate } from './client-certificate.ts';

const pki = (f: string) => readFileSync(new URL(`../../../eso/template/testdata/pki/${f}`, import.meta.url), 'utf8');

test("ESO's PEM rules: a certificate and an RSA key (PKCS#8 or PKCS#1), with ESO's errors otherwise", () => {
  const cert = new X509Certificate(pki('leaf.crt'));
  const thumb = createHash('sha1').update(cert.raw).digest('base64url');
  expect(parseClientCertificate(pki('leaf.key') + pki('leaf.crt')).x5t).toBe(thumb);
  expect(parseClientCertificate(pki('leaf.crt') + pki('leaf.pkcs1.key')).x5t).toBe(thumb);
  expect(() => parseClientCertificate(pki('leaf.key'))).toThrow('failed to decode certificate: no certificate found in PEM file');
  expect(() => parseClientCertificate(pki('leaf.crt'))).toThrow('failed to decode certificate: no private key found in PEM file');
  expect(() => parseClientCertificate(pki('ec-leaf.crt') + pki('ec-leaf.key'))).toThrow('found unknown private key type in PKCS#8 wrapping');
});

test('the assertion: RS256 with x5t, aud = the token endpoint, iss = sub = client id, 10 minutes, signed by the key', () => {
  const c = parseClientCertificate(pki('leaf.crt') + pki('leaf.key'));
  const url = 'https://login.microsoftonline.com/t/oauth2/v2.0/token';
  const jwt = clientAssertion(c, 'client-1', url, 1_700_000_000_000);
  const [h, p, sig] = jwt.split('.');
  expect(JSON.parse(Buffer.from(h!, 'base64url').toString())).toEqual({ alg: 'RS256', typ: 'JWT', x5t: c.x5t });
  expect(JSON.parse(Buffer.from(p!, 'base64url').toString())).toMatchObject({ aud: url, iss: 'client-1', sub: 'client-1', nbf: 1_700_000_000, exp: 1_700_000_600 });
  expect(createVerify('RSA-SHA256').update(`${h}.${p}`).verify(new X509Certificate(pki('leaf.crt')).publicKey, Buffer.from(sig!, 'base64url'))).toBe(true);
});
