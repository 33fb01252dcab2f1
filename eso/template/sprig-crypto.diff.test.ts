/**
 * The functions whose output is random (bcrypt salts, AES IVs): what esi produces is judged by Go's own
 * libraries in the oracle (x/crypto/bcrypt, sprig's decryptAES), and what Go produces is read by esi.
 * Their deterministic behaviour (error texts, panics, `{SHA}`, derivePassword) is in the table cases of
 * template.diff.test.ts.
 */
import { createHash, randomBytes } from 'node:crypto';
import { compareSync } from 'bcryptjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { renderTemplate } from './engine.ts';
import { oracleBinary, runOracle, type OracleRequest, type OracleResult } from './testdata/oracle.ts';

const enc = (s: string) => new Uint8Array(Buffer.from(s, 'utf8'));
const text = (b: Uint8Array) => Buffer.from(b).toString('utf8');
const out = (r: OracleResult): string => {
  if (!('output' in r)) throw new Error(`Go failed: ${r.error}`);
  return text(r.output);
};
const esi = (template: string, data: Record<string, Uint8Array>) => text(renderTemplate(template, data, { randomBytes: (n) => randomBytes(n) }));

const PASSWORDS = ['', 'secret', 'pässwörd ✓', 'a'.repeat(72), 'with\u0000nul', 'canary-pw<&>"\''];

let bin: string;
beforeAll(async () => {
  bin = await oracleBinary();
}, 15 * 60_000);

describe('bcrypt and htpasswd: esi hashes, Go verifies', () => {
  it('every bcrypt hash esi makes is a $2a$ cost-10 hash Go accepts for the password, and only for it', () => {
    const hashes = PASSWORDS.map((pw) => esi('{{ bcrypt .pw }}', { pw: enc(pw) }));
    expect(new Set(hashes).size).toBe(hashes.length);
    const checks = runOracle(bin, PASSWORDS.flatMap((pw, i) => [
      { template: '{{ oracleBcrypt .hash .pw }}', data: { hash: enc(hashes[i]!), pw: enc(pw) } },
      { template: '{{ oracleBcrypt .hash .pw }}', data: { hash: enc(hashes[i]!), pw: enc(pw + 'x') } },
    ]));
    PASSWORDS.forEach((pw, i) => {
      expect(out(checks[2 * i]!), pw).toBe('cost=10 prefix=$2a$');
      // 72 bytes is bcrypt's limit: Go's compare ignores what lies beyond, as the hash never saw it
      if (pw.length < 72) expect(out(checks[2 * i + 1]!)).toBe('crypto/bcrypt: hashedPassword is not the hash of the given password');
    });
  });

  it('htpasswd with bcrypt writes user:hash that Go verifies; esi reads hashes Go made', () => {
    const line = esi('{{ htpasswd .user .pw "bcrypt" }}', { user: enc('admin'), pw: enc('s3cret') });
    expect(line.startsWith('admin:$2a$10$')).toBe(true);
    const [check, goHash] = runOracle(bin, [
      { template: '{{ oracleBcrypt .hash "s3cret" }}', data: { hash: enc(line.slice('admin:'.length)) } },
      { template: '{{ htpasswd "admin" "s3cret" "anything-but-sha" }}', data: {} },
    ]);
    expect(out(check!)).toBe('cost=10 prefix=$2a$');
    const goLine = out(goHash!);
    expect(goLine.startsWith('admin:$2a$10$')).toBe(true);
    expect(compareSync('s3cret', goLine.slice('admin:'.length))).toBe(true);
  });

  it('without a random source bcrypt fails with a clear error, and `{SHA}` needs none', () => {
    expect(() => renderTemplate('{{ bcrypt "x" }}', {})).toThrow('bcrypt needs a random source');
    expect(text(renderTemplate('{{ htpasswd "u" "p" "sha" }}', {}))).toBe(`u:{SHA}${createHash('sha1').update('p').digest('base64')}`);
  });

  it('a password that is not UTF-8 fails instead of hashing other bytes', () => {
    expect(() => esi('{{ bcrypt .pw }}', { pw: Uint8Array.from([0xff, 0x41]) })).toThrow('only when they are valid UTF-8');
  });
});

describe('encryptAES/decryptAES: each side decrypts the other', () => {
  const plains = ['x', 's3cr3t value', '0123456789abcdef', 'héllo ✓'.repeat(20)];
  const keys = ['secret', '', 'a-password-longer-than-thirty-two-bytes-is-cut'];

  it('Go decrypts what esi encrypts, esi decrypts what Go encrypts', () => {
    const cases = keys.flatMap((key) => plains.map((plain) => ({ key, plain })));
    const esiCipher = cases.map((c) => esi('{{ encryptAES .key .plain }}', { key: enc(c.key), plain: enc(c.plain) }));
    const results = runOracle(bin, cases.flatMap((c, i): OracleRequest[] => [
      { template: '{{ decryptAES .key .ct }}', data: { key: enc(c.key), ct: enc(esiCipher[i]!) } },
      { template: '{{ encryptAES .key .plain }}', data: { key: enc(c.key), plain: enc(c.plain) } },
    ]));
    cases.forEach((c, i) => {
      expect(out(results[2 * i]!)).toBe(c.plain);
      const goCipher = out(results[2 * i + 1]!);
      expect(esi('{{ decryptAES .key .ct }}', { key: enc(c.key), ct: enc(goCipher) })).toBe(c.plain);
    });
  });

  it('takes the IV from the caller’s random source: a fixed source gives Node’s AES-256-CBC of the same IV', async () => {
    const { createCipheriv } = await import('node:crypto');
    const iv = Buffer.alloc(16, 7);
    const got = text(renderTemplate('{{ encryptAES "k" "msg" }}', {}, { randomBytes: (n) => new Uint8Array(Buffer.alloc(n, 7)) }));
    const key = Buffer.alloc(32);
    key.write('k');
    const c = createCipheriv('aes-256-cbc', key, iv);
    expect(got).toBe(Buffer.concat([iv, c.update('msg'), c.final()]).toString('base64'));
    expect(() => renderTemplate('{{ encryptAES "k" "msg" }}', {})).toThrow('encryptAES needs a random source');
  });
});
