import { describe, expect, it } from 'vitest';
import { NoSecretError } from '../../../core/index.ts';
import {
  AwsSecretsManagerClient,
  awsSecretMap,
  awsValue,
  getSecretValueInput,
  isAwsNoSecret,
  planAwsFind,
  sanitizeAwsMessage,
  type AwsFilter,
  type AwsSecretsManagerApi,
  type AwsSecretValue,
} from './eso.ts';
import type { RemoteRef } from '../../../eso/index.ts';

const text = (b: Uint8Array): string => Buffer.from(b).toString('utf8');
const textMap = (m: Record<string, Uint8Array>): Record<string, string> =>
  Object.fromEntries(Object.entries(m).map(([k, v]) => [k, text(v)]));

/** An SDK service exception as the JS SDK throws it: `name` is the AWS code, `$metadata` the HTTP facts. */
function sdkError(name: string, message: string): Error {
  const e = new Error(message);
  e.name = name;
  (e as unknown as { $metadata: object }).$metadata = { httpStatusCode: 400, requestId: 'req-1' };
  return e;
}

interface FakeSecret {
  name: string;
  string?: string;
  binary?: Uint8Array;
  tags?: Record<string, string>;
  versions?: Record<string, string>; // VersionId → SecretString
  stages?: Record<string, string>; // stage → SecretString
}

/** An in-memory Secrets Manager with AWS's filter semantics (prefix match, filters ANDed, keys/values unpaired). */
class FakeSecretsManager implements AwsSecretsManagerApi {
  calls: { op: string; input: unknown }[] = [];
  batchDenied = false;
  pageSize = 100;
  constructor(readonly secrets: FakeSecret[]) {}
  count(op: string): number {
    return this.calls.filter((c) => c.op === op).length;
  }
  #find(id: string): FakeSecret {
    const s = this.secrets.find((x) => x.name === id);
    if (!s) throw sdkError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
    return s;
  }
  async getSecretValue(input: { SecretId: string; VersionId?: string; VersionStage?: string }): Promise<AwsSecretValue> {
    this.calls.push({ op: 'GetSecretValue', input });
    const s = this.#find(input.SecretId);
    if (input.VersionId !== undefined) {
      const v = s.versions?.[input.VersionId];
      if (v === undefined) throw sdkError('ResourceNotFoundException', 'no such version');
      return { Name: s.name, SecretString: v };
    }
    if (input.VersionStage !== 'AWSCURRENT') {
      const v = s.stages?.[input.VersionStage ?? ''];
      if (v === undefined) throw sdkError('ResourceNotFoundException', 'no such stage');
      return { Name: s.name, SecretString: v };
    }
    return { Name: s.name, SecretString: s.string, SecretBinary: s.binary };
  }
  async describeSecret(input: { SecretId: string }) {
    this.calls.push({ op: 'DescribeSecret', input });
    const s = this.#find(input.SecretId);
    return { Tags: Object.entries(s.tags ?? {}).map(([Key, Value]) => ({ Key, Value })) };
  }
  #match(filters: AwsFilter[] | undefined): FakeSecret[] {
    return this.secrets.filter((s) =>
      (filters ?? []).every((f) => {
        const v = f.Values[0];
        if (f.Key === 'name') return s.name.startsWith(v);
        if (f.Key === 'tag-key') return Object.keys(s.tags ?? {}).some((k) => k.startsWith(v));
        return Object.values(s.tags ?? {}).some((x) => x.startsWith(v));
      }),
    );
  }
  #page<T>(all: T[], token?: string): { items: T[]; next?: string } {
    const start = token ? Number(token) : 0;
    const items = all.slice(start, start + this.pageSize);
    return { items, next: start + this.pageSize < all.length ? String(start + this.pageSize) : undefined };
  }
  async listSecrets(input: { Filters?: AwsFilter[]; NextToken?: string }) {
    this.calls.push({ op: 'ListSecrets', input });
    const { items, next } = this.#page(this.#match(input.Filters), input.NextToken);
    return { SecretList: items.map((s) => ({ Name: s.name })), NextToken: next };
  }
  async batchGetSecretValue(input: { SecretIdList?: string[]; Filters?: AwsFilter[]; NextToken?: string }) {
    this.calls.push({ op: 'BatchGetSecretValue', input });
    if (this.batchDenied) throw sdkError('AccessDeniedException', 'not authorized to perform: secretsmanager:BatchGetSecretValue');
    if (input.SecretIdList) {
      if (input.SecretIdList.length > 20) throw sdkError('ValidationException', 'too many ids');
      const SecretValues = [];
      const Errors = [];
      for (const id of input.SecretIdList) {
        const s = this.secrets.find((x) => x.name === id);
        if (s) SecretValues.push({ Name: s.name, SecretString: s.string, SecretBinary: s.binary });
        else Errors.push({ SecretId: id, ErrorCode: 'ResourceNotFoundException', Message: 'not found' });
      }
      return { SecretValues, Errors };
    }
    const { items, next } = this.#page(this.#match(input.Filters), input.NextToken);
    return { SecretValues: items.map((s) => ({ Name: s.name, SecretString: s.string, SecretBinary: s.binary })), NextToken: next };
  }
}

