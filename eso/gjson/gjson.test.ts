import { describe, expect, test } from 'vitest';
import { unmarshalObject } from '../gojson/index.ts';
import {
  awsExtractMap,
  awsPropertyOf,
  awsTagsJSON,
  fakePropertyOf,
  get,
  vaultExtractMap,
  vaultValueOf,
} from './index.ts';
import { README_DOC } from '../../test/helpers/gjson/table.ts';

const text = (b: Uint8Array | undefined): string | undefined => (b === undefined ? undefined : Buffer.from(b).toString('utf8'));

/** Backend JSON values whose serialisation differs by provider and path (ESO v2.9.0 providers/v1/), one per key. */
const SECTION9 =
  '{"s":"a\\u0041","i":10,"f":1.50,"e":1e3,"big":12345678901234567890,"t":true,"n":null,' +
  '"o":{"b" : 1, "a":"<"},"arr":[1, "x"]}';

describe('gjson Get and String() on the gjson README document', () => {
  const cases: [string, string | undefined, string?][] = [
    // [path, String() or undefined when missing, type]
    ['name.last', 'Anderson', 'String'],
    ['age', '37', 'Number'],
    ['children', '["Sara","Alex","Jack"]', 'JSON'],
    ['children.#', '3', 'Number'],
    ['children.1', 'Alex', 'String'],
    ['child*.2', 'Jack', 'String'],
    ['c?ildren.0', 'Sara', 'String'],
    ['fav\\.movie', 'Deer Hunter', 'String'],
    ['fav.movie', undefined],
    ['friends.#.first', '["Dale","Roger","Jane"]', 'JSON'],
    ['friends.1.last', 'Craig', 'String'],
    ['friends.#(last=="Murphy").first', 'Dale', 'String'],
    ['friends.#(last=="Murphy")#.first', '["Dale","Jane"]', 'JSON'],
    ['friends.#(age>45)#.last', '["Craig","Murphy"]', 'JSON'],
    ['friends.#(age>=47)#.first', '["Roger","Jane"]', 'JSON'],
    ['friends.#(age<=44).first', 'Dale', 'String'],
    ['friends.#(age!=44)#.first', '["Roger","Jane"]', 'JSON'],
    ['friends.#(first%"D*").last', 'Murphy', 'String'],
    ['friends.#(first!%"D*").last', 'Craig', 'String'],
    ['friends.#(nets.#(=="fb"))#.first', '["Dale","Roger"]', 'JSON'],
    ['friends.#(last=="Nobody")#.first', '[]', 'JSON'],
    ['friends.#(last=="Nobody").first', undefined],
    ['name|last', 'Anderson', 'String'],
    ['friends.#.nets|0', '["ig", "fb", "tw"]', 'JSON'],
    ['friends.5', undefined],
    ['missing', undefined],
    ['!true', 'true', 'True'],
    ['@this.name.first', 'Tom', 'String'],
  ];
  test.each(cases)('%s', (path, want, type) => {
    const r = get(README_DOC, path);
    expect(r.exists).toBe(want !== undefined);
    if (want !== undefined) {
      expect(r.string()).toBe(want);
      expect(r.type).toBe(type);
    }
  });

  test('raw keeps the input text; str unescapes; num parses', () => {
    const r = get('{"a" : "x\\u0041\\n", "n": 1.50}', 'a');
    expect(r.raw).toBe('"x\\u0041\\n"');
    expect(r.str).toBe('xA\n');
    expect(get('{"n": 1.50}', 'n').num).toBe(1.5);
    expect(get('{"n": 1.50}', 'n').raw).toBe('1.50');
  });

  test('modifiers run as in gjson', () => {
    expect(get(README_DOC, 'children|@reverse').string()).toBe('["Jack","Alex","Sara"]');
    expect(get(README_DOC, 'name|@keys').string()).toBe('["first","last"]');
    expect(get(README_DOC, 'name.@values').string()).toBe('["Tom","Anderson"]');
    expect(get('[1,[2,[3]]]', '@flatten:{"deep":true}').string()).toBe('[1,2,3]');
  });

  test('forEach visits members, elements, or a scalar once, and stops on false', () => {
    const seen: string[] = [];
    get(README_DOC, 'name').forEach((k, v) => (seen.push(`${k.string()}=${v.string()}`), true));
    get(README_DOC, 'children').forEach((k, v) => (seen.push(`${k.num}:${v.string()}`), v.string() !== 'Alex'));
    get(README_DOC, 'age').forEach((k, v) => (seen.push(`${k.exists}/${v.raw}`), true));
    get(README_DOC, 'missing').forEach(() => (seen.push('never'), true));
    expect(seen).toEqual(['first=Tom', 'last=Anderson', '0:Sara', '1:Alex', 'false/37']);
  });

  test('multipaths build a new array or object', () => {
    expect(get(README_DOC, '[name.first,age]').string()).toBe('["Tom",37]');
    expect(get(README_DOC, '{name.first,"years":age,missing}').string()).toBe('{"first":"Tom","years":37}');
    expect(get(README_DOC, '[name.first,age].1').string()).toBe('37');
  });

  test('@pretty lays out like tidwall/pretty', () => {
    expect(get('{"b":[1,2],"a":{"c":1}}', '@pretty').string()).toBe('{\n  "b": [1, 2],\n  "a": {\n    "c": 1\n  }\n}\n');
    expect(get('{"b":1,"a":2}', '@pretty:{"sortKeys":true}').string()).toBe('{\n  "a": 2,\n  "b": 1\n}\n');
  });

  test('unknown @names are keys, not modifiers', () => {
    // Not modifiers: gjson treats these as keys.
    expect(get('{"@timestamp":"t"}', '@timestamp').string()).toBe('t');
    expect(get('{"[x":1}', 'a').exists).toBe(false);
  });
});

