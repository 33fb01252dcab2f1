import { describe, expect, it } from 'vitest';
import { NoSecretError } from '../../../core/index.ts';
import type { RemoteRef } from '../../../eso/index.ts';
import { findFilters, parameterName, ParameterStoreClient, type ParameterStoreApi, type SsmParameterFilter } from './eso.ts';

const text = (b: Uint8Array): string => Buffer.from(b).toString('utf8');
const textMap = (m: Record<string, Uint8Array>): Record<string, string> => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, text(v)]));

function sdkError(name: string, message: string, status = 400): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status, requestId: 'req-1' } });
}

/** An in-memory SSM: parameters by name (and `name:version`), tags, and a log of the calls made. */
function memorySsm(params: Record<string, string>, opts: { tags?: Record<string, Record<string, string>>; denyByPath?: boolean; pageSize?: number } = {}) {
  const calls: string[] = [];
  const names = Object.keys(params).filter((n) => !n.includes(':'));
  const page = <T>(items: T[], token?: string) => {
    const start = token ? Number(token) : 0;
    const size = opts.pageSize ?? 100;
    return { items: items.slice(start, start + size), next: start + size < items.length ? String(start + size) : undefined };
  };
  const matches = (name: string, filters: SsmParameterFilter[] = []) =>
    filters.every((f) => {
      if (f.Key === 'Path') return f.Values[0] === '/' || name.startsWith(`${f.Values[0]!.replace(/\/$/, '')}/`);
      const tag = f.Key.slice('tag:'.length);
      return opts.tags?.[name]?.[tag] === f.Values[0];
    });
  const api: ParameterStoreApi = {
    async getParameter({ Name, WithDecryption }) {
      calls.push(`GetParameter ${Name}${WithDecryption ? '' : ' (encrypted)'}`);
      if (!(Name in params)) throw sdkError('ParameterNotFound', '');
      return { Parameter: { Name: Name.split(':')[0], Value: params[Name] } };
    },
    async getParameters({ Names }) {
      calls.push(`GetParameters ${Names.join(',')}`);
      return { Parameters: Names.filter((n) => n in params).map((n) => ({ Name: n, Value: params[n] })), InvalidParameters: Names.filter((n) => !(n in params)) };
    },
    async getParametersByPath({ Path, Recursive, WithDecryption, NextToken }) {
      calls.push(`GetParametersByPath ${Path} ${Recursive} ${WithDecryption}`);
      if (opts.denyByPath) throw sdkError('AccessDeniedException', 'User is not authorized to perform: ssm:GetParametersByPath');
      const p = page(names.filter((n) => matches(n, [{ Key: 'Path', Values: [Path] }])), NextToken);
      return { Parameters: p.items.map((n) => ({ Name: n, Value: params[n] })), NextToken: p.next };
    },
    async describeParameters({ ParameterFilters, NextToken }) {
      calls.push(`DescribeParameters ${JSON.stringify(ParameterFilters)}`);
      const p = page(names.filter((n) => matches(n, ParameterFilters)), NextToken);
      return { Parameters: p.items.map((n) => ({ Name: n })), NextToken: p.next };
    },
    async listTagsForResource({ ResourceId }) {
      calls.push(`ListTagsForResource ${ResourceId}`);
      if (!(ResourceId in params)) throw sdkError('InvalidResourceId', '');
      return { TagList: Object.entries(opts.tags?.[ResourceId] ?? {}).map(([Key, Value]) => ({ Key, Value })) };
    },
  };
  return { api, calls };
}