describe('AWS GetSecretValue input (ESO v2.9.0 providers/v1/aws/secretsmanager/secretsmanager.go)', () => {
  const rows: [string, RemoteRef, string, object][] = [
    ['no version → AWSCURRENT stage', { key: 'db' }, '', { SecretId: 'db', VersionStage: 'AWSCURRENT' }],
    ['uuid/<id> → VersionId', { key: 'db', version: 'uuid/1234-abcd' }, '', { SecretId: 'db', VersionId: '1234-abcd' }],
    ['a stage name → VersionStage', { key: 'db', version: 'AWSPREVIOUS' }, '', { SecretId: 'db', VersionStage: 'AWSPREVIOUS' }],
    [
      'a bare UUID is a stage name',
      { key: 'db', version: '01234567-89ab-cdef-0123-456789abcdef' },
      '',
      { SecretId: 'db', VersionStage: '01234567-89ab-cdef-0123-456789abcdef' },
    ],
    ['store prefix is prepended', { key: 'db' }, 'team/', { SecretId: 'team/db', VersionStage: 'AWSCURRENT' }],
  ];
  it.each(rows)('%s', (_n, ref, prefix, want) => {
    expect(getSecretValueInput(prefix, ref)).toEqual(want);
  });
});

describe('AWS errors mapped to NoSecretErr (§7.1 step 2)', () => {
  const rows: [string, string, string, boolean][] = [
    ['missing secret', 'ResourceNotFoundException', "Secrets Manager can't find the specified secret.", true],
    ['marked for deletion', 'InvalidParameterException', 'You tried to perform the operation on a secret that was marked for deletion.', true],
    ['other invalid parameter', 'InvalidParameterException', 'bad VersionStage', false],
    ['scheduled for deletion (InvalidRequestException)', 'InvalidRequestException', 'was marked for deletion', false],
    ['access denied', 'AccessDeniedException', 'not authorized', false],
    ['decryption failure', 'DecryptionFailure', 'kms', false],
  ];
  it.each(rows)('%s', (_n, name, msg, want) => {
    expect(isAwsNoSecret(sdkError(name, msg))).toBe(want);
  });

  it('sanitises request ids and credentials like ESO', () => {
    expect(sanitizeAwsMessage('boom request id: abc-123 tail')).toBe('boom  tail');
    expect(sanitizeAwsMessage('denied Credential=AKIA/2026/us-east-1 SignedHeaders=x')).toBe('denied');
  });
});

describe('AWS value without property (§7.1 step 3)', () => {
  it('returns SecretString even when empty', () => {
    expect(text(awsValue({ key: 'k' }, { SecretString: '' }))).toBe('');
  });
  it('prefers SecretString over SecretBinary', () => {
    expect(text(awsValue({ key: 'k' }, { SecretString: 's', SecretBinary: Buffer.from('b') }))).toBe('s');
  });
  it('returns SecretBinary raw bytes', () => {
    const bin = new Uint8Array([0, 255, 1]);
    expect([...awsValue({ key: 'k' }, { SecretBinary: bin })]).toEqual([0, 255, 1]);
  });
  it('fails without string or binary', () => {
    expect(() => awsValue({ key: 'k' }, {})).toThrow('invalid secret received. no secret string nor binary for key: k');
  });
});

