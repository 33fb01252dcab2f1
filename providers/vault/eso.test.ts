import { describe, expect, it } from 'vitest';
import { NoSecretError } from '../../core/index.ts';
import {
  buildMetadataPath,
  buildPath,
  parseVaultSecret,
  vaultResponseErrorText,
  vaultSecretMap,
  vaultSecretValue,
  VaultKvClient,
  type KvStore,
  type VaultHttpResult,
  type VaultKvApi,
} from './eso.ts';
import { unmarshalAny } from '../../eso/index.ts';
import type { GoObject } from './eso.ts';

const text = (b: Uint8Array): string => Buffer.from(b).toString('utf8');
const textMap = (m: Record<string, Uint8Array>): Record<string, string> =>
  Object.fromEntries(Object.entries(m).map(([k, v]) => [k, text(v)]));
const obj = (json: string): GoObject => unmarshalAny(json, { useNumber: true }) as GoObject;

describe('Vault buildPath (ESO v2.9.0 providers/v1/vault, its TestGetSecretPath)', () => {
  const rows: [KvStore, string, string][] = [
    [{ path: 'secret', version: 'v2' }, 'foo', 'secret/data/foo'],
    [{ path: 'secret', version: 'v2' }, 'team/app', 'secret/data/team/app'],
    [{ path: 'secret', version: 'v2' }, 'secret/foo', 'secret/data/foo'],
    [{ path: 'secret', version: 'v2' }, 'secret/data/foo', 'secret/data/foo'],
    [{ path: 'secret/path', version: 'v2' }, 'secret/path/foo', 'secret/path/data/foo'],
    [{ path: 'secret', version: 'v2' }, 'secret/secret/foo', 'secret/data/secret/foo'],
    [{ path: 'secret', version: 'v1' }, 'foo', 'secret/foo'],
    [{ path: 'secret', version: 'v1' }, 'secret/foo', 'secret/foo'],
    [{ path: 'secret', version: 'v1' }, 'secret/data/foo', 'secret/data/foo'],
    [{ version: 'v2' }, 'secret/foo', 'secret/data/foo'],
    [{ version: 'v2' }, 'secret/path/foo', 'secret/data/path/foo'],
    [{ version: 'v2' }, 'secret/path/data/foo', 'secret/path/data/foo'],
    [{ version: 'v1' }, 'secret/foo', 'secret/foo'],
    [{ path: 'secret', version: 'v2' }, '/x', 'secret/data//x'],
  ];
  it.each(rows)('%j key %s → %s', (store, key, want) => {
    expect(buildPath(store, key)).toBe(want);
  });
});

describe('Vault buildMetadataPath', () => {
  const rows: [KvStore, string, string][] = [
    [{ path: 'secret', version: 'v2' }, 'foo', 'secret/metadata/foo'],
    [{ path: 'secret', version: 'v2' }, 'secret/foo', 'secret/metadata/secret/foo'],
    [{ path: 'secret', version: 'v2' }, 'dev/', 'secret/metadata/dev/'],
    [{ path: 'kv', version: 'v1' }, 'foo', 'kv/foo'],
    [{ version: 'v2' }, 'secret/data/foo', 'secret/metadata/foo'],
  ];
  it.each(rows)('%j key %s → %s', (store, key, want) => {
    expect(buildMetadataPath(store, key)).toBe(want);
  });
  it('v2 without path needs data in the key', () => {
    expect(() => buildMetadataPath({ version: 'v2' }, 'secret/foo')).toThrow("provided Path isn't a valid kv v2 path");
  });
});

const res = (status: number, body: string, url = 'http://127.0.0.1:8200/v1/secret/data/x'): VaultHttpResult => ({
  status,
  body: Buffer.from(body),
  method: 'GET',
  url,
});

