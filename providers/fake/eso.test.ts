import { describe, expect, it } from 'vitest';
import { NoSecretError } from '../../core/index.ts';
import { FakeSecretsClient, validateFakeStore } from './eso.ts';
import { secretStoreErrors } from '../index.ts';
import type { FakeProviderData, RemoteRef } from '../../eso/index.ts';

const client = (data: FakeProviderData[]) => new FakeSecretsClient({ data });
const text = (u: Uint8Array) => Buffer.from(u).toString();
const textMap = (o: Record<string, Uint8Array>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, text(v)]));

const store: FakeProviderData[] = [
  { key: 'plain', value: 'v' },
  { key: 'json', value: '{"user":"u","n":1.50,"e":1e3,"z":null,"a":{"b":{"c":"deep"}},"list":["x","y","z"],"a.b":"literal","o":{"b" : 1,"a":"<"},"t":true}' },
  { key: 'ver', value: 'one', version: '1' },
  { key: 'ver', value: 'two', version: '2' },
  { key: 'arr', value: '[1,2]' },
  { key: 'nul', value: 'null' },
  { key: 'bad', value: '{bad' },
];

const getCases: { ref: RemoteRef; out?: string; noSecret?: true }[] = [
  { ref: { key: 'plain' }, out: 'v' },
  { ref: { key: 'missing' }, noSecret: true },
  { ref: { key: 'ver', version: '1' }, out: 'one' },
  { ref: { key: 'ver', version: '2' }, out: 'two' },
  { ref: { key: 'ver' }, noSecret: true },
  { ref: { key: 'ver', version: '3' }, noSecret: true },
  { ref: { key: 'plain', version: '1' }, noSecret: true },
  { ref: { key: 'json', property: 'user' }, out: 'u' },
  { ref: { key: 'json', property: 'n' }, out: '1.5' },
  { ref: { key: 'json', property: 'e' }, out: '1000' },
  { ref: { key: 'json', property: 'z' }, out: '' },
  { ref: { key: 'json', property: 't' }, out: 'true' },
  { ref: { key: 'json', property: 'a.b.c' }, out: 'deep' },
  { ref: { key: 'json', property: 'a\\.b' }, out: 'literal' },
  { ref: { key: 'json', property: 'list.1' }, out: 'y' },
  { ref: { key: 'json', property: 'list.#' }, out: '3' },
  { ref: { key: 'json', property: 'o' }, out: '{"b" : 1,"a":"<"}' },
  { ref: { key: 'json', property: 'nope' }, noSecret: true },
  { ref: { key: 'json', property: 'list.9' }, noSecret: true },
  { ref: { key: 'plain', property: 'x' }, noSecret: true },
];

describe('fake provider GetSecret (§7.3)', () => {
  const c = client(store);
  for (const g of getCases) {
    it(`${JSON.stringify(g.ref)}`, async () => {
      if (g.noSecret) await expect(c.getSecret(g.ref)).rejects.toBeInstanceOf(NoSecretError);
      else expect(text(await c.getSecret(g.ref))).toBe(g.out);
    });
  }
  it('key+version concatenation: {foo1} and {foo, version 1} collide, last wins', async () => {
    const a = client([{ key: 'foo', value: 'versioned', version: '1' }, { key: 'foo1', value: 'plain' }]);
    expect(text(await a.getSecret({ key: 'foo1' }))).toBe('plain');
    await expect(a.getSecret({ key: 'foo', version: '1' })).rejects.toBeInstanceOf(NoSecretError);
    const b = client([{ key: 'foo1', value: 'plain' }, { key: 'foo', value: 'versioned', version: '1' }]);
    expect(text(await b.getSecret({ key: 'foo', version: '1' }))).toBe('versioned');
    await expect(b.getSecret({ key: 'foo1' })).rejects.toBeInstanceOf(NoSecretError);
  });
});

