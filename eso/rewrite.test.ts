import { describe, expect, it } from 'vitest';
import { NotAvailableError } from '../core/index.ts';
import { applyRewrites } from './rewrite.ts';
import type { Rewrite } from './types.ts';

const m = (o: Record<string, string>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, Buffer.from(v)]));
const text = (o: Record<string, Uint8Array>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, Buffer.from(v).toString()]));

const cases: { name: string; rewrite: Rewrite[]; input: Record<string, string>; out?: Record<string, string>; err?: string }[] = [
  // regexp
  { name: 'regexp over every key; no match leaves the key', rewrite: [{ regexp: { source: '^dev-', target: '' } }], input: { 'dev-a': '1', b: '2' }, out: { a: '1', b: '2' } },
  { name: 'regexp $1', rewrite: [{ regexp: { source: '^dev-(.*)$', target: 'prod-$1' } }], input: { 'dev-password': 'x' }, out: { 'prod-password': 'x' } },
  { name: '$1_prod means group "1_prod" (empty key, dropped later)', rewrite: [{ regexp: { source: '^dev-(.*)$', target: '$1_prod' } }], input: { 'dev-password': 'x' }, out: { '': 'x' } },
  { name: '${1}_prod', rewrite: [{ regexp: { source: '^dev-(.*)$', target: '${1}_prod' } }], input: { 'dev-password': 'x' }, out: { password_prod: 'x' } },
  { name: 'named groups (?P<n>)', rewrite: [{ regexp: { source: '(?P<env>[a-z]+)-(?P<rest>.*)', target: '${rest}.${env}' } }], input: { 'dev-db': 'x' }, out: { 'db.dev': 'x' } },
  { name: 'docs example target dev-$1 yields dev-password', rewrite: [{ regexp: { source: 'db-(.*)', target: 'dev-$1' } }], input: { 'db-password': 'x' }, out: { 'dev-password': 'x' } },
  { name: 'operations chain in order', rewrite: [{ regexp: { source: '/', target: '_' } }, { regexp: { source: '^', target: 'p-' } }], input: { 'a/b': 'x' }, out: { 'p-a_b': 'x' } },
  { name: 'two keys rewritten to the same name: one wins', rewrite: [{ regexp: { source: '.*', target: 'same' } }], input: { a: '1', b: '2' }, out: { same: '2' } },
  { name: 'regexp compile error', rewrite: [{ regexp: { source: '(', target: '' } }], input: { a: '1' }, err: 'failed rewrite operation[0]: regexp failed with failed to compile: error parsing regexp: missing closing ): `(`' },
  { name: 'error index is the failing operation', rewrite: [{ regexp: { source: 'a', target: 'b' } }, { regexp: { source: '*', target: '' } }], input: { a: '1' }, err: 'failed rewrite operation[1]: regexp failed with failed to compile: error parsing regexp: missing argument to repetition operator: `*`' },
  { name: 'an operation with nothing set passes keys through', rewrite: [{}], input: { 'a/b': '1' }, out: { 'a/b': '1' } },
  // merge, Extract
  { name: 'merge Extract: objects folded, values via GetByteValue', rewrite: [{ merge: {} }], input: { a: '{"x":"1","n":1.50,"e":1e3,"b":true,"z":null,"o":{"b":1,"a":"<"},"l":[1,"x"]}' }, out: { x: '1', n: '1.5', e: '1000', b: 'true', z: '', o: '{"a":"\\u003c","b":1}', l: '[1,"x"]' } },
  { name: 'merge Extract: big integers go through float64', rewrite: [{ merge: {} }], input: { a: '{"big":12345678901234567890}' }, out: { big: '12345678901234567000' } },
  { name: 'merge: keys in ascending order, later overwrite → conflict error', rewrite: [{ merge: {} }], input: { b: '{"k":"from-b"}', a: '{"k":"from-a"}' }, err: 'failed rewrite operation[0]: merge failed with conflicts: k' },
  { name: 'merge: conflictPolicy Ignore, last (byte order) wins', rewrite: [{ merge: { conflictPolicy: 'Ignore' } }], input: { b: '{"k":"from-b"}', a: '{"k":"from-a"}' }, out: { k: 'from-b' } },
  { name: 'merge: priority keys go last in list order', rewrite: [{ merge: { conflictPolicy: 'Ignore', priority: ['c', 'a'] } }], input: { a: '{"k":"a"}', b: '{"k":"b"}', c: '{"k":"c"}' }, out: { k: 'a' } },
  { name: 'merge: several conflicts listed', rewrite: [{ merge: {} }], input: { a: '{"x":"1","y":"1"}', b: '{"x":"2","y":"2"}' }, err: 'merge failed with conflicts: x, y' },
  { name: 'merge: missing priority key with Strict', rewrite: [{ merge: { priority: ['nope'], priorityPolicy: 'Strict' } }], input: { a: '{}' }, err: 'failed rewrite operation[0]: merge failed with key "nope" not found in input map' },
  { name: 'merge: missing priority key with IgnoreNotFound', rewrite: [{ merge: { priority: ['nope'], priorityPolicy: 'IgnoreNotFound' } }], input: { a: '{"k":"v"}' }, out: { k: 'v' } },
  { name: 'merge: a value that is not an object', rewrite: [{ merge: {} }], input: { a: '[1]' }, err: 'failed rewrite operation[0]: merge failed with failed to unmarshal JSON: json: cannot unmarshal array into Go value of type map[string]interface {}' },
  { name: 'merge: a value that is not JSON', rewrite: [{ merge: {} }], input: { a: 'plain' }, err: "merge failed with failed to unmarshal JSON: invalid character 'p' looking for beginning of value" },
  { name: 'merge: a null value contributes nothing', rewrite: [{ merge: {} }], input: { a: 'null', b: '{"k":"v"}' }, out: { k: 'v' } },
  // merge, JSON
  { name: 'merge JSON: into required', rewrite: [{ merge: { strategy: 'JSON' } }], input: { a: '{}' }, err: "failed rewrite operation[0]: merge failed with missing 'into' field" },
  { name: 'merge JSON: original map plus into, sorted, no HTML escaping', rewrite: [{ merge: { strategy: 'JSON', into: 'all' } }], input: { b: '{"z":"<&>","a":1.50}', a: '{"m":[1,2]}' }, out: { b: '{"z":"<&>","a":1.50}', a: '{"m":[1,2]}', all: '{"a":1.5,"m":[1,2],"z":"<&>"}' } },
  { name: 'merge JSON: into overwrites an input key', rewrite: [{ merge: { strategy: 'JSON', into: 'a' } }], input: { a: '{"k":"v"}' }, out: { a: '{"k":"v"}' } },
  { name: 'merge then regexp', rewrite: [{ merge: {} }, { regexp: { source: '^', target: 'm_' } }], input: { a: '{"k":"v"}' }, out: { m_k: 'v' } },
];

