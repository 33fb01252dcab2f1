import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EsiError } from '../../core/index.ts';
import { executeTemplate, renderTemplate, TemplateLimitError, TemplateParseError, TemplateExecError } from './index.ts';
import { CASES, STANDARD_DATA } from './testdata/cases.ts';
import { dataArb, templateArb } from './testdata/generate.ts';

/** Go's results for every table case, recorded from test/go/template-oracle (template.diff.test.ts re-checks live). */
const golden = JSON.parse(readFileSync(new URL('./testdata/cases.golden.json', import.meta.url), 'utf8')) as {
  template: string;
  output?: string;
  error?: string;
}[];
const goldenByTemplate = new Map(golden.map((g) => [g.template, g]));

/** Where esi knowingly differs from Go (documented in the README's compatibility notes). */
const TEXT_ONLY = new Set(['{{ (fromYaml "a: [").Error }}']);
const UNSUPPORTED = new Set(['{{ 1i }}']);

function run(template: string, data: Record<string, Uint8Array> = STANDARD_DATA): { output: string } | { error: string } {
  try {
    return { output: Buffer.from(renderTemplate(template, data)).toString('base64') };
  } catch (e) {
    expect(e).toBeInstanceOf(EsiError);
    return { error: (e as Error).message };
  }
}

describe('table: every function of the ESO v2.9.0 template engine (runtime/template/v2/template.go) and its execution behaviours, Go-recorded', () => {
  it.each(CASES)('$about: $template', (c) => {
    const want = goldenByTemplate.get(c.template);
    expect(want, 'case recorded in cases.golden.json').toBeDefined();
    const got = run(c.template, c.data);
    if (UNSUPPORTED.has(c.template)) {
      expect(got).toHaveProperty('error');
      return;
    }
    if (TEXT_ONLY.has(c.template)) {
      expect(Object.keys(got)).toEqual(Object.keys(want!).filter((k) => k !== 'template'));
      return;
    }
    if (want!.error !== undefined) expect(got).toEqual({ error: want!.error });
    else expect(got).toEqual({ output: want!.output });
  });
});

describe('ESO behaviours, spelled out', () => {
  const data = { username: 'admin', password: 'canary-pw', host: 'db', database: 'app', 'db-password': 'x' };

  it('renders the connection-string example', () => {
    expect(executeTemplate('postgresql://{{ .username }}:{{ .password }}@{{ .host }}:5432/{{ .database }}', data)).toBe(
      'postgresql://admin:canary-pw@db:5432/app',
    );
  });

  it('fails on a missing key before any function runs (missingkey=error)', () => {
    expect(() => executeTemplate('{{ .absent | default "x" }}', data, { name: 'conn' })).toThrow(
      'template: conn:1:3: executing "conn" at <.absent>: map has no entry for key "absent"',
    );
  });

  it('prints <no value> for a missing key when missingkey is default (rewrite.transform)', () => {
    expect(executeTemplate('{{ .absent }}', data, { missingKey: 'default' })).toBe('<no value>');
  });

  it('rejects {{ .db-password }} at parse time and reads it with index', () => {
    expect(() => executeTemplate('{{ .db-password }}', data)).toThrow(TemplateParseError);
    expect(() => executeTemplate('{{ .db-password }}', data)).toThrow("template: t:1: bad character U+002D '-'");
    expect(executeTemplate('{{ index . "db-password" }}', data)).toBe('x');
  });

  it('has no env, expandenv or getHostByName', () => {
    for (const f of ['env', 'expandenv', 'getHostByName']) {
      expect(() => executeTemplate(`{{ ${f} "x" }}`, data)).toThrow(`template: t:1: function "${f}" not defined`);
    }
  });

  it('keeps binary values as bytes', () => {
    const bin = Uint8Array.from([0xff, 0x00, 0xfe]);
    expect([...renderTemplate('{{ .k }}', { k: bin })]).toEqual([0xff, 0x00, 0xfe]);
    expect(executeTemplate('{{ len .k }} {{ .k | b64enc }}', { k: bin })).toBe('3 /wD+');
  });

  it('b64dec and fromJson never fail; toJson escapes HTML, toRawJson does not', () => {
    expect(executeTemplate('{{ b64dec "a" }}|{{ fromJson "nope" }}', data)).toBe('illegal base64 data at input byte 0|<no value>');
    expect(executeTemplate('{{ toJson "<&>" }} {{ toRawJson "<&>" }}', data)).toBe('"\\u003c\\u0026\\u003e" "<&>"');
  });

  it('camelcase is PascalCase', () => {
    expect(executeTemplate('{{ camelcase "http_server" }}', data)).toBe('HttpServer');
  });

  it('iterates the root in sorted key order', () => {
    expect(executeTemplate('{{ range $k, $v := . }}{{ $k }},{{ end }}', data)).toBe('database,db-password,host,password,username,');
  });
});

describe('guards: bounded output, steps and depth, clear EsiErrors', () => {
  it('stops output past the bound', () => {
    expect(() => renderTemplate('{{ range until 2000 }}0123456789{{ end }}', {}, { maxOutputBytes: 10_000 })).toThrow(TemplateLimitError);
    expect(() => renderTemplate('{{ repeat 5000 "ab" }}', {}, { maxOutputBytes: 1000 })).toThrow(
      "repeat: result larger than the 1000 bytes left under esi's output limit",
    );
  });

  it('stops execution past the step bound', () => {
    expect(() => renderTemplate('{{ range until 1000 }}{{ range until 1000 }}{{ end }}{{ end }}', {}, { maxSteps: 10_000 })).toThrow(
      'execution exceeded 10000 steps',
    );
  });

  it('stops runaway template recursion', () => {
    expect(() => renderTemplate('{{ define "a" }}{{ template "a" }}{{ end }}{{ template "a" }}', {})).toThrow(TemplateLimitError);
  });

  it('random bytes as a template never throw anything but an EsiError and respect the bound', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60, unit: 'binary' }), (src) => {
        try {
          const out = renderTemplate(src, STANDARD_DATA, { maxOutputBytes: 4096, maxSteps: 20_000 });
          expect(out.length).toBeLessThanOrEqual(4096);
        } catch (e) {
          expect(e).toBeInstanceOf(EsiError);
        }
      }),
      { numRuns: 2000, seed: 7 },
    );
  });

  it('generated templates (actions, pipelines, range/if/with, printf) only ever fail with EsiErrors', () => {
    fc.assert(
      fc.property(templateArb, dataArb, (src, data) => {
        try {
          const out = renderTemplate(src, data, { maxOutputBytes: 64 * 1024, maxSteps: 100_000 });
          expect(out.length).toBeLessThanOrEqual(64 * 1024);
        } catch (e) {
          expect(e).toBeInstanceOf(EsiError);
          expect(e instanceof TemplateParseError || e instanceof TemplateExecError || e instanceof TemplateLimitError).toBe(true);
        }
      }),
      { numRuns: 1000, seed: 11 },
    );
  });

  it('truncated and spliced templates never throw anything but an EsiError', () => {
    const sources = CASES.map((c) => c.template);
    fc.assert(
      fc.property(fc.constantFrom(...sources), fc.constantFrom(...sources), fc.nat(), fc.nat(), (a, b, i, j) => {
        const src = a.slice(0, i % (a.length + 1)) + b.slice(j % (b.length + 1));
        try {
          renderTemplate(src, STANDARD_DATA, { maxOutputBytes: 64 * 1024, maxSteps: 100_000 });
        } catch (e) {
          expect(e).toBeInstanceOf(EsiError);
        }
      }),
      { numRuns: 3000, seed: 5 },
    );
  });
});