describe('fake provider GetSecretMap (§7.3, AWS-style RawMessage decoding)', () => {
  const c = client(store);
  it('strings unquoted, other JSON raw byte-for-byte, null empty', async () => {
    expect(textMap(await c.getSecretMap({ key: 'json' }))).toEqual({
      user: 'u', n: '1.50', e: '1e3', z: '', a: '{"b":{"c":"deep"}}', list: '["x","y","z"]', 'a.b': 'literal', o: '{"b" : 1,"a":"<"}', t: 'true',
    });
  });
  it('property selects a nested object first', async () => {
    expect(textMap(await c.getSecretMap({ key: 'json', property: 'a' }))).toEqual({ b: '{"c":"deep"}' });
  });
  it('null → empty map', async () => expect(await c.getSecretMap({ key: 'nul' })).toEqual({}));
  it('non-object → unable to unmarshal secret: (no key in the message)', async () => {
    await expect(c.getSecretMap({ key: 'arr' })).rejects.toThrow('unable to unmarshal secret: json: cannot unmarshal array into Go value of type map[string]json.RawMessage');
    await expect(c.getSecretMap({ key: 'plain' })).rejects.toThrow("unable to unmarshal secret: invalid character 'v' looking for beginning of value");
  });
  it('missing key / version / property → NoSecretErr', async () => {
    await expect(c.getSecretMap({ key: 'missing' })).rejects.toBeInstanceOf(NoSecretError);
    await expect(c.getSecretMap({ key: 'ver' })).rejects.toBeInstanceOf(NoSecretError);
    await expect(c.getSecretMap({ key: 'json', property: 'nope' })).rejects.toBeInstanceOf(NoSecretError);
  });
});

describe('fake provider GetAllSecrets (§7.3)', () => {
  it('name is required: unsupported find operator: %#v', async () => {
    await expect(client(store).getAllSecrets({ tags: { a: 'b' }, conversionStrategy: 'Default' })).rejects.toThrow(
      'unsupported find operator: v1.ExternalSecretFind{Path:(*string)(nil), Name:(*v1.FindName)(nil), Tags:map[string]string{"a":"b"}, ConversionStrategy:"Default", DecodingStrategy:"", NullBytePolicy:""}',
    );
  });
  it('unanchored regexp; tags and path ignored', async () => {
    const out = await client(store).getAllSecrets({ name: { regexp: 'ai' }, path: 'zzz', tags: { x: 'y' } });
    expect(textMap(out)).toEqual({ plain: 'v' });
  });
  it('greatest version by string comparison ("9" > "10"); versioned beats unversioned', async () => {
    const c = client([
      { key: 'k', value: 'unversioned' },
      { key: 'k', value: 'ten', version: '10' },
      { key: 'k', value: 'nine', version: '9' },
    ]);
    expect(textMap(await c.getAllSecrets({ name: { regexp: '^k$' } }))).toEqual({ k: 'nine' });
    const d = client([{ key: 'k', value: 'a', version: '1' }, { key: 'k', value: 'unversioned' }]);
    expect(textMap(await d.getAllSecrets({ name: { regexp: '^k$' } }))).toEqual({ k: 'a' });
  });
  it('converts keys itself (before the controller rewrites)', async () => {
    const c = client([{ key: 'team/app', value: '1' }, { key: 'team/db$', value: '2' }]);
    expect(textMap(await c.getAllSecrets({ name: { regexp: '^team/' } }))).toEqual({ team_app: '1', team_db_: '2' });
    expect(textMap(await c.getAllSecrets({ name: { regexp: '^team/' }, conversionStrategy: 'Unicode' }))).toEqual({ team_U002f_app: '1', 'team_U002f_db_U0024_': '2' });
  });
  it('regexp compile error: could not compile find.name.regexp [%s]: %w', async () => {
    await expect(client(store).getAllSecrets({ name: { regexp: '(' } })).rejects.toThrow('could not compile find.name.regexp [(]: error parsing regexp: missing closing ): `(`');
  });
  it('no match → empty map', async () => expect(await client(store).getAllSecrets({ name: { regexp: '^nothing$' } })).toEqual({}));
});

describe('fake ValidateStore', () => {
  const cases: [FakeProviderData[], string | undefined][] = [
    [[{ key: 'a', value: 'b' }], undefined],
    [[{ key: '', value: 'b' }], 'key must be set in data 0'],
    [[{ key: 'a', value: 'b' }, { key: 'c', value: '' }], 'at least one value must be set in data 1'],
    [[{ key: 'a' } as FakeProviderData], 'at least one value must be set in data 0'],
    [[], undefined],
  ];
  for (const [data, err] of cases) {
    it(`${JSON.stringify(data)} → ${err ?? 'ok'}`, () => {
      if (err) expect(() => validateFakeStore({ data })).toThrow(err);
      else expect(() => validateFakeStore({ data })).not.toThrow();
    });
  }
  it('store conditions regexes are validated first', () => {
    expect(
      secretStoreErrors({
        apiVersion: 'external-secrets.io/v1',
        kind: 'ClusterSecretStore',
        metadata: { name: 's' },
        spec: { provider: { fake: { data: [] } }, conditions: [{ namespaceRegexes: ['ok', '('] }] },
      }),
    ).toEqual(['failed to compile 1th namespace regex in 0th condition: error parsing regexp: missing closing ): `(`']);
  });
});
