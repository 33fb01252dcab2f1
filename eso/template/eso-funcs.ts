/** ESO's own template functions (runtime/template/v2): PEM, certificates, JWK, YAML, RSA decryption. */
import { createPrivateKey, createPublicKey, privateDecrypt, constants, X509Certificate } from 'node:crypto';
import { fromText, toText } from '../../core/go/utf8.ts';
import { CallError, type FuncDef } from './exec.ts';
import { filterCertChain } from './cert-chain.ts';
import { pemToPkcs12, pemTruststoreToPKCS12, Pkcs12Error, pkcs12certPass, pkcs12keyPass } from './eso-pkcs12.ts';
import { needRandom, type SprigEnv } from './sprig.ts';
import { pemDecode, pemEncode } from './pem.ts';
import { marshalYAML, unmarshalToGo, YamlError } from './yaml.ts';
import { goJsonSyntaxError } from './encoding.ts';
import { GoMap, GoSlice, type GoValue, NO_VALUE, type Value } from './value.ts';

const S = 'string' as const;

function def(inTypes: FuncDef['in'], call: (args: GoValue[]) => Value): FuncDef {
  return { in: inTypes, call: (args) => call(args.map((a) => (a === NO_VALUE ? null : (a as GoValue)))) };
}

function filterPEM(kind: string, input: string): string {
  const i = input.indexOf('-----BEGIN');
  let data = i >= 0 ? input.slice(i) : input;
  let kept = '';
  let rest = data;
  for (;;) {
    const r = pemDecode(data);
    rest = r.rest;
    data = r.rest;
    if (!r.block) break;
    if (r.block.type.toLowerCase() === kind.toLowerCase()) kept += pemEncode(r.block);
  }
  if (kept.length === 0 && rest.length !== 0) throw new CallError('error filtering pem: found junk');
  return kept;
}

function certSANs(input: string): GoValue {
  const i = input.indexOf('-----BEGIN');
  const { block } = pemDecode(i >= 0 ? input.slice(i) : input);
  if (!block) throw new CallError('failed to decode PEM block');
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(block.bytes);
  } catch (e) {
    throw new CallError(`failed to parse certificate: ${(e as Error).message}`);
  }
  const dns: string[] = [];
  const ips: string[] = [];
  const emails: string[] = [];
  const uris: string[] = [];
  for (const part of (cert.subjectAltName ?? '').split(/, (?=[A-Za-z ]+:)/)) {
    const idx = part.indexOf(':');
    if (idx < 0) continue;
    const k = part.slice(0, idx);
    const v = part.slice(idx + 1);
    if (k === 'DNS') dns.push(v);
    else if (k === 'IP Address') ips.push(goIP(v));
    else if (k === 'email') emails.push(v);
    else if (k === 'URI') uris.push(v);
  }
  return new GoSlice('string', [...dns, ...ips, ...emails, ...uris].map(fromText));
}

/** net.IP.String(): dotted IPv4 (also for v4-mapped), RFC 5952 IPv6 (lower case, longest zero run as ::). */
function goIP(text: string): string {
  if (!text.includes(':')) return text;
  const groups = text.split(':').map((g) => parseInt(g, 16));
  if (groups.length !== 8 || groups.some((g) => Number.isNaN(g))) return text.toLowerCase();
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return [groups[6]! >> 8, groups[6]! & 255, groups[7]! >> 8, groups[7]! & 255].join('.');
  }
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return hex.slice(0, best).join(':') + '::' + hex.slice(best + bestLen).join(':');
}

function jwkToPem(jwkjson: string, priv: boolean): string {
  let jwk: Record<string, unknown>;
  try {
    jwk = JSON.parse(toText(jwkjson)) as Record<string, unknown>;
  } catch {
    throw new CallError(`failed to unmarshal JWK: ${goJsonSyntaxError(toText(jwkjson))}`);
  }
  try {
    if (priv) {
      const key = createPrivateKey({ key: jwk as never, format: 'jwk' });
      return key.export({ type: 'pkcs8', format: 'pem' }) as string;
    }
    const key = createPublicKey({ key: jwk as never, format: 'jwk' });
    return key.export({ type: 'spki', format: 'pem' }) as string;
  } catch (e) {
    throw new CallError(`failed to convert JWK: ${(e as Error).message}`);
  }
}