describe('Parameter Store GetSecret (ESO parameterstore.go)', () => {
  const params = {
    '/app/db': '{"user":"admin","pass":"s3cret","a.b":"literal","a":{"b":"nested"},"port":5432}',
    '/app/db:1': '{"user":"old"}',
    '/app/plain': 'just text',
    '/team/app/db': '{"user":"prefixed"}',
  };

  it('reads the value with decryption, a version as name:version, and prepends the store prefix', async () => {
    const { api, calls } = memorySsm(params);
    const c = new ParameterStoreClient(api);
    expect(text(await c.getSecret({ key: '/app/plain' }))).toBe('just text');
    expect(text(await c.getSecret({ key: '/app/db', version: '1', property: 'user' }))).toBe('old');
    expect(text(await new ParameterStoreClient(api, { prefix: '/team' }).getSecret({ key: '/app/db', property: 'user' }))).toBe('prefixed');
    expect(calls).toEqual(['GetParameter /app/plain', 'GetParameter /app/db:1', 'GetParameter /team/app/db']);
    expect(parameterName('/p', { key: 'k', version: 'prod' })).toBe('/pk:prod');
  });

  it.each<[string, RemoteRef, string]>([
    ['a property through gjson', { key: '/app/db', property: 'user' }, 'admin'],
    ['a literal dotted key before the same text as a path', { key: '/app/db', property: 'a.b' }, 'literal'],
    ['a number as its JSON text', { key: '/app/db', property: 'port' }, '5432'],
    ['a gjson path into an object', { key: '/app/db', property: 'a' }, '{"b":"nested"}'],
  ])('%s', async (_, ref, want) => {
    expect(text(await new ParameterStoreClient(memorySsm(params).api).getSecret(ref))).toBe(want);
  });

  it('says which property of which key is missing, in ESO\'s words', async () => {
    await expect(new ParameterStoreClient(memorySsm(params).api).getSecret({ key: '/app/db', property: 'nope' })).rejects.toThrow('key nope does not exist in secret /app/db');
  });

  it('maps ParameterNotFound to NoSecretErr and other errors to the sanitised SDK text', async () => {
    const c = new ParameterStoreClient(memorySsm(params).api);
    await expect(c.getSecret({ key: '/missing' })).rejects.toBeInstanceOf(NoSecretError);
    const denied: ParameterStoreApi = { ...memorySsm(params).api, getParameter: async () => { throw sdkError('AccessDeniedException', 'not authorized to perform ssm:GetParameter request id: abc Credential=AKIA/x'); } };
    const err = await new ParameterStoreClient(denied).getSecret({ key: '/app/db' }).catch((e: Error) => e);
    expect((err as Error).message).toBe('operation error SSM: GetParameter, https response error StatusCode: 400, RequestID: req-1, api error AccessDeniedException: not authorized to perform ssm:GetParameter ');
  });

  it('metadataPolicy Fetch reads the tags of the (versioned) name as a JSON object, keys sorted', async () => {
    const { api, calls } = memorySsm(params, { tags: { '/app/db': { team: 'a', env: 'prod <1>' } } });
    const c = new ParameterStoreClient(api);
    expect(text(await c.getSecret({ key: '/app/db', metadataPolicy: 'Fetch' }))).toBe('{"env":"prod \\u003c1\\u003e","team":"a"}');
    expect(text(await c.getSecret({ key: '/app/db', metadataPolicy: 'Fetch', property: 'team' }))).toBe('a');
    expect(calls).toEqual(['ListTagsForResource /app/db']);
    await expect(c.getSecret({ key: '/missing', metadataPolicy: 'Fetch' })).rejects.toThrow(/^error listing tags operation error SSM: ListTagsForResource, .*api error InvalidResourceId/);
  });

  it('GetSecretMap unquotes strings and keeps other JSON values as text; a non-object is ESO\'s unmarshal error', async () => {
    const c = new ParameterStoreClient(memorySsm(params).api);
    expect(textMap(await c.getSecretMap({ key: '/app/db', version: '1' }))).toEqual({ user: 'old' });
    expect(textMap(await c.getSecretMap({ key: '/app/db' }))).toMatchObject({ user: 'admin', port: '5432', a: '{"b":"nested"}' });
    await expect(c.getSecretMap({ key: '/app/plain' })).rejects.toThrow(/^unable to unmarshal secret \/app\/plain: invalid character 'j'/);
  });
});