describe('rewrite (§4.1)', () => {
  for (const c of cases) {
    it(c.name, () => {
      if (c.err) expect(() => applyRewrites(c.rewrite, m(c.input))).toThrow(c.err);
      else expect(text(applyRewrites(c.rewrite, m(c.input)))).toEqual(c.out);
    });
  }
  it('transform without a template engine is NotAvailable, never a wrong key', () => {
    expect(() => applyRewrites([{ transform: { template: '{{ .value | upper }}' } }], m({ a: '1' }))).toThrow(NotAvailableError);
  });
  it('transform uses the engine: parse once, execute per key', () => {
    const engine = {
      execute: () => undefined,
      compileTransform: (t: string) => {
        if (t.includes('bad')) throw new Error('template: transform:1: function "bad" not defined');
        return (k: string) => (k === 'boom' ? (() => { throw new Error('exec failed'); })() : k.toUpperCase());
      },
    };
    expect(text(applyRewrites([{ transform: { template: 'x' } }], m({ a: '1' }), engine))).toEqual({ A: '1' });
    expect(() => applyRewrites([{ transform: { template: 'bad' } }], m({ a: '1' }), engine)).toThrow(
      'failed rewrite operation[0]: transform failed with failed to parse template: template: transform:1: function "bad" not defined',
    );
    expect(() => applyRewrites([{ transform: { template: 'x' } }], m({ boom: '1' }), engine)).toThrow(
      'failed rewrite operation[0]: transform failed with failed to execute template for key "boom": exec failed',
    );
  });
});

describe('rewrite transform with the Go template engine (§4.1)', async () => {
  const { templateEngine } = await import('./template/index.ts');
  const cases: { template: string; input: Record<string, string>; out?: Record<string, string>; err?: string }[] = [
    { template: '{{ .value | upper }}', input: { a: '1', b: '2' }, out: { A: '1', B: '2' } },
    { template: 'prefix-{{ .value }}', input: { k: 'v' }, out: { 'prefix-k': 'v' } },
    { template: '{{ .value | replace "/" "_" }}', input: { 'a/b': 'v' }, out: { a_b: 'v' } },
    { template: '{{ .nothere }}x', input: { k: 'v' }, out: { '<no value>x': 'v' } },
    { template: '{{ trimPrefix "dev-" .value }}', input: { 'dev-db': 'v', prod: 'w' }, out: { db: 'v', prod: 'w' } },
    { template: '{{ .value | env }}', input: { k: 'v' }, err: 'failed rewrite operation[0]: transform failed with failed to parse template: template: transform:1: function "env" not defined' },
    { template: '{{ fail "no" }}', input: { k: 'v' }, err: 'failed rewrite operation[0]: transform failed with failed to execute template for key "k": template: transform:1:3: executing "transform" at <fail "no">: error calling fail: no' },
  ];
  for (const c of cases) {
    it(`${c.template}`, () => {
      if (c.err) expect(() => applyRewrites([{ transform: { template: c.template } }], m(c.input), templateEngine)).toThrow(c.err);
      else expect(text(applyRewrites([{ transform: { template: c.template } }], m(c.input), templateEngine))).toEqual(c.out);
    });
  }
});
