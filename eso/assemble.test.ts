import { describe, expect, it } from 'vitest';
import { existingSecret, fakeStore, makeES, render, secretData } from './testkit.test-util.ts';
import type { FakeProviderData } from './types.ts';

const data: FakeProviderData[] = [
  { key: 'db', value: '{"user":"u","password":"p","port":5432}' },
  { key: 'db2', value: '{"user":"u2","extra":"e"}' },
  { key: 'plain', value: 'plain-value' },
  { key: 'b64', value: 'aGVsbG8=' },
  { key: 'badb64', value: 'aGVsbG8' },
  { key: 'nul', value: 'AA==' },
  { key: 'slashy', value: '{"a/b":"1","c":"2"}' },
  { key: 'collide', value: '{"a/b":"1","a_b":"2"}' },
  { key: 'arr', value: '[1]' },
  { key: 'app/one', value: 'v1' },
  { key: 'app/two', value: 'v2' },
  { key: 'emptykey', value: '{"":"gone","k":"v"}' },
  { key: 'nulmap', value: '{"b":"AA==","a":"AA=="}' },
];
const store = fakeStore(data);

type Case = { name: string; spec: Record<string, unknown>; out?: Record<string, string>; err?: string; none?: string };
const ref = (key: string, extra: Record<string, unknown> = {}) => ({ key, ...extra });