describe('Vault responses as hashicorp/vault/api reads them', () => {
  it('404 without data is no secret', () => {
    expect(parseVaultSecret(res(404, '{"errors":[]}'))).toBeNull();
    expect(parseVaultSecret(res(404, ''))).toBeNull();
  });
  it('404 with data (deleted KV v2 version) is a secret with data', () => {
    const s = parseVaultSecret(res(404, '{"data":{"data":null,"metadata":{"version":2}}}'));
    expect(s?.data?.has('data')).toBe(true);
  });
  it('other errors render as Vault ResponseError text', () => {
    const r = res(403, '{"errors":["permission denied"]}');
    expect(() => parseVaultSecret(r)).toThrow(
      'Error making API request.\n\nURL: GET http://127.0.0.1:8200/v1/secret/data/x\nCode: 403. Errors:\n\n* permission denied',
    );
    expect(vaultResponseErrorText({ ...res(502, 'bad gateway'), namespace: 'team' })).toBe(
      'Error making API request.\n\nNamespace: team\nURL: GET http://127.0.0.1:8200/v1/secret/data/x\nCode: 502. Raw Message:\n\nbad gateway',
    );
  });
});

describe('Vault getSecretValue (§9 Vault columns)', () => {
  const data = obj('{"s":"a\\u0041","i":10,"f":1.50,"e":1e3,"big":12345678901234567890,"t":true,"n":null,"o":{"b" : 1, "a":"<"},"arr":[1, "x"],"a.b":"dotted","nest":{"x":{"y":2.50}}}');
  const rows: [string, string][] = [
    ['s', 'aA'],
    ['i', '10'],
    ['f', '1.50'],
    ['e', '1e3'],
    ['big', '12345678901234567890'],
    ['t', 'true'],
    ['n', ''],
    ['o', '{"a":"\\u003c","b":1}'],
    ['arr', '[1,"x"]'],
    ['a.b', 'dotted'],
    ['nest.x.y', '2.5'],
    ['nest.x', '{"y":2.50}'],
    ['o.a', '<'],
  ];
  it.each(rows)('property %s', (property, want) => {
    expect(text(vaultSecretValue(data, property))).toBe(want);
  });
  it('no property: sorted compact HTML-escaped JSON with original number text and null kept', () => {
    expect(text(vaultSecretValue(obj('{"z":1.50,"a":"<&>","n":null,"big":1e3}'), undefined))).toBe(
      '{"a":"\\u003c\\u0026\\u003e","big":1e3,"n":null,"z":1.50}',
    );
  });
  it('missing property has ESO text and is not NoSecretErr', () => {
    const f = () => vaultSecretValue(obj('{"a":1}'), 'no"pe');
    expect(f).toThrow('cannot find secret data for key: "no\\"pe"');
    expect(f).not.toThrow(NoSecretError);
  });
  it('nil data is NoSecretErr', () => {
    expect(() => vaultSecretValue(null, 'a')).toThrow(NoSecretError);
  });
});

describe('Vault extract (§9 "Vault extract" column: float64 and json.Marshal)', () => {
  it('formats like Go after a float64 round trip', () => {
    const got = vaultSecretMap(
      Buffer.from('{"s":"aA","i":10,"f":1.50,"e":1e3,"big":12345678901234567890,"t":true,"n":null,"o":{"b":1,"a":"<"},"arr":[1,"x"],"small":0.0000001}'),
    );
    expect(textMap(got)).toEqual({
      s: 'aA',
      i: '10',
      f: '1.5',
      e: '1000',
      big: '12345678901234567000',
      t: 'true',
      n: '',
      o: '{"a":"\\u003c","b":1}',
      arr: '[1,"x"]',
      small: '0.0000001',
    });
  });
  it('a non-object is Go’s type error', () => {
    expect(() => vaultSecretMap(Buffer.from('"str"'))).toThrow('json: cannot unmarshal string into Go value of type map[string]interface {}');
  });
});