describe('AWS property lookup (ESO v2.9.0 providers/v1/aws/secretsmanager/secretsmanager.go, gjson v1.18.0)', () => {
  const cases: [string, string][] = [
    ['s', 'aA'],
    ['i', '10'],
    ['f', '1.5'],
    ['e', '1000'],
    ['big', '12345678901234567890'],
    ['t', 'true'],
    ['n', ''],
    ['o', '{"b" : 1, "a":"<"}'],
    ['arr', '[1, "x"]'],
    ['o.a', '<'],
    ['arr.1', 'x'],
    ['arr.#', '2'],
  ];
  test.each(cases)('%s → %s', (property, want) => {
    expect(text(awsPropertyOf(SECTION9, property))).toBe(want);
  });

  test('a literal dotted key wins over the nested path; the nested path is the fallback', () => {
    expect(text(awsPropertyOf('{"a.b":"literal","a":{"b":"nested"}}', 'a.b'))).toBe('literal');
    expect(text(awsPropertyOf('{"a":{"b":"nested"},"a.b":"literal"}', 'a.b'))).toBe('literal');
    expect(text(awsPropertyOf('{"a":{"b":"nested"}}', 'a.b'))).toBe('nested');
    expect(text(awsPropertyOf('{"a.b.c":1,"a":{"b.c":2}}', 'a.b.c'))).toBe('1');
  });

  test('missing properties are undefined (the caller reports "key %s does not exist in secret %s")', () => {
    expect(awsPropertyOf(SECTION9, 'nope')).toBeUndefined();
    expect(awsPropertyOf('not json', 'a')).toBeUndefined();
    expect(awsPropertyOf('', 'a')).toBeUndefined();
  });

  test('metadataPolicy Fetch: tags marshalled sorted and escaped, then selected like a SecretString', () => {
    const tags = awsTagsJSON([['team', 'a&b'], ['env', 'dev'], ['a.b', 'dotted'], ['env', 'prod']]);
    expect(text(tags)).toBe('{"a.b":"dotted","env":"prod","team":"a\\u0026b"}');
    expect(text(awsPropertyOf(tags, 'team'))).toBe('a&b');
    expect(text(awsPropertyOf(tags, 'a.b'))).toBe('dotted');
  });

  test('SecretBinary bytes are read as text', () => {
    expect(text(awsPropertyOf(Buffer.from('{"k":"v"}'), 'k'))).toBe('v');
  });
});