const cases: Case[] = [
  { name: 'data[]: one value per secretKey, used verbatim', spec: { data: [{ secretKey: 'k.1', remoteRef: ref('plain') }] }, out: { 'k.1': 'plain-value' } },
  { name: 'data[] property', spec: { data: [{ secretKey: 'u', remoteRef: ref('db', { property: 'user' }) }] }, out: { u: 'u' } },
  { name: 'data[] conversionStrategy is ignored', spec: { data: [{ secretKey: 'u', remoteRef: ref('plain', { conversionStrategy: 'Unicode' }) }] }, out: { u: 'plain-value' } },
  { name: 'data[] decodingStrategy Base64', spec: { data: [{ secretKey: 'h', remoteRef: ref('b64', { decodingStrategy: 'Base64' }) }] }, out: { h: 'hello' } },
  { name: 'data[] decodingStrategy Auto leaves unpadded base64', spec: { data: [{ secretKey: 'h', remoteRef: ref('badb64', { decodingStrategy: 'Auto' }) }] }, out: { h: 'aGVsbG8' } },
  { name: 'data[] decode error', spec: { data: [{ secretKey: 'h', remoteRef: ref('badb64', { decodingStrategy: 'Base64' }) }] }, err: 'error processing spec.data[0] (key: badb64), err: error applying decoding strategy Base64 to data: illegal base64 data at input byte 4' },
  { name: 'data[] NoSecretErr under Retain fails', spec: { data: [{ secretKey: 'x', remoteRef: ref('missing') }] }, err: 'error processing spec.data[0] (key: missing), err: Secret does not exist' },
  { name: 'data[] missing property is NoSecretErr (fake) and fails under Retain', spec: { data: [{ secretKey: 'x', remoteRef: ref('db', { property: 'nope' }) }] }, err: 'error processing spec.data[0] (key: db), err: Secret does not exist' },
  { name: 'data[] NoSecretErr skipped under Delete', spec: { target: { deletionPolicy: 'Delete' }, data: [{ secretKey: 'x', remoteRef: ref('missing') }, { secretKey: 'y', remoteRef: ref('plain') }] }, out: { y: 'plain-value' } },
  { name: 'data[] NoSecretErr skipped under Merge', spec: { target: { deletionPolicy: 'Merge' }, data: [{ secretKey: 'x', remoteRef: ref('db', { property: 'nope' }) }, { secretKey: 'y', remoteRef: ref('plain') }] }, out: { y: 'plain-value' } },
  { name: 'data[] nullBytePolicy Fail', spec: { data: [{ secretKey: 'n', remoteRef: ref('nul', { decodingStrategy: 'Base64', nullBytePolicy: 'Fail' }) }] }, err: 'error processing spec.data[0] (key: nul), err: fetched secret value for key "n" contains null bytes; use a text-safe format such as PEM/base64 or leave nullBytePolicy unset for intentional binary data' },
  { name: 'data[] nullBytePolicy unset allows NUL', spec: { data: [{ secretKey: 'n', remoteRef: ref('nul', { decodingStrategy: 'Base64' }) }] }, out: { n: '\0' } },
  { name: 'data[] nullBytePolicy Ignore allows NUL', spec: { data: [{ secretKey: 'n', remoteRef: ref('nul', { decodingStrategy: 'Base64', nullBytePolicy: 'Ignore' }) }] }, out: { n: '\0' } },
  { name: 'later data[] with the same secretKey wins', spec: { target: { deletionPolicy: 'Merge' }, data: [{ secretKey: 'k', remoteRef: ref('plain') }, { secretKey: 'k', remoteRef: ref('db', { property: 'user' }) }] }, out: { k: 'u' } },
  { name: 'extract: one secret → many keys', spec: { dataFrom: [{ extract: ref('db') }] }, out: { user: 'u', password: 'p', port: '5432' } },
  { name: 'dataFrom in order; later entries overwrite earlier keys', spec: { dataFrom: [{ extract: ref('db') }, { extract: ref('db2') }] }, out: { user: 'u2', password: 'p', port: '5432', extra: 'e' } },
  { name: 'data[] applied after dataFrom wins', spec: { dataFrom: [{ extract: ref('db') }], data: [{ secretKey: 'user', remoteRef: ref('plain') }] }, out: { user: 'plain-value', password: 'p', port: '5432' } },
  { name: 'extract converts keys (Default)', spec: { dataFrom: [{ extract: ref('slashy') }] }, out: { a_b: '1', c: '2' } },
  { name: 'extract converts keys (Unicode)', spec: { dataFrom: [{ extract: ref('slashy', { conversionStrategy: 'Unicode' }) }] }, out: { a_U002f_b: '1', c: '2' } },
  { name: 'a rewrite disables conversion, so `/` fails validation', spec: { dataFrom: [{ extract: ref('slashy'), rewrite: [{ regexp: { source: '^c$', target: 'd' } }] }] }, err: "error processing spec.dataFrom[0].extract, err: invalid secret keys (TIP: use rewrite or conversionStrategy to change keys): key has invalid character /, only alphanumeric, '-', '.' and '_' are allowed: a/b" },
  { name: 'conversion collision with an omitted strategy (double space)', spec: { dataFrom: [{ extract: ref('collide') }] }, err: 'error processing spec.dataFrom[0].extract, err: error applying conversion strategy  to keys: secret name collision during conversion: a_b' },
  { name: 'conversion collision with Default', spec: { dataFrom: [{ extract: ref('collide', { conversionStrategy: 'Default' }) }] }, err: 'error applying conversion strategy Default to keys: secret name collision during conversion: a_b' },
  { name: 'extract of a non-object', spec: { dataFrom: [{ extract: ref('arr') }] }, err: 'error processing spec.dataFrom[0].extract, err: unable to unmarshal secret: json: cannot unmarshal array into Go value of type map[string]json.RawMessage' },
  { name: 'extract NoSecretErr under Retain', spec: { dataFrom: [{ extract: ref('missing') }] }, err: 'error processing spec.dataFrom[0].extract, err: Secret does not exist' },
  { name: 'extract NoSecretErr skipped under Delete', spec: { target: { deletionPolicy: 'Delete' }, dataFrom: [{ extract: ref('missing') }, { extract: ref('db2') }] }, out: { user: 'u2', extra: 'e' } },
  { name: 'extract non-NoSecret error fails even under Delete', spec: { target: { deletionPolicy: 'Delete' }, dataFrom: [{ extract: ref('arr') }] }, err: 'unable to unmarshal secret' },
  { name: 'extract decoding applies to values after conversion', spec: { dataFrom: [{ extract: ref('nulmap', { decodingStrategy: 'Base64' }) }] }, out: { a: '\0', b: '\0' } },
  { name: 'extract decoding error names the key', spec: { dataFrom: [{ extract: ref('db', { decodingStrategy: 'Base64' }) }] }, err: 'error processing spec.dataFrom[0].extract, err: error applying decoding strategy Base64 to data: failure decoding key ' },
  { name: 'extract nullBytePolicy checks keys in sorted order', spec: { dataFrom: [{ extract: ref('nulmap', { decodingStrategy: 'Base64', nullBytePolicy: 'Fail' }) }] }, err: 'error processing spec.dataFrom[0].extract, err: fetched secret value for key "a" contains null bytes' },
  { name: 'empty keys are dropped silently', spec: { dataFrom: [{ extract: ref('emptykey') }] }, out: { k: 'v' } },
  { name: 'find by name: keys converted, `/` → `_`', spec: { dataFrom: [{ find: { name: { regexp: '^app/' } } }] }, out: { app_one: 'v1', app_two: 'v2' } },
  { name: 'find then rewrite (fake converts before rewrite)', spec: { dataFrom: [{ find: { name: { regexp: '^app/' } }, rewrite: [{ regexp: { source: '^app_', target: '' } }] }] }, out: { one: 'v1', two: 'v2' } },
  { name: 'find without name (fake)', spec: { dataFrom: [{ find: { tags: { a: 'b' } } }] }, err: 'error processing spec.dataFrom[0].find, err: error getting all secrets: unsupported find operator: v1.ExternalSecretFind{' },
  { name: 'find regexp compile error', spec: { dataFrom: [{ find: { name: { regexp: '[' } } }] }, err: 'error processing spec.dataFrom[0].find, err: error getting all secrets: could not compile find.name.regexp [[]: error parsing regexp: missing closing ]: `[`' },
  { name: 'find with no match and Retain: empty result, no Secret', spec: { dataFrom: [{ find: { name: { regexp: '^zzz' } } }] }, none: 'secret retained due to DeletionPolicy=Retain' },
  { name: 'rewrite error wrapping', spec: { dataFrom: [{ extract: ref('db'), rewrite: [{ merge: { into: '' , strategy: 'JSON' } }] }] }, err: "error processing spec.dataFrom[0].extract, err: error applying rewrite to keys: failed rewrite operation[0]: merge failed with failed to unmarshal JSON: invalid character 'p' looking for beginning of value" },
  { name: 'generatorRef is out of scope', spec: { dataFrom: [{ sourceRef: { generatorRef: { kind: 'Password', name: 'p' } } }] }, err: 'error processing spec.dataFrom[0].sourceRef.generatorRef, err: generators are not supported by esi' },
  { name: 'store not found', spec: { secretStoreRef: { name: 'nope' }, data: [{ secretKey: 'x', remoteRef: ref('plain') }] }, err: 'error processing spec.data[0] (key: plain), err: could not get SecretStore "nope", secretstores.external-secrets.io "nope" not found' },
  { name: 'ClusterSecretStore not found', spec: { secretStoreRef: { name: 'nope', kind: 'ClusterSecretStore' }, dataFrom: [{ extract: ref('db') }] }, err: 'error processing spec.dataFrom[0].extract, err: could not get ClusterSecretStore "nope", clustersecretstores.external-secrets.io "nope" not found' },
  { name: 'sourceRef.storeRef overrides the store for an entry', spec: { secretStoreRef: { name: 'nope' }, data: [{ secretKey: 'x', remoteRef: ref('plain'), sourceRef: { storeRef: { name: 'fake' } } }] }, out: { x: 'plain-value' } },
  { name: 'dataFrom sourceRef.storeRef override', spec: { secretStoreRef: { name: 'nope' }, dataFrom: [{ extract: ref('db2'), sourceRef: { storeRef: { name: 'fake', kind: 'SecretStore' } } }] }, out: { user: 'u2', extra: 'e' } },
  { name: 'store with empty name', spec: { secretStoreRef: undefined, data: [{ secretKey: 'x', remoteRef: ref('plain') }] }, err: 'could not get SecretStore "", resource name may not be empty' },
];