/** An in-memory KV engine speaking Vault's HTTP shapes. */
class FakeVault implements VaultKvApi {
  calls: string[] = [];
  /** v2 mount `secret`: path → versions (null = deleted); custom metadata. */
  kv2 = new Map<string, { versions: (string | null)[]; custom?: Record<string, string> }>();
  kv1 = new Map<string, string>();
  failWith?: Error;
  constructor(readonly version: 'v1' | 'v2', readonly mount = 'secret') {}
  #res(status: number, body: unknown, path: string, method = 'GET'): VaultHttpResult {
    return { status, body: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)), method, url: `http://vault/v1/${path}` };
  }
  async read(apiPath: string, query?: Record<string, string>): Promise<VaultHttpResult> {
    this.calls.push(`GET ${apiPath}${query ? '?' + new URLSearchParams(query) : ''}`);
    if (this.failWith) throw this.failWith;
    const m = this.mount + '/';
    if (!apiPath.startsWith(m)) return this.#res(403, { errors: ['permission denied'] }, apiPath);
    const rest = apiPath.slice(m.length);
    if (this.version === 'v1') {
      const v = this.kv1.get(rest);
      return v === undefined ? this.#res(404, { errors: [] }, apiPath) : this.#res(200, `{"data":${v}}`, apiPath);
    }
    if (rest.startsWith('data/')) {
      const e = this.kv2.get(rest.slice(5));
      if (!e) return this.#res(404, { errors: [] }, apiPath);
      const n = query?.version ? Number(query.version) : e.versions.length;
      const v = e.versions[n - 1];
      if (v === undefined) return this.#res(404, { errors: [] }, apiPath);
      if (v === null) return this.#res(404, `{"data":{"data":null,"metadata":{"version":${n}}}}`, apiPath);
      return this.#res(200, `{"data":{"data":${v},"metadata":{"version":${n}}}}`, apiPath);
    }
    if (rest.startsWith('metadata/')) {
      const e = this.kv2.get(rest.slice(9));
      if (!e) return this.#res(404, { errors: [] }, apiPath);
      return this.#res(
        200,
        `{"data":{"created_time":"2026-01-01T00:00:00Z","current_version":${e.versions.length},"delete_version_after":"0s","custom_metadata":${JSON.stringify(e.custom ?? null)}}}`,
        apiPath,
      );
    }
    return this.#res(404, { errors: [] }, apiPath);
  }
  async list(apiPath: string): Promise<VaultHttpResult> {
    this.calls.push(`LIST ${apiPath}`);
    const m = this.version === 'v2' ? `${this.mount}/metadata/` : `${this.mount}/`;
    const prefix = apiPath.slice(m.length);
    const names = this.version === 'v2' ? [...this.kv2.keys()] : [...this.kv1.keys()];
    const keys = new Set<string>();
    for (const n of names) {
      if (!n.startsWith(prefix)) continue;
      const rest = n.slice(prefix.length);
      const i = rest.indexOf('/');
      keys.add(i < 0 ? rest : rest.slice(0, i + 1));
    }
    if (keys.size === 0) return this.#res(404, { errors: [] }, apiPath, 'LIST');
    return this.#res(200, { data: { keys: [...keys].sort() } }, apiPath, 'LIST');
  }
}