describe('fake provider property: plain gjson, no literal-key pass (§7.3)', () => {
  test.each([
    ['{"a.b":"literal","a":{"b":"nested"}}', 'a.b', 'nested'],
    ['{"a.b":"literal"}', 'a.b', undefined],
    ['{"a.b":"literal"}', 'a\\.b', 'literal'],
    [SECTION9, 'f', '1.5'],
    [SECTION9, 'n', ''],
    [SECTION9, 'missing', undefined],
  ])('%s %s', (json, property, want) => {
    expect(text(fakePropertyOf(json, property))).toBe(want);
  });
});

describe('Vault value selection (§7.2 getSecretValue, §9 Vault columns)', () => {
  const data = unmarshalObject(SECTION9 + '', { useNumber: true });
  test('no property: json.Marshal of the KV map, sorted, compact, HTML-escaped, numbers verbatim', () => {
    expect(text(vaultValueOf(data))).toBe(
      '{"arr":[1,"x"],"big":12345678901234567890,"e":1e3,"f":1.50,"i":10,"n":null,"o":{"a":"\\u003c","b":1},"s":"aA","t":true}',
    );
  });
  const topLevel: [string, string][] = [
    ['s', 'aA'],
    ['i', '10'],
    ['f', '1.50'],
    ['e', '1e3'],
    ['big', '12345678901234567890'],
    ['t', 'true'],
    ['n', ''],
    ['o', '{"a":"\\u003c","b":1}'],
    ['arr', '[1,"x"]'],
  ];
  test.each(topLevel)('top-level key %s → %s', (property, want) => {
    expect(text(vaultValueOf(data, property))).toBe(want);
  });
  test('a top-level key containing dots wins; otherwise gjson over the marshalled JSON', () => {
    const d = unmarshalObject('{"a.b":"literal","a":{"b":"nested","f":1.50,"e":1e3}}', { useNumber: true });
    expect(text(vaultValueOf(d, 'a.b'))).toBe('literal');
    expect(text(vaultValueOf(d, 'a.f'))).toBe('1.5');
    expect(text(vaultValueOf(d, 'a.e'))).toBe('1000');
    expect(text(vaultValueOf(d, 'o.a'))).toBeUndefined();
    expect(text(vaultValueOf(data, 'o.a'))).toBe('<');
    expect(vaultValueOf(data, 'missing')).toBeUndefined();
  });
});

describe('extract (§7.1 AWS/fake, §7.2 Vault)', () => {
  test('AWS keeps raw JSON text for non-strings; null becomes empty', () => {
    const m = awsExtractMap(Buffer.from(SECTION9));
    expect(Object.fromEntries(Object.entries(m).map(([k, v]) => [k, text(v)]))).toEqual({
      s: 'aA', i: '10', f: '1.50', e: '1e3', big: '12345678901234567890', t: 'true', n: '',
      o: '{"b" : 1, "a":"<"}', arr: '[1, "x"]',
    });
  });
  test('Vault re-decodes through float64 and json.Marshal', () => {
    const m = vaultExtractMap(vaultValueOf(unmarshalObject(SECTION9, { useNumber: true }))!);
    expect(Object.fromEntries(Object.entries(m).map(([k, v]) => [k, text(v)]))).toEqual({
      s: 'aA', i: '10', f: '1.5', e: '1000', big: '12345678901234567000', t: 'true', n: '',
      o: '{"a":"\\u003c","b":1}', arr: '[1,"x"]',
    });
  });
  test('non-objects fail with Go\'s messages', () => {
    expect(() => awsExtractMap('[1]')).toThrow('json: cannot unmarshal array into Go value of type map[string]json.RawMessage');
    expect(() => vaultExtractMap(Buffer.from('"x"'))).toThrow('json: cannot unmarshal string into Go value of type map[string]interface {}');
    expect(() => vaultExtractMap(new Uint8Array(0))).toThrow('unexpected end of JSON input');
    expect(() => awsExtractMap('{"a":')).toThrow('unexpected end of JSON input');
  });
  test('JSON null gives an empty map, as a nil Go map does; __proto__ is an ordinary key', () => {
    expect(Object.keys(awsExtractMap('null'))).toEqual([]);
    expect(text(awsExtractMap('{"__proto__":"x"}')['__proto__'])).toBe('x');
    expect(text(vaultExtractMap(Buffer.from('{"__proto__":{"a":1}}'))['__proto__'])).toBe('{"a":1}');
  });
});