describe('AWS property values (§9 "AWS property" column)', () => {
  const rows: [string, string, string][] = [
    ['{"p":"a\\u0041"}', 'p', 'aA'],
    ['{"p":10}', 'p', '10'],
    ['{"p":1.50}', 'p', '1.5'],
    ['{"p":1e3}', 'p', '1000'],
    ['{"p":12345678901234567890}', 'p', '12345678901234567890'],
    ['{"p":true}', 'p', 'true'],
    ['{"p":null}', 'p', ''],
    ['{"p":{"b" : 1, "a":"<"}}', 'p', '{"b" : 1, "a":"<"}'],
    ['{"p":[1, "x"]}', 'p', '[1, "x"]'],
    ['{"a.b":"literal","a":{"b":"path"}}', 'a.b', 'literal'],
    ['{"a":{"b":"path"}}', 'a.b', 'path'],
    ['{"friends":[{"first":"Dale"},{"first":"Roger"}]}', 'friends.1.first', 'Roger'],
    ['{"friends":[{"first":"Dale"},{"first":"Roger"}]}', 'friends.#', '2'],
  ];
  it.each(rows)('%s property %s', (payload, property, want) => {
    expect(text(awsValue({ key: 'k', property }, { SecretString: payload }))).toBe(want);
  });
  it('reads the payload from SecretBinary when present', () => {
    expect(text(awsValue({ key: 'k', property: 'u' }, { SecretBinary: Buffer.from('{"u":"bin"}'), SecretString: '{"u":"str"}' }))).toBe('bin');
  });
  it('reports a missing property with ESO text, not NoSecretErr', () => {
    const f = () => awsValue({ key: 'db', property: 'nope' }, { SecretString: '{"a":1}' });
    expect(f).toThrow('key nope does not exist in secret db');
    expect(f).not.toThrow(NoSecretError);
  });
});

describe('AWS extract (§9 "AWS extract" column, RawMessage rules)', () => {
  it('keeps raw JSON text, unquotes strings, null → empty', () => {
    const got = awsSecretMap(
      { key: 'k' },
      Buffer.from('{"s":"a\\u0041","i":10,"f":1.50,"e":1e3,"big":12345678901234567890,"t":true,"n":null,"o":{"b" : 1, "a":"<"},"arr":[1, "x"]}'),
    );
    expect(textMap(got)).toEqual({
      s: 'aA',
      i: '10',
      f: '1.50',
      e: '1e3',
      big: '12345678901234567890',
      t: 'true',
      n: '',
      o: '{"b" : 1, "a":"<"}',
      arr: '[1, "x"]',
    });
  });
  const errors: [string, string][] = [
    ['[1,2]', 'unable to unmarshal secret k: json: cannot unmarshal array into Go value of type map[string]json.RawMessage'],
    ['"str"', 'unable to unmarshal secret k: json: cannot unmarshal string into Go value of type map[string]json.RawMessage'],
    ['hello', "unable to unmarshal secret k: invalid character 'h' looking for beginning of value"],
    ['{"a":1', 'unable to unmarshal secret k: unexpected end of JSON input'],
  ];
  it.each(errors)('rejects %s', (payload, msg) => {
    expect(() => awsSecretMap({ key: 'k' }, Buffer.from(payload))).toThrow(msg);
  });
  it('null decodes to an empty map', () => {
    expect(awsSecretMap({ key: 'k' }, Buffer.from('null'))).toEqual({});
  });
});