describe('VaultKvClient', () => {
  const sentinel = 'esi-sentinel-vault-77a1';
  const v2 = () => {
    const f = new FakeVault('v2');
    f.kv2.set('app/db', { versions: ['{"user":"u1"}', `{"user":"app","password":"${sentinel}","port":5432}`], custom: { env: 'prod', owner: 'team-a' } });
    f.kv2.set('app/cache', { versions: ['{"url":"redis://x"}'], custom: { env: 'dev' } });
    f.kv2.set('app/gone', { versions: ['{"a":1}', null] });
    f.kv2.set('top', { versions: ['{"k":"v"}'] });
    return f;
  };
  const store2: KvStore = { path: 'secret', version: 'v2' };

  it('reads KV v2 once per path per sync', async () => {
    const f = v2();
    const c = new VaultKvClient(f, store2);
    expect(text(await c.getSecret({ key: 'app/db', property: 'user' }))).toBe('app');
    expect(text(await c.getSecret({ key: 'app/db', property: 'password' }))).toBe(sentinel);
    expect(textMap(await c.getSecretMap({ key: 'app/db' }))).toEqual({ user: 'app', password: sentinel, port: '5432' });
    expect(f.calls).toEqual(['GET secret/data/app/db']);
  });

  it('passes ?version= and reads older versions', async () => {
    const f = v2();
    expect(text(await new VaultKvClient(f, store2).getSecret({ key: 'app/db', version: '1', property: 'user' }))).toBe('u1');
    expect(f.calls).toEqual(['GET secret/data/app/db?version=1']);
  });

  it('404 and a deleted version are NoSecretErr', async () => {
    const c = new VaultKvClient(v2(), store2);
    await expect(c.getSecret({ key: 'absent' })).rejects.toBeInstanceOf(NoSecretError);
    await expect(c.getSecret({ key: 'app/gone' })).rejects.toBeInstanceOf(NoSecretError);
  });

  it('v2 response without a data field, or with non-object data', async () => {
    const api: VaultKvApi = {
      read: async (p) => res(200, p.includes('nodata') ? '{"data":{"x":1}}' : '{"data":{"data":"str"}}'),
      list: async () => res(404, ''),
    };
    const c = new VaultKvClient(api, store2);
    await expect(c.getSecret({ key: 'nodata' })).rejects.toThrow(/^failed to find data field$/);
    await expect(c.getSecret({ key: 'str' })).rejects.toThrow(/^failed to unmarshall JSON$/);
  });

  it('wraps transport and HTTP errors as ESO does, and does not cache them', async () => {
    const f = v2();
    f.failWith = new Error('connect ECONNREFUSED 127.0.0.1:8200');
    const c = new VaultKvClient(f, store2);
    await expect(c.getSecret({ key: 'app/db' })).rejects.toThrow('cannot read secret data from Vault: connect ECONNREFUSED 127.0.0.1:8200');
    f.failWith = undefined;
    expect(text(await c.getSecret({ key: 'app/db', property: 'user' }))).toBe('app');
    await expect(new VaultKvClient(f, { path: 'other', version: 'v2' }).getSecret({ key: 'x' })).rejects.toThrow(
      /^cannot read secret data from Vault: Error making API request\.\n\nURL: GET http:\/\/vault\/v1\/other\/data\/x\nCode: 403\. Errors:\n\n\* permission denied$/,
    );
  });

  it('KV v1 reads the mount path directly', async () => {
    const f = new FakeVault('v1', 'kv');
    f.kv1.set('app/db', '{"user":"v1user","n":1.50}');
    const c = new VaultKvClient(f, { path: 'kv', version: 'v1' });
    expect(text(await c.getSecret({ key: 'app/db' }))).toBe('{"n":1.50,"user":"v1user"}');
    expect(textMap(await c.getSecretMap({ key: 'app/db' }))).toEqual({ user: 'v1user', n: '1.5' });
    expect(f.calls).toEqual(['GET kv/app/db']);
  });

  it('metadataPolicy Fetch: system keys overlaid by custom_metadata, v2 only', async () => {
    const f = v2();
    const c = new VaultKvClient(f, store2);
    expect(text(await c.getSecret({ key: 'app/db', metadataPolicy: 'Fetch', property: 'owner' }))).toBe('team-a');
    expect(text(await c.getSecret({ key: 'app/db', metadataPolicy: 'Fetch', property: 'current_version' }))).toBe('2');
    expect(text(await c.getSecret({ key: 'app/db', metadataPolicy: 'Fetch' }))).toBe(
      '{"created_time":"2026-01-01T00:00:00Z","current_version":"2","delete_version_after":"0s","env":"prod","owner":"team-a"}',
    );
    expect(f.calls).toEqual(['GET secret/metadata/app/db']);
    await expect(c.getSecret({ key: 'absent', metadataPolicy: 'Fetch' })).rejects.toThrow(/^secret not found$/);
    const c1 = new VaultKvClient(new FakeVault('v1'), { path: 'secret', version: 'v1' });
    await expect(c1.getSecret({ key: 'a', metadataPolicy: 'Fetch' })).rejects.toThrow('cannot perform metadata fetch operations with kv version v1');
  });

  it('find by name lists recursively; keys keep the find.path prefix', async () => {
    const f = v2();
    const got = await new VaultKvClient(f, store2).getAllSecrets({ path: 'app', name: { regexp: 'd' } });
    expect(Object.keys(got).sort()).toEqual(['app/db']);
    expect(text(got['app/db'])).toBe(`{"password":"${sentinel}","port":5432,"user":"app"}`);
    expect(f.calls.filter((c) => c.startsWith('LIST'))).toEqual(['LIST secret/metadata/app/']);
  });

  it('find without name or tags returns everything, skipping soft-deleted latest versions', async () => {
    const got = await new VaultKvClient(v2(), store2).getAllSecrets({});
    expect(Object.keys(got).sort()).toEqual(['app/cache', 'app/db', 'top']);
  });

  it('find by tags matches metadata (custom and system keys)', async () => {
    const c = new VaultKvClient(v2(), store2);
    expect(Object.keys(await c.getAllSecrets({ tags: { env: 'prod' } }))).toEqual(['app/db']);
    expect(Object.keys(await c.getAllSecrets({ tags: { current_version: '1', env: 'dev' } }))).toEqual(['app/cache']);
  });

  it('find under a missing path is NoSecretErr; v1 refuses tags', async () => {
    await expect(new VaultKvClient(v2(), store2).getAllSecrets({ path: 'nothing', name: { regexp: '.' } })).rejects.toBeInstanceOf(NoSecretError);
    await expect(new VaultKvClient(new FakeVault('v1'), { path: 'secret', version: 'v1' }).getAllSecrets({ tags: {} })).rejects.toThrow(
      'cannot perform find by tag operations with kv version v1',
    );
  });

  it('find on KV v1 lists the mount itself', async () => {
    const f = new FakeVault('v1', 'kv');
    f.kv1.set('dev/a', '{"x":"1"}');
    f.kv1.set('dev/sub/b', '{"y":"2"}');
    const got = await new VaultKvClient(f, { path: 'kv', version: 'v1' }).getAllSecrets({ path: 'dev' });
    expect(textMap(got)).toEqual({ 'dev/a': '{"x":"1"}', 'dev/sub/b': '{"y":"2"}' });
    expect(f.calls.filter((c) => c.startsWith('GET'))).toEqual(['GET kv/dev/a', 'GET kv/dev/sub/b']);
  });

  it('never puts a value into an error message', async () => {
    const c = new VaultKvClient(v2(), store2);
    const e = await c.getSecret({ key: 'app/db', property: 'nope' }).catch((x) => x);
    expect(String(e.message)).not.toContain(sentinel);
  });
});

