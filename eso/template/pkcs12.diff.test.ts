/**
 * ESO's PKCS#12 functions against Go (go-pkcs12 v0.7.0 in test/go/template-oracle):
 * - reading: archives made by OpenSSL in every encoding it writes (testdata/pki/make.sh) and by Go give
 *   the same PEM, and the same errors;
 * - writing: with go-pkcs12's random reader replaced by the fixed one ESO's own tests use, esi's
 *   archives are byte for byte Go's; with real randomness, each side reads the other's archives.
 */
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { renderTemplate } from './engine.ts';
import { pki } from './testdata/cases.ts';
import { oracleBinary, runOracle, type OracleRequest, type OracleResult } from './testdata/oracle.ts';

type Outcome = { output: string } | { error: string };

/** what ESO's tests feed go-pkcs12 (pkcs12_test.go MockRandomReader): `"0123456789"`, then zeros */
const fixedRandom = (n: number) => {
  const b = Buffer.alloc(n);
  Buffer.from('"0123456789"').copy(b);
  return new Uint8Array(b);
};

function esi(template: string, data: Record<string, Uint8Array>, random?: (n: number) => Uint8Array): Outcome {
  try {
    return { output: Buffer.from(renderTemplate(template, data, random ? { randomBytes: random } : {})).toString('latin1') };
  } catch (e) {
    // the engine's messages carry the template's text as bytes; Go's reach us decoded
    return { error: Buffer.from((e as Error).message, 'latin1').toString('utf8') };
  }
}
const go = (r: OracleResult): Outcome => ('output' in r ? { output: Buffer.from(r.output).toString('latin1') } : { error: r.error });

const DATA: Record<string, Uint8Array> = {
  aes: pki('leaf-aes.p12'), legacy: pki('leaf-legacy.p12'), des: pki('leaf-3des.p12'), ecnopass: pki('ec-nopass.p12'),
  ecplain: pki('ec-plain.p12'), leaf: pki('leaf.crt'), leafkey: pki('leaf.key'), leafpkcs1: pki('leaf.pkcs1.key'),
  inter: pki('inter.crt'), root: pki('root.crt'), ecleaf: pki('ec-leaf.crt'), eckey: pki('ec-leaf.key'), other: pki('other-root.crt'),
  junk: new Uint8Array(Buffer.from('not an archive')),
};

let bin: string;
beforeAll(async () => {
  bin = await oracleBinary();
}, 15 * 60_000);

/** Go's asn1 parser words malformed input its own way; esi matches the prefix ESO adds and fails too. */
function sameOutcome(template: string, got: Outcome, want: Outcome, mismatches: string[]) {
  if ('error' in want && 'error' in got && want.error.includes('asn1:')) {
    if (got.error.slice(0, want.error.indexOf('asn1:')) !== want.error.slice(0, want.error.indexOf('asn1:'))) mismatches.push(`${template}\n  go:  ${want.error}\n  esi: ${got.error}`);
    return;
  }
  if (JSON.stringify(got) !== JSON.stringify(want)) {
    mismatches.push(`${template}\n  go:  ${JSON.stringify(want).slice(0, 400)}\n  esi: ${JSON.stringify(got).slice(0, 400)}`);
  }
}

describe('pkcs12key / pkcs12cert read archives as go-pkcs12 does', () => {
  const templates = [
    ...['aes', 'legacy', 'des'].flatMap((a) => [
      `{{ .${a} | pkcs12keyPass "1234" }}`, `{{ .${a} | pkcs12certPass "1234" }}`, `{{ .${a} | pkcs12keyPass "wrong" }}`,
      `{{ .${a} | pkcs12certPass "" }}`, `{{ .${a} | pkcs12key }}`,
    ]),
    '{{ .ecnopass | pkcs12key }}', '{{ .ecnopass | pkcs12cert }}', '{{ .ecnopass | pkcs12keyPass "x" }}', '{{ .ecplain | pkcs12key }}',
    '{{ .ecplain | pkcs12cert }}', '{{ .ecplain | pkcs12certPass "x" }}', '{{ .junk | pkcs12key }}', '{{ pkcs12cert "" }}',
    '{{ .leaf | pkcs12cert }}', '{{ .aes | pkcs12keyPass "1234" | filterPEM "PRIVATE KEY" | len | print }}',
    '{{ .aes | pkcs12certPass "1234" | filterCertChain "leaf" | certSANs }}', '{{ .aes | b64enc | pkcs12key }}',
    '{{ pkcs12keyPass "𝄞" .aes }}',
  ];

  it(`renders ${templates.length} templates over OpenSSL-made archives exactly as Go`, () => {
    const results = runOracle(bin, templates.map((template) => ({ template, data: DATA })));
    const mismatches: string[] = [];
    templates.forEach((t, i) => sameOutcome(t, esi(t, DATA), go(results[i]!), mismatches));
    expect(mismatches).toEqual([]);
  });
});

