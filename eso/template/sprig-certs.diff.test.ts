/**
 * sprig's key and certificate generators. Keys, serials and clocks are random, so:
 * - the certificate encoder is compared with crypto/x509 CreateCertificate on the same key, serial and
 *   time: whole DER for RSA and Ed25519 (deterministic signatures), all but the signature for ECDSA;
 * - what the template functions generate is parsed and checked by Go (test/go/template-oracle
 *   oracleKey, oracleCert, oracleSignedBy) and by node:crypto.
 */
import { createPrivateKey, randomBytes, X509Certificate } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { children, parseOne, TAG } from './der.ts';
import { renderTemplate } from './engine.ts';
import { pemDecode } from './pem.ts';
import { createCertificate, parsePrivateKeyPEM } from './sprig-certs.ts';
import { pki } from './testdata/cases.ts';
import { oracleBinary, runOracle, type OracleResult } from './testdata/oracle.ts';

const text = (b: Uint8Array) => Buffer.from(b).toString('latin1');
const enc = (s: string) => new Uint8Array(Buffer.from(s, 'latin1'));
const goOut = (r: OracleResult): string => {
  if (!('output' in r)) throw new Error(`Go failed: ${r.error}`);
  return text(r.output);
};
const env = { now: () => new Date(), randomBytes: (n: number) => new Uint8Array(randomBytes(n)) };
const esi = (template: string, data: Record<string, Uint8Array> = {}) => text(renderTemplate(template, data, env));
const KEYS = { rsa: text(pki('leaf.key')), rsa1: text(pki('leaf.pkcs1.key')), root: text(pki('root.key')), ec: text(pki('ec-leaf.key')), ed: text(pki('ed25519.key')) };
const ROOT_CERT = text(pki('root.crt'));

let bin: string;
beforeAll(async () => {
  bin = await oracleBinary();
}, 15 * 60_000);

const tbsOf = (pemText: string) => children(parseOne(pemDecode(pemText).block!.bytes, TAG.SEQUENCE).body)[0]!.full;

describe('the certificate encoder is crypto/x509 CreateCertificate', () => {
  const specs = [
    { cn: 'esi ca', ips: [], dns: [], days: 3650, isCA: true, key: KEYS.rsa },
    { cn: 'server', ips: ['10.1.2.3', '::1', '2001:db8::8a2e:370:7334', '::ffff:192.0.2.1'], dns: ['a.example', 'b.example'], days: 30, isCA: false, key: KEYS.rsa1 },
    { cn: '', ips: [], dns: ['only-san.example'], days: 1, isCA: false, key: KEYS.ed },
    { cn: 'wïth ünicode & *', ips: [], dns: [], days: 40000, isCA: true, key: KEYS.ed },
    { cn: 'signed', ips: ['192.168.0.1'], dns: ['s.example'], days: 90, isCA: false, key: KEYS.rsa, parent: ROOT_CERT, parentKey: KEYS.root },
    { cn: 'esi test root', ips: [], dns: [], days: 5, isCA: false, key: KEYS.ed, parent: ROOT_CERT, parentKey: KEYS.root },
    { cn: 'ec', ips: [], dns: ['ec.example'], days: 7, isCA: true, key: KEYS.ec },
    { cn: 'ec signed by rsa', ips: [], dns: [], days: 7, isCA: false, key: KEYS.ec, parent: ROOT_CERT, parentKey: KEYS.root },
  ];

  it(`encodes ${specs.length} certificates as Go does for the same key, serial and time`, () => {
    const notBefore = new Date('2026-01-02T03:04:05Z') // whole seconds: its nanoseconds stay exact in JSON;
    const serial = 0xfedcba98765432100123456789abcdefn;
    const goReqs = specs.map((s) => ({
      template: '{{ oracleCreateCert .spec }}',
      data: { spec: new Uint8Array(Buffer.from(JSON.stringify({ ...s, notBefore: notBefore.getTime() * 1_000_000, serial: serial.toString(), key: s.key, parent: s.parent ?? '', parentKey: s.parentKey ?? '' }), 'utf8')) },
    }));
    const results = runOracle(bin, goReqs);
    specs.forEach((s, i) => {
      const want = goOut(results[i]!);
      const der = createCertificate({
        cn: Buffer.from(s.cn, 'utf8').toString('latin1'),
        ips: s.ips.map((ip) => ipFor(ip)),
        dns: s.dns,
        notBefore,
        notAfter: new Date(notBefore.getTime() + s.days * 86_400_000),
        serial,
        isCA: s.isCA,
        key: parsePrivateKeyPEM(s.key),
        parent: s.parent ? { der: pemDecode(s.parent).block!.bytes, key: parsePrivateKeyPEM(s.parentKey!) } : undefined,
      });
      const got = `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`;
      const signer = s.parentKey ?? s.key;
      if (signer === KEYS.ec) expect(tbsOf(got).equals(tbsOf(want)), s.cn).toBe(true);
      else expect(got, s.cn).toBe(want);
    });
  });
});