/**
 * ESO's value serialisation (v2.9.0 providers/v1/vault and aws/secretsmanager with gjson v1.18.0 and Go's encoding/json), row by row: each backend JSON value under every Vault column (and the AWS columns
 * live in aws.test.ts, which uses the same rows). Vault data is decoded with UseNumber, as the client does.
 */
describe('§9 cheat sheet, Vault columns', () => {
  // [backend JSON, top-level key, gjson path, extract, no property (the value inside the whole JSON)]
  const rows: [string, string, string, string, string][] = [
    ['"a\\u0041"', 'aA', 'aA', 'aA', '"aA"'],
    ['10', '10', '10', '10', '10'],
    ['1.50', '1.50', '1.5', '1.5', '1.50'],
    ['1e3', '1e3', '1000', '1000', '1e3'],
    ['12345678901234567890', '12345678901234567890', '12345678901234567890', '12345678901234567000', '12345678901234567890'],
    ['true', 'true', 'true', 'true', 'true'],
    ['null', '', '', '', 'null'],
    ['{"b" : 1, "a":"<"}', '{"a":"\\u003c","b":1}', '{"a":"\\u003c","b":1}', '{"a":"\\u003c","b":1}', '{"a":"\\u003c","b":1}'],
    ['[1, "x"]', '[1,"x"]', '[1,"x"]', '[1,"x"]', '[1,"x"]'],
  ];
  it.each(rows)('%s', (json, topLevel, gjsonPath, extract, whole) => {
    const top = obj(`{"p":${json}}`);
    expect(text(vaultSecretValue(top, 'p'))).toBe(topLevel);
    expect(text(vaultSecretValue(obj(`{"w":{"p":${json}}}`), 'w.p'))).toBe(gjsonPath);
    expect(text(vaultSecretMap(vaultSecretValue(top, undefined))['p']!)).toBe(extract);
    expect(text(vaultSecretValue(top, undefined))).toBe(`{"p":${whole}}`);
  });
});