describe('data assembly (§3)', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const es = makeES(c.spec);
      if (c.err) {
        await expect(render(es, [store])).rejects.toThrow(c.err);
        return;
      }
      const r = await render(es, [store]);
      if (c.none) {
        expect(r.outcome.action).toBe('none');
        expect((r.outcome as { reason: string }).reason).toContain(c.none);
        return;
      }
      expect(r.outcome.action).toBe('write');
      if (r.outcome.action === 'write') expect(secretData(r.outcome.secret)).toEqual(c.out);
    });
  }
  it('errors name the field at fault', async () => {
    const es = makeES({ data: [{ secretKey: 'x', remoteRef: ref('missing', { property: 'p' }) }] });
    const err = (await render(es, [store]).then(() => ({}), (e: unknown) => e)) as { field?: string };
    expect(err.field).toBe('spec.data[0].remoteRef (key "missing", property "p")');
  });
  it('skipped entries are reported as missing', async () => {
    const es = makeES({ target: { deletionPolicy: 'Delete' }, dataFrom: [{ extract: ref('missing') }], data: [{ secretKey: 'x', remoteRef: ref('nope') }, { secretKey: 'y', remoteRef: ref('plain') }] });
    expect((await render(es, [store])).missing).toEqual(['spec.dataFrom[0]', 'spec.data[0]']);
  });
  it('v1beta1 ExternalSecrets assemble the same', async () => {
    const es = makeES({ dataFrom: [{ extract: ref('slashy') }] }, {}, 'external-secrets.io/v1beta1');
    const r = await render(es, [store]);
    expect(r.outcome.action === 'write' && secretData(r.outcome.secret)).toEqual({ a_b: '1', c: '2' });
  });
  it('the existing Secret does not change what is fetched', async () => {
    const es = makeES({ data: [{ secretKey: 'x', remoteRef: ref('plain') }] });
    const r = await render(es, [store], { existing: existingSecret({ old: 'o' }) });
    expect(r.outcome.action === 'write' && secretData(r.outcome.secret)).toEqual({ x: 'plain-value' });
  });
});