describe('pemToPkcs12, fullPemToPkcs12, pemTruststoreToPKCS12 write Go’s bytes', () => {
  const templates = [
    '{{ pemToPkcs12 .leaf .leafkey }}', '{{ pemToPkcs12Pass .leaf .leafkey "password" }}', '{{ pemToPkcs12 .leaf .leafpkcs1 }}',
    '{{ pemToPkcs12Pass .ecleaf .eckey "ü-pass" }}', '{{ fullPemToPkcs12 (print .leaf .inter .root) .leafkey }}',
    '{{ fullPemToPkcs12Pass (print .ecleaf .inter) .eckey "p" }}', '{{ fullPemToPkcs12 .leaf .leafkey }}',
    '{{ pemTruststoreToPKCS12 (print .root .inter .other) }}', '{{ pemTruststoreToPKCS12Pass .root "changeit" }}',
    '{{ pemToPkcs12 "" .leafkey }}', '{{ pemToPkcs12 .leaf "" }}', '{{ pemToPkcs12 .leaf .leaf }}', '{{ pemToPkcs12 .leafkey .leafkey }}',
    '{{ fullPemToPkcs12 (print .leaf .inter "\\n") .leafkey }}', '{{ pemTruststoreToPKCS12 "" }}', '{{ pemTruststoreToPKCS12 "junk" }}',
    '{{ pemToPkcs12Pass .leaf .leafkey "𝄞" }}', '{{ pemTruststoreToPKCS12Pass .root "𝄞" }}',
  ];

  it(`renders ${templates.length} templates byte for byte as Go with the same random bytes`, () => {
    const results = runOracle(bin, templates.map((template) => ({ template, data: DATA })));
    const mismatches: string[] = [];
    templates.forEach((t, i) => sameOutcome(t, esi(t, DATA, fixedRandom), go(results[i]!), mismatches));
    expect(mismatches).toEqual([]);
  });

  it('with real randomness, Go reads esi’s archives and esi reads Go’s', () => {
    const makers = [
      ['{{ pemToPkcs12Pass .leaf .leafkey "pw" }}', 'pw'], ['{{ fullPemToPkcs12 (print .ecleaf .inter .root) .eckey }}', ''],
    ] as const;
    const made = makers.map(([t]) => esi(t, DATA, (n) => randomBytes(n)));
    const reads = made.flatMap((m, i): OracleRequest[] => {
      const p12 = new Uint8Array(Buffer.from((m as { output: string }).output, 'base64'));
      const pass = makers[i]![1];
      return [
        { template: `{{ pkcs12keyPass "${pass}" .p }}`, data: { p: p12 } },
        { template: `{{ pkcs12certPass "${pass}" .p }}`, data: { p: p12 } },
        { template: makers[i]![0], data: DATA },
      ];
    });
    const results = runOracle(bin, reads);
    makers.forEach(([, pass], i) => {
      const [goKey, goCert, goMade] = results.slice(3 * i, 3 * i + 3).map(go);
      const mine = new Uint8Array(Buffer.from((made[i] as { output: string }).output, 'base64'));
      expect(goKey).toEqual(esi(`{{ pkcs12keyPass "${pass}" .p }}`, { p: mine }));
      expect(goCert).toEqual(esi(`{{ pkcs12certPass "${pass}" .p }}`, { p: mine }));
      const theirs = new Uint8Array(Buffer.from((goMade as { output: string }).output, 'base64'));
      expect(esi(`{{ pkcs12keyPass "${pass}" .p }}`, { p: theirs })).toEqual(goKey);
      expect(esi(`{{ pkcs12certPass "${pass}" .p }}`, { p: theirs })).toEqual(goCert);
      expect(Buffer.from(mine).equals(Buffer.from(theirs))).toBe(false);
    });
  });

  it('writing needs a random source', () => {
    expect(esi('{{ pemToPkcs12 .leaf .leafkey }}', DATA)).toEqual({
      error: expect.stringContaining('pemToPkcs12 needs a random source') as unknown as string,
    });
  });
});