/** 4 or 16 bytes of an address, as net.IP.To4/To16 hold it. */
function ipFor(ip: string): Buffer {
  if (/^\d+\.\d+\.\d+\.\d+$/.test(ip)) return Buffer.from(ip.split('.').map(Number));
  if (ip.startsWith('::ffff:')) return Buffer.from(ip.slice(7).split('.').map(Number));
  const [a, b = ''] = ip.split('::');
  const ga = a ? a.split(':') : [];
  const gb = b ? b.split(':') : [];
  const all = [...ga, ...Array(8 - ga.length - gb.length).fill('0'), ...gb];
  const out = Buffer.alloc(16);
  all.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), 2 * i));
  return out;
}

describe('generated keys and certificates pass Go’s and Node’s checks', () => {
  it('genPrivateKey writes each key type in sprig’s PEM layout, valid for Go and Node', () => {
    const want: Record<string, string> = {
      '': 'RSA PRIVATE KEY rsa 4096', rsa: 'RSA PRIVATE KEY rsa 4096', ecdsa: 'EC PRIVATE KEY ecdsa P-256',
      ed25519: 'PRIVATE KEY ed25519', dsa: 'DSA PRIVATE KEY dsa 2048/256',
    };
    const keys = Object.keys(want).map((t) => esi(`{{ genPrivateKey "${t}" }}`));
    const checks = runOracle(bin, keys.map((k) => ({ template: '{{ oracleKey .k }}', data: { k: enc(k) } })));
    Object.values(want).forEach((w, i) => {
      expect(goOut(checks[i]!)).toBe(w);
      if (!keys[i]!.startsWith('-----BEGIN DSA')) expect(() => createPrivateKey(keys[i]!)).not.toThrow();
    });
    expect(new Set(keys).size).toBe(keys.length);
  }, 120_000);

  it('genCA, genSelfSignedCert and genSignedCert (and *WithKey) produce what sprig’s templates describe', () => {
    const data = { rsa: enc(KEYS.rsa), ec: enc(KEYS.ec), ed: enc(KEYS.ed) };
    const made = esi(
      '{{ $ca := genCA "esi ca" 365 }}{{ $ca2 := genCAWithKey "ec ca" 10 .ec }}' +
        '{{ $ss := genSelfSignedCert "self" (list "10.0.0.7" "::1") (list "self.example") 2 }}' +
        '{{ $ssk := genSelfSignedCertWithKey "" nil (list "san-only.example") 3 .ed }}' +
        '{{ $s := genSignedCert "leaf" (list "192.0.2.1") (list "leaf.example" "*.leaf.example") 30 $ca }}' +
        '{{ $sk := genSignedCertWithKey "leaf2" nil nil 1 $ca2 .rsa }}' +
        '{{ toJson (list $ca $ca2 $ss $ssk $s $sk) }}',
      data,
    );
    const certs = (JSON.parse(made) as { Cert: string; Key: string }[]);
    const checks = runOracle(bin, [
      ...certs.map((c) => ({ template: '{{ oracleCert .c .k }}', data: { c: enc(c.Cert), k: enc(c.Key) } })),
      { template: '{{ oracleSignedBy .c .p }}', data: { c: enc(certs[4]!.Cert), p: enc(certs[0]!.Cert) } },
      { template: '{{ oracleSignedBy .c .p }}', data: { c: enc(certs[5]!.Cert), p: enc(certs[1]!.Cert) } },
      { template: '{{ oracleSignedBy .c .p }}', data: { c: enc(certs[0]!.Cert), p: enc(certs[0]!.Cert) } },
      { template: '{{ oracleSignedBy .c .p }}', data: { c: enc(certs[4]!.Cert), p: enc(certs[1]!.Cert) } },
    ]);
    const info = certs.map((_, i) => JSON.parse(goOut(checks[i]!)) as Record<string, unknown>);
    const day = 86_400;
    const common = { version: 3, serialSign: 1, bcValid: true, maxPathLen: -1, extKeyUsage: [1, 2], notBeforeAgo: true, keyMatches: 'true' };
    expect(info[0]).toMatchObject({ ...common, subject: 'CN=esi ca', issuer: 'CN=esi ca', isCA: true, keyUsage: 37, validFor: 365 * day, akid: '', sigAlg: 'SHA256-RSA', pubAlg: 'RSA' });
    expect(info[1]).toMatchObject({ ...common, subject: 'CN=ec ca', isCA: true, validFor: 10 * day, sigAlg: 'ECDSA-SHA256', pubAlg: 'ECDSA' });
    expect(info[2]).toMatchObject({ ...common, subject: 'CN=self', isCA: false, keyUsage: 5, ips: ['10.0.0.7', '::1'], dns: ['self.example'], skid: '', akid: '' });
    expect(info[3]).toMatchObject({ ...common, subject: '', dns: ['san-only.example'], sigAlg: 'Ed25519', pubAlg: 'Ed25519' });
    expect(info[4]).toMatchObject({ ...common, subject: 'CN=leaf', issuer: 'CN=esi ca', ips: ['192.0.2.1'], dns: ['leaf.example', '*.leaf.example'], akid: info[0]!['skid'], validFor: 30 * day });
    expect(info[5]).toMatchObject({ ...common, subject: 'CN=leaf2', issuer: 'CN=ec ca', akid: info[1]!['skid'], pubAlg: 'RSA', sigAlg: 'ECDSA-SHA256' });
    for (const i of [0, 1, 2, 3, 4, 5]) expect((info[i]!['serialBits'] as number) > 64).toBe(true);
    expect(goOut(checks[6]!)).toBe('ok');
    expect(goOut(checks[7]!)).toBe('ok');
    expect(goOut(checks[8]!)).toBe('ok');
    expect(goOut(checks[9]!)).not.toBe('ok');
    // Node agrees: each signed certificate verifies with its issuer's key, and holds its own key
    const x = certs.map((c) => new X509Certificate(c.Cert));
    expect(x[4]!.verify(x[0]!.publicKey)).toBe(true);
    expect(x[5]!.verify(x[1]!.publicKey)).toBe(true);
    x.forEach((c, i) => expect(c.checkPrivateKey(createPrivateKey(certs[i]!.Key))).toBe(true));
    expect(certs[5]!.Key).toBe(esi('{{ (genSelfSignedCertWithKey "x" nil nil 1 .rsa).Key }}', data));
  }, 120_000);

  it('fails as Go does where the key cannot sign or does not match the CA', () => {
    const data = { dsa: pki('dsa.key'), rsa: enc(KEYS.rsa), root: enc(ROOT_CERT) };
    const templates = [
      '{{ genCAWithKey "ca" 1 .dsa }}',
      '{{ genSignedCertWithKey "x" nil nil 1 (buildCustomCert (b64enc .root) (b64enc .dsa)) .rsa }}',
      '{{ genSignedCertWithKey "x" nil nil 1 (buildCustomCert (b64enc .root) (b64enc .rsa)) .rsa }}',
      '{{ genSignedCertWithKey "x" nil nil 1 (genCA "ca" 1) .dsa }}',
      '{{ genSelfSignedCertWithKey "x" nil (list "ü.example") 1 .rsa }}',
    ];
    const results = runOracle(bin, templates.map((template) => ({ template, data })));
    templates.forEach((t, i) => {
      const want = results[i]!;
      expect('error' in want, t).toBe(true);
      let got = '';
      try {
        renderTemplate(t, data, env);
      } catch (e) {
        got = Buffer.from((e as Error).message, 'latin1').toString('utf8');
      }
      expect(got, t).toBe((want as { error: string }).error);
    });
  }, 120_000);

  it('needs a clock and a random source', () => {
    expect(() => renderTemplate('{{ genCA "x" 1 }}', {}, { randomBytes: (n) => new Uint8Array(n) })).toThrow('genCA needs a clock');
    expect(() => renderTemplate('{{ genPrivateKey "ecdsa" }}', {})).toThrow('genPrivateKey needs a random source');
  });
});