describe('render properties', async () => {
  const fc = (await import('fast-check')).default;
  const { EsiError } = await import('../core/index.ts');
  const CANARY = 'CANARY-Zq81x';
  const value = fc.oneof(
    fc.constant(`{"a":"${CANARY}","b/c":"${CANARY}-2","n":1.50}`),
    fc.constant(`${CANARY}`),
    fc.constant(`[${JSON.stringify(CANARY)}]`),
    fc.constant(Buffer.from(CANARY).toString('base64')),
    fc.string({ maxLength: 12 }).map((s) => `${CANARY}${s}`),
  );
  const remote = fc.record({
    key: fc.constantFrom('k1', 'k2', 'k/3', 'missing'),
    property: fc.option(fc.constantFrom('a', 'b/c', 'n', 'zz'), { nil: undefined }),
    decodingStrategy: fc.option(fc.constantFrom('None', 'Base64', 'Base64URL', 'Auto'), { nil: undefined }),
    nullBytePolicy: fc.option(fc.constantFrom('Fail', 'Ignore'), { nil: undefined }),
  });
  const spec = fc.record({
    target: fc.record({
      creationPolicy: fc.constantFrom('Owner', 'Orphan', 'Merge', 'CreateOrMerge'),
      deletionPolicy: fc.constantFrom('Retain', 'Merge'),
    }),
    data: fc.array(fc.record({ secretKey: fc.constantFrom('x', 'y', 'z.1'), remoteRef: remote }), { maxLength: 3 }),
    dataFrom: fc.array(
      fc.oneof(
        fc.record({ extract: remote }),
        fc.record({ find: fc.record({ name: fc.record({ regexp: fc.constantFrom('^k', '.*', '(', 'k/') }), conversionStrategy: fc.constantFrom('Default', 'Unicode') }) }),
        fc.record({ extract: remote, rewrite: fc.constant([{ regexp: { source: '^(.)', target: 'r-$1' } }]) }),
      ),
      { maxLength: 2 },
    ),
  });
  it('random ExternalSecrets over random fake data: a Secret, a reason, or an EsiError without values', async () => {
    await fc.assert(
      fc.asyncProperty(spec, fc.array(value, { minLength: 3, maxLength: 3 }), async (s, values) => {
        const st = fakeStore([{ key: 'k1', value: values[0]! }, { key: 'k2', value: values[1]! }, { key: 'k/3', value: values[2]! }]);
        const body = { ...s, data: s.data.length + s.dataFrom.length === 0 ? [{ secretKey: 'x', remoteRef: { key: 'k1' } }] : s.data };
        try {
          const r = await render(makeES(body), [st]);
          expect(['write', 'none', 'delete']).toContain(r.outcome.action);
        } catch (e) {
          expect(e).toBeInstanceOf(EsiError);
          expect((e as Error).message).not.toContain(CANARY);
          expect((e as Error).message).not.toContain('Q0FOQVJZ');
        }
      }),
      { numRuns: 400 },
    );
  });
});