describe('Parameter Store GetAllSecrets', () => {
  const params = { '/app/db': 'd', '/app/api': 'a', '/app/sub/key': 'k', '/other/x': 'x' };

  it('by name: GetParametersByPath from "/" (recursive, decrypted), every page, names matched by the Go regexp', async () => {
    const { api, calls } = memorySsm(params, { pageSize: 2 });
    expect(textMap(await new ParameterStoreClient(api).getAllSecrets({ name: { regexp: '^/app/(db|sub)' } }))).toEqual({ '/app/db': 'd', '/app/sub/key': 'k' });
    expect(calls).toEqual(['GetParametersByPath / true true', 'GetParametersByPath / true true']);
    expect(textMap(await new ParameterStoreClient(api).getAllSecrets({ name: { regexp: '.' }, path: '/other' }))).toEqual({ '/other/x': 'x' });
  });

  it('by name falls back to DescribeParameters + GetParameter when GetParametersByPath is denied', async () => {
    const { api, calls } = memorySsm(params, { denyByPath: true });
    const fallbacks: string[] = [];
    const c = new ParameterStoreClient(api, { onFallback: (p) => fallbacks.push(p) });
    expect(textMap(await c.getAllSecrets({ name: { regexp: 'api|db' }, path: '/app' }))).toEqual({ '/app/db': 'd', '/app/api': 'a' });
    expect(fallbacks).toEqual(['/app']);
    expect(calls[1]).toBe('DescribeParameters [{"Key":"Path","Option":"Recursive","Values":["/app"]}]');
  });

  it('by name: another GetParametersByPath error names the path', async () => {
    const api: ParameterStoreApi = { ...memorySsm(params).api, getParametersByPath: async () => { throw sdkError('ThrottlingException', 'Rate exceeded'); } };
    await expect(new ParameterStoreClient(api).getAllSecrets({ name: { regexp: '.' } })).rejects.toThrow(/^fetching parameters by path \/: operation error SSM: GetParametersByPath, .*ThrottlingException: Rate exceeded/);
  });

  it('by tags: DescribeParameters with tag:<key> Equals (and the path), then each value; name wins over tags', async () => {
    const tags = { '/app/db': { team: 'a' }, '/other/x': { team: 'a' }, '/app/api': { team: 'b' } };
    const { api, calls } = memorySsm(params, { tags });
    expect(textMap(await new ParameterStoreClient(api).getAllSecrets({ tags: { team: 'a' } }))).toEqual({ '/app/db': 'd', '/other/x': 'x' });
    expect(calls[0]).toBe('DescribeParameters [{"Key":"tag:team","Option":"Equals","Values":["a"]}]');
    expect(textMap(await new ParameterStoreClient(api).getAllSecrets({ tags: { team: 'a' }, path: '/app' }))).toEqual({ '/app/db': 'd' });
    expect(textMap(await new ParameterStoreClient(api).getAllSecrets({ tags: { team: 'b' }, name: { regexp: 'x$' } }))).toEqual({ '/other/x': 'x' });
    expect(findFilters({ tags: { b: '2', a: '1' } }, '/p').map((f) => f.Key)).toEqual(['tag:a', 'tag:b', 'Path']);
  });

  it('a listed parameter that vanished before its read is an error, not a skipped key', async () => {
    const { api } = memorySsm(params, { tags: { '/app/db': { t: '1' } } });
    const racing: ParameterStoreApi = { ...api, getParameters: async () => ({ Parameters: [] }), getParameter: async () => { throw sdkError('ParameterNotFound', ''); } };
    await expect(new ParameterStoreClient(racing).getAllSecrets({ tags: { t: '1' } })).rejects.toThrow(/operation error SSM: GetParameter, .*api error ParameterNotFound/);
  });

  it('neither name nor tags is ESO\'s unexpected find operator', async () => {
    await expect(new ParameterStoreClient(memorySsm(params).api).getAllSecrets({ path: '/app' })).rejects.toThrow('unexpected find operator');
  });
});

describe('Parameter Store prefetch', () => {
  it('reads a sync\'s unversioned refs with GetParameters, ten names a call, and GetSecret then calls nothing', async () => {
    const params = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`/p/${i}`, `v${i}`]));
    const { api, calls } = memorySsm({ ...params, '/p/0:2': 'old' });
    const c = new ParameterStoreClient(api);
    const refs: RemoteRef[] = [...Object.keys(params).map((key) => ({ key })), { key: '/p/0', version: '2' }, { key: '/p/missing' }, { key: '/p/1', metadataPolicy: 'Fetch' }];
    await c.prefetch(refs);
    expect(calls.map((l) => l.split(' ')[0])).toEqual(['GetParameters', 'GetParameters']);
    expect(calls[0]!.split(' ')[1]!.split(',')).toHaveLength(10);
    calls.length = 0;
    for (const key of Object.keys(params)) expect(text(await c.getSecret({ key }))).toBe(params[key]);
    expect(calls).toEqual([]);
    expect(text(await c.getSecret({ key: '/p/0', version: '2' }))).toBe('old');
    await expect(c.getSecret({ key: '/p/missing' })).rejects.toBeInstanceOf(NoSecretError);
    expect(calls).toEqual(['GetParameter /p/0:2', 'GetParameter /p/missing']);
  });
});