describe('AWS find plan (§7.1 GetAllSecrets table)', () => {
  it('rejects a find with neither name nor tags', () => {
    expect(() => planAwsFind({ path: 'x' })).toThrow('unexpected find operator');
  });
  const rows: [string, object, string, AwsFilter[], boolean][] = [
    ['name, no path → ListSecrets', { name: { regexp: 'db' } }, 'ListSecrets', [], true],
    ['name + path → Batch name filter', { name: { regexp: 'db' }, path: 'team/' }, 'BatchGetSecretValue', [{ Key: 'name', Values: ['team/'] }], true],
    [
      'tags → Batch tag filters',
      { tags: { env: 'prod' } },
      'BatchGetSecretValue',
      [
        { Key: 'tag-key', Values: ['env'] },
        { Key: 'tag-value', Values: ['prod'] },
      ],
      false,
    ],
    [
      'tags + path → Batch tag + name filters',
      { tags: { env: 'prod' }, path: 'team' },
      'BatchGetSecretValue',
      [
        { Key: 'tag-key', Values: ['env'] },
        { Key: 'tag-value', Values: ['prod'] },
        { Key: 'name', Values: ['team'] },
      ],
      false,
    ],
    [
      'name + tags → ListSecrets with tag filters',
      { name: { regexp: 'x' }, tags: { env: 'prod' } },
      'ListSecrets',
      [
        { Key: 'tag-key', Values: ['env'] },
        { Key: 'tag-value', Values: ['prod'] },
      ],
      true,
    ],
  ];
  it.each(rows)('%s', (_n, find, api, filters, hasRegexp) => {
    const plan = planAwsFind(find);
    expect(plan.api).toBe(api);
    expect(plan.filters).toEqual(filters);
    expect(!!plan.regexp).toBe(hasRegexp);
  });
  it('reports a bad regexp with ESO text', () => {
    expect(() => planAwsFind({ name: { regexp: '(' } })).toThrow(/could not compile find.name.regexp \[\(\]/);
  });
});

describe('AwsSecretsManagerClient', () => {
  const sentinel = 'esi-sentinel-aws-3f9c';
  const world = () =>
    new FakeSecretsManager([
      { name: 'db', string: `{"user":"app","password":"${sentinel}"}`, tags: { env: 'prod', team: 'a&b' }, stages: { AWSPREVIOUS: '{"user":"old"}' }, versions: { v1: 'first' } },
      { name: 'team/api', string: 'token-1', tags: { env: 'prod' } },
      { name: 'team/bin', binary: new Uint8Array([1, 2, 3]), tags: { env: 'dev' } },
      { name: 'other', string: 'x', tags: { owner: 'prod' } },
    ]);

  it('fetches each key#version#SECRET once per sync', async () => {
    const api = world();
    const c = new AwsSecretsManagerClient(api);
    expect(text(await c.getSecret({ key: 'db', property: 'user' }))).toBe('app');
    expect(text(await c.getSecret({ key: 'db', property: 'password' }))).toBe(sentinel);
    await c.getSecretMap({ key: 'db' });
    expect(text(await c.getSecret({ key: 'db', version: 'AWSPREVIOUS', property: 'user' }))).toBe('old');
    expect(text(await c.getSecret({ key: 'db', version: 'uuid/v1' }))).toBe('first');
    expect(api.count('GetSecretValue')).toBe(3);
  });

  it('maps a missing secret, stage or version id to NoSecretError', async () => {
    const c = new AwsSecretsManagerClient(world());
    await expect(c.getSecret({ key: 'absent' })).rejects.toBeInstanceOf(NoSecretError);
    await expect(c.getSecret({ key: 'db', version: 'AWSPENDING' })).rejects.toBeInstanceOf(NoSecretError);
    await expect(c.getSecret({ key: 'db', version: 'uuid/zzz' })).rejects.toThrow('Secret does not exist');
  });

  it('does not cache failures', async () => {
    const api = world();
    const c = new AwsSecretsManagerClient(api);
    await expect(c.getSecret({ key: 'late' })).rejects.toBeInstanceOf(NoSecretError);
    api.secrets.push({ name: 'late', string: 'now' });
    expect(text(await c.getSecret({ key: 'late' }))).toBe('now');
  });

  it('surfaces other API errors in the Go SDK v2 wording, sanitised', async () => {
    const api = world();
    api.getSecretValue = async () => {
      const e = sdkError('AccessDeniedException', 'User is not authorized Credential=AKIA/20261123/us-east-1/secretsmanager');
      (e as unknown as { $metadata: object }).$metadata = { httpStatusCode: 400, requestId: 'r-1' };
      throw e;
    };
    const c = new AwsSecretsManagerClient(api);
    await expect(c.getSecret({ key: 'db' })).rejects.toThrow(
      /^operation error Secrets Manager: GetSecretValue, https response error StatusCode: 400, RequestID: r-1, api error AccessDeniedException: User is not authorized$/,
    );
    api.listSecrets = async () => {
      throw new Error('connect ECONNREFUSED 127.0.0.1:9');
    };
    await expect(c.getAllSecrets({ name: { regexp: '.' } })).rejects.toThrow(/^operation error Secrets Manager: ListSecrets, connect ECONNREFUSED 127\.0\.0\.1:9$/);
  });

  it('metadataPolicy Fetch reads tags as sorted, HTML-escaped JSON via DescribeSecret', async () => {
    const api = world();
    const c = new AwsSecretsManagerClient(api);
    expect(text(await c.getSecret({ key: 'db', metadataPolicy: 'Fetch' }))).toBe('{"env":"prod","team":"a\\u0026b"}');
    expect(text(await c.getSecret({ key: 'db', metadataPolicy: 'Fetch', property: 'team' }))).toBe('a&b');
    expect(api.count('DescribeSecret')).toBe(1);
    expect(api.count('GetSecretValue')).toBe(0);
  });

  it('does not map DescribeSecret not-found to NoSecretErr', async () => {
    const c = new AwsSecretsManagerClient(world());
    const err = await c.getSecret({ key: 'absent', metadataPolicy: 'Fetch' }).catch((e) => e);
    expect(err).not.toBeInstanceOf(NoSecretError);
    expect(String(err.message)).toContain('ResourceNotFoundException');
  });

  it('prepends the store prefix but names the ref key in errors', async () => {
    const c = new AwsSecretsManagerClient(world(), { prefix: 'team/' });
    expect(text(await c.getSecret({ key: 'api' }))).toBe('token-1');
    await expect(c.getSecret({ key: 'api', property: 'x' })).rejects.toThrow('key x does not exist in secret api');
  });

  it('prefetch batches ≤ 20 distinct ids per call and serves the sync from the cache', async () => {
    const secrets: FakeSecret[] = Array.from({ length: 45 }, (_, i) => ({ name: `s${i}`, string: `{"v":"${i}"}` }));
    const api = new FakeSecretsManager(secrets);
    const c = new AwsSecretsManagerClient(api);
    const refs: RemoteRef[] = [];
    for (let i = 0; i < 45; i++) refs.push({ key: `s${i}`, property: 'v' }, { key: `s${i}` });
    await c.prefetch(refs);
    const sizes = api.calls.filter((x) => x.op === 'BatchGetSecretValue').map((x) => (x.input as { SecretIdList: string[] }).SecretIdList.length);
    expect(sizes).toEqual([20, 20, 5]);
    for (let i = 0; i < 45; i++) expect(text(await c.getSecret({ key: `s${i}`, property: 'v' }))).toBe(String(i));
    expect(api.count('GetSecretValue')).toBe(0);
  });

  it('prefetch leaves versioned and metadata refs and per-id batch errors to single calls', async () => {
    const api = world();
    const c = new AwsSecretsManagerClient(api);
    await c.prefetch([{ key: 'db' }, { key: 'db', version: 'AWSPREVIOUS' }, { key: 'db', metadataPolicy: 'Fetch' }, { key: 'absent' }]);
    expect((api.calls[0].input as { SecretIdList: string[] }).SecretIdList).toEqual(['db', 'absent']);
    await c.getSecret({ key: 'db' });
    expect(api.count('GetSecretValue')).toBe(0);
    await expect(c.getSecret({ key: 'absent' })).rejects.toBeInstanceOf(NoSecretError);
    await c.getSecret({ key: 'db', version: 'AWSPREVIOUS' });
    expect(api.count('GetSecretValue')).toBe(2);
  });

  it('falls back to GetSecretValue when BatchGetSecretValue is denied, and stops batching', async () => {
    const api = world();
    api.batchDenied = true;
    const c = new AwsSecretsManagerClient(api);
    await c.prefetch([{ key: 'db' }, { key: 'team/api' }]);
    await c.prefetch([{ key: 'other' }]);
    expect(api.count('BatchGetSecretValue')).toBe(1);
    expect(text(await c.getSecret({ key: 'team/api' }))).toBe('token-1');
    expect(api.count('GetSecretValue')).toBe(1);
  });

  it('a denied first batch stops the remaining chunks from being sent', async () => {
    const api = new FakeSecretsManager(Array.from({ length: 45 }, (_, i) => ({ name: `d${i}`, string: 'x' })));
    api.batchDenied = true;
    const c = new AwsSecretsManagerClient(api);
    await c.prefetch(Array.from({ length: 45 }, (_, i) => ({ key: `d${i}` })));
    expect(api.count('BatchGetSecretValue')).toBe(1);
    expect(c.batching).toBe(false);
  });

  it('batch off: prefetch makes no calls', async () => {
    const api = world();
    await new AwsSecretsManagerClient(api, { batch: false }).prefetch([{ key: 'db' }]);
    expect(api.calls).toEqual([]);
  });

  it('find by name lists, matches unanchored, and GetSecretValues each match (binary raw)', async () => {
    const api = world();
    const got = await new AwsSecretsManagerClient(api).getAllSecrets({ name: { regexp: 'team/' } });
    expect(Object.keys(got).sort()).toEqual(['team/api', 'team/bin']);
    expect([...got['team/bin']]).toEqual([1, 2, 3]);
    expect(api.count('ListSecrets')).toBe(1);
    // The matches are fetched with one BatchGetSecretValue instead of one GetSecretValue each.
    expect(api.count('BatchGetSecretValue')).toBe(1);
    expect(api.count('GetSecretValue')).toBe(0);
    const denied = world();
    denied.batchDenied = true;
    await new AwsSecretsManagerClient(denied).getAllSecrets({ name: { regexp: 'team/' } });
    expect(denied.count('GetSecretValue')).toBe(2);
  });

  it('find by name pages through ListSecrets', async () => {
    const api = world();
    api.pageSize = 1;
    const got = await new AwsSecretsManagerClient(api).getAllSecrets({ name: { regexp: '.' } });
    expect(Object.keys(got).length).toBe(4);
    expect(api.count('ListSecrets')).toBe(4);
  });

  it('find by name re-applies the store prefix to listed names (ESO bug kept)', async () => {
    const api = world();
    const c = new AwsSecretsManagerClient(api, { prefix: 'team/' });
    await expect(c.getAllSecrets({ name: { regexp: '^team/api$' } })).rejects.toBeInstanceOf(NoSecretError);
    expect(api.calls.find((x) => x.op === 'GetSecretValue')?.input).toMatchObject({ SecretId: 'team/team/api' });
  });

  it('find by name + path uses one batch with a name-prefix filter', async () => {
    const api = world();
    const got = await new AwsSecretsManagerClient(api).getAllSecrets({ name: { regexp: 'api' }, path: 'team' });
    expect(textMap(got)).toEqual({ 'team/api': 'token-1' });
    expect(api.calls.map((x) => x.op)).toEqual(['BatchGetSecretValue']);
  });

  it('find by tags: AWS filters, keys and values unpaired', async () => {
    const api = world();
    const got = await new AwsSecretsManagerClient(api).getAllSecrets({ tags: { owner: 'prod' } });
    // tag-key "owner" + tag-value "prod": only `other` has key owner; its value is prod.
    expect(Object.keys(got)).toEqual(['other']);
    const unpaired = await new AwsSecretsManagerClient(world()).getAllSecrets({ tags: { team: 'prod' } });
    // db has key team (value a&b) and some tag with value prod (env): matches although team≠prod.
    expect(Object.keys(unpaired)).toEqual(['db']);
  });

  it('find by name + tags lists with tag filters, then regexp', async () => {
    const api = world();
    const got = await new AwsSecretsManagerClient(api).getAllSecrets({ name: { regexp: 'api|db' }, tags: { env: 'prod' } });
    expect(Object.keys(got).sort()).toEqual(['db', 'team/api']);
    expect((api.calls[0].input as { Filters: AwsFilter[] }).Filters).toHaveLength(2);
  });

  it('never puts a value into an error message', async () => {
    const c = new AwsSecretsManagerClient(world());
    const errs = await Promise.all([
      c.getSecret({ key: 'db', property: 'absent' }).catch((e) => e),
      c.getSecretMap({ key: 'team/api' }).catch((e) => e),
    ]);
    for (const e of errs) {
      expect(e).toBeInstanceOf(Error);
      expect(String(e.message)).not.toContain(sentinel);
      expect(String(e.message)).not.toContain('token-1');
    }
  });

  it('reports each API call to onCall', async () => {
    const ops: string[] = [];
    const c = new AwsSecretsManagerClient(world(), { onCall: (op, outcome) => ops.push(`${op}:${outcome}`) });
    await c.getSecret({ key: 'db' });
    await c.getSecret({ key: 'absent' }).catch(() => undefined);
    expect(ops).toEqual(['GetSecretValue:ok', 'GetSecretValue:error']);
  });
});

describe('§9 cheat sheet, AWS columns', () => {
  // [backend JSON, AWS property (gjson), AWS extract]
  const rows: [string, string, string][] = [
    ['"a\\u0041"', 'aA', 'aA'],
    ['10', '10', '10'],
    ['1.50', '1.5', '1.50'],
    ['1e3', '1000', '1e3'],
    ['12345678901234567890', '12345678901234567890', '12345678901234567890'],
    ['true', 'true', 'true'],
    ['null', '', ''],
    ['{"b" : 1, "a":"<"}', '{"b" : 1, "a":"<"}', '{"b" : 1, "a":"<"}'],
    ['[1, "x"]', '[1, "x"]', '[1, "x"]'],
  ];
  it.each(rows)('%s', (json, property, extract) => {
    const secret = { SecretString: `{"p":${json}}` };
    expect(text(awsValue({ key: 'k', property: 'p' }, secret))).toBe(property);
    expect(text(awsSecretMap({ key: 'k' }, Buffer.from(secret.SecretString))['p']!)).toBe(extract);
  });
});