function rsaDecrypt(scheme: string, hash: string, input: string, privateKey: string): string {
  if (scheme === 'None') return input;
  if (scheme !== 'RSA-OAEP') throw new CallError(`decryption scheme ${scheme} is not supported`);
  const { block } = pemDecode(privateKey);
  if (!block) throw new CallError('failed to decode PEM block');
  let key;
  try {
    key = createPrivateKey({ key: block.bytes, format: 'der', type: block.type === 'RSA PRIVATE KEY' ? 'pkcs1' : 'pkcs8' });
  } catch (e) {
    throw new CallError(`could not parse private key: ${(e as Error).message}`);
  }
  if (key.asymmetricKeyType !== 'rsa') throw new CallError('could not parse RSA private key');
  const oaepHash = hash === 'SHA1' ? 'sha1' : hash === 'SHA512' ? 'sha512' : 'sha256';
  try {
    const out = privateDecrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash }, Buffer.from(input, 'latin1'));
    return out.toString('latin1');
  } catch {
    throw new CallError('error decrypting data with RSA: crypto/rsa: decryption error');
  }
}

/** Go returns go-pkcs12's errors as they are; esi's carry the same text. */
function pkcs12(call: () => string): string {
  try {
    return call();
  } catch (e) {
    if (e instanceof Pkcs12Error) throw new CallError(e.message);
    throw e;
  }
}

export function esoFuncs(env: SprigEnv): Record<string, FuncDef> {
  const random = (name: string) => () => needRandom(env, name);
  const toP12 = (name: string, withChain: boolean) => (cert: string, key: string, pass: string) =>
    pkcs12(() => pemToPkcs12(cert, key, pass, withChain, random(name)));
  const p12 = toP12('pemToPkcs12', false);
  const p12Pass = toP12('pemToPkcs12Pass', false);
  const fullP12 = toP12('fullPemToPkcs12', true);
  const fullP12Pass = toP12('fullPemToPkcs12Pass', true);
  return {
    filterPEM: def([S, S], ([k, s]) => filterPEM(k as string, s as string)),
    certSANs: def([S], ([s]) => certSANs(s as string)),
    jwkPublicKeyPem: def([S], ([s]) => jwkToPem(s as string, false)),
    jwkPrivateKeyPem: def([S], ([s]) => jwkToPem(s as string, true)),
    toYaml: def(['interface {}'], ([v]) => marshalYAML(v)),
    fromYaml: def([S], ([s]) => {
      try {
        return unmarshalToGo(s as string);
      } catch (e) {
        if (!(e instanceof YamlError)) throw e;
        return new GoMap('interface {}', new Map([['Error', fromText(e.message)]]));
      }
    }),
    rsaDecrypt: def([S, S, S, S], ([a, b, c, d]) => rsaDecrypt(a as string, b as string, c as string, d as string)),
    filterCertChain: def([S, S], ([t, s]) => filterCertChain(t as string, s as string)),
    pkcs12key: def([S], ([s]) => pkcs12keyPass('', s as string)),
    pkcs12keyPass: def([S, S], ([p, s]) => pkcs12keyPass(p as string, s as string)),
    pkcs12cert: def([S], ([s]) => pkcs12certPass('', s as string)),
    pkcs12certPass: def([S, S], ([p, s]) => pkcs12certPass(p as string, s as string)),
    pemToPkcs12: def([S, S], ([c, k]) => p12(c as string, k as string, '')),
    pemToPkcs12Pass: def([S, S, S], ([c, k, p]) => p12Pass(c as string, k as string, p as string)),
    fullPemToPkcs12: def([S, S], ([c, k]) => fullP12(c as string, k as string, '')),
    fullPemToPkcs12Pass: def([S, S, S], ([c, k, p]) => fullP12Pass(c as string, k as string, p as string)),
    pemTruststoreToPKCS12: def([S], ([c]) => pkcs12(() => pemTruststoreToPKCS12(c as string, '', random('pemTruststoreToPKCS12')))),
    pemTruststoreToPKCS12Pass: def([S, S], ([c, p]) => pkcs12(() => pemTruststoreToPKCS12(c as string, p as string, random('pemTruststoreToPKCS12Pass')))),
  };
}
