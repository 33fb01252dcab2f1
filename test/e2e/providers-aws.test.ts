// providers/ against the real moto (Secrets Manager + STS) and the Pod Identity emulator of the harness:
// each identity path esi supports, store role chaining, endpoints, BatchGetSecretValue with its
// AccessDenied fallback, one backend call per distinct key per sync (counted at a proxy in front of moto),
// ESO's AWS semantics on real responses, and no secret value in any log line or error.
import { appendFileSync } from 'node:fs';
import { jsonLogger } from '../../core/log.ts';
import { PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { NoSecretError } from '../../core/index.ts';
import { loadRegexpEngine, type AwsProvider, type RemoteRef, type SecretStore } from '../../eso/index.ts';
import { createSecretsClient, credentialEnvNames, openStore, type ProviderContext, type ProviderLogger } from '../../providers/index.ts';
import {
  awsEnv,
  freshNamespace,
  harness,
  logFile,
  motoSecretsManager,
  podIdentityStats,
  putAwsSecret,
  registerPodIdentity,
  sentinel,
} from '../harness/index.ts';
import { startCountingProxy, type CountingProxy } from './providers-counting-proxy.ts';

let ns: string;
let proxy: CountingProxy;
const sentinels: string[] = [];
const logLines: string[] = [];
const text = (b: Uint8Array) => Buffer.from(b).toString('utf8');
const role = (name: string) => `arn:aws:iam::${harness().awsAccountId}:role/${name}`;

/** esi's log writer, keeping every line and appends it to the run's esi-*.log (scanned for sentinels). */
const logger: ProviderLogger = jsonLogger({
  level: 'debug',
  write: (line) => {
    logLines.push(line);
    appendFileSync(logFile('esi-providers-aws.log'), line);
  },
});

function store(name: string, aws: Partial<AwsProvider> = {}): SecretStore {
  return {
    apiVersion: 'external-secrets.io/v1',
    kind: 'SecretStore',
    metadata: { name, namespace: ns },
    spec: { provider: { aws: { service: 'SecretsManager', region: harness().awsRegion, ...aws } } },
  } as SecretStore;
}

function ctx(env: Record<string, string>): ProviderContext {
  return { namespace: ns, env, logger, timeoutMs: 15_000 };
}

/** Points every AWS endpoint of an env at the counting proxy. */
const viaProxy = (env: Record<string, string>) => ({ ...env, AWS_ENDPOINT_URL: proxy.url });

const smCalls = () => proxy.calls.filter((c) => c.service === 'secretsmanager');

let dbName: string;
let dbPassword: string;

// These tests call the providers' find directly, without an entry point that loads the engine first.
beforeAll(loadRegexpEngine);

beforeAll(async () => {
  ns = await freshNamespace('prov-aws');
  proxy = await startCountingProxy(harness().motoUrl);
  dbName = `${ns}/db`;
  dbPassword = sentinel('prov-aws-db');
  sentinels.push(dbPassword);
  await putAwsSecret(dbName, JSON.stringify({ user: 'app', password: dbPassword, port: 5432, ratio: 1.50, nested: { a: 1 } }), { env: 'prod', team: 'a&b' });
});

afterAll(async () => {
  await proxy?.close();
});

describe('AWS identity paths', () => {
  test('static keys from the environment sign Secrets Manager calls directly', async () => {
    proxy.reset();
    const env = viaProxy(await awsEnv('static', { accessKeyId: 'AKIAESISTATICENV0001', secretAccessKey: 'x' }));
    const c = await createSecretsClient(store('static'), ctx(env));
    expect(text(await c.getSecret({ key: dbName, property: 'user' }))).toBe('app');
    await c.close();
    expect(smCalls().map((x) => x.accessKeyId)).toEqual(['AKIAESISTATICENV0001']);
    expect(proxy.calls.filter((x) => x.service === 'sts')).toEqual([]);
  });

  test('store auth.secretRef keys arrive as ESI_AWS_*_<store> env and win over IRSA', async () => {
    proxy.reset();
    const names = credentialEnvNames('SecretStore', 'with-secret-ref');
    const env = viaProxy({
      ...(await awsEnv('irsa', { namespace: ns, serviceAccount: 'app' })),
      [names.awsAccessKeyId]: 'AKIAESISTORESECRETREF',
      [names.awsSecretAccessKey]: 'y',
    });
    const s = store('with-secret-ref', {
      auth: { secretRef: { accessKeyIDSecretRef: { name: 'aws', key: 'id' }, secretAccessKeySecretRef: { name: 'aws', key: 'secret' } } },
    });
    const c = await createSecretsClient(s, ctx(env));
    expect(text(await c.getSecret({ key: dbName, property: 'user' }))).toBe('app');
    await c.close();
    expect(smCalls().map((x) => x.accessKeyId)).toEqual(['AKIAESISTORESECRETREF']);
    expect(proxy.count('AssumeRoleWithWebIdentity')).toBe(0);
  });

  test('store auth.secretRef without the env vars fails naming the variables, not values', async () => {
    const s = store('missing-keys', { auth: { secretRef: { accessKeyIDSecretRef: { name: 'a', key: 'b' }, secretAccessKeySecretRef: { name: 'a', key: 'c' } } } });
    const names = credentialEnvNames('SecretStore', 'missing-keys');
    await expect(createSecretsClient(s, ctx(viaProxy(await awsEnv('static'))))).rejects.toThrow(names.awsAccessKeyId);
  });

  test('IRSA: the projected token is exchanged at STS (AssumeRoleWithWebIdentity) for the pod role', async () => {
    proxy.reset();
    const env = viaProxy(await awsEnv('irsa', { namespace: ns, serviceAccount: 'irsa-app' }));
    const c = await createSecretsClient(store('irsa'), ctx(env));
    expect(text(await c.getSecret({ key: dbName, property: 'password' }))).toBe(dbPassword);
    await c.close();
    const sts = proxy.calls.filter((x) => x.op === 'AssumeRoleWithWebIdentity');
    expect(sts).toHaveLength(1);
    expect(sts[0]!.params['RoleArn']).toBe(role('irsa-app'));
    expect(sts[0]!.params['RoleSessionName']).toBe(`esi-${ns}`);
    expect(smCalls()[0]!.accessKeyId).not.toBe('');
    expect(smCalls()[0]!.accessKeyId).not.toBe('test');
  });

  test('EKS Pod Identity: credentials come from the container endpoint with the token file', async () => {
    await registerPodIdentity(ns, 'pod-app', role('pod-app'));
    proxy.reset();
    const env = viaProxy(await awsEnv('pod-identity', { namespace: ns, serviceAccount: 'pod-app' }));
    const before = await podIdentityStats(ns, 'pod-app');
    const c = await createSecretsClient(store('pod-identity'), ctx(env));
    expect(text(await c.getSecret({ key: dbName, property: 'user' }))).toBe('app');
    await c.close();
    expect((await podIdentityStats(ns, 'pod-app')).served).toBe(before.served + 1);
    expect(proxy.calls.filter((x) => x.service === 'sts')).toEqual([]);
  });

  test('IRSA wins over Pod Identity when both are configured (SDK chain order)', async () => {
    await registerPodIdentity(ns, 'both', role('both'));
    proxy.reset();
    const env = viaProxy({
      ...(await awsEnv('pod-identity', { namespace: ns, serviceAccount: 'both' })),
      ...(await awsEnv('irsa', { namespace: ns, serviceAccount: 'both' })),
    });
    const before = await podIdentityStats(ns, 'both');
    const c = await createSecretsClient(store('both'), ctx(env));
    await c.getSecret({ key: dbName, property: 'user' });
    await c.close();
    expect(proxy.count('AssumeRoleWithWebIdentity')).toBe(1);
    expect(await podIdentityStats(ns, 'both')).toEqual(before);
  });

  test('store role chaining: additionalRoles in order, then role with externalID and session tags', async () => {
    proxy.reset();
    const env = viaProxy(await awsEnv('static', { accessKeyId: 'AKIAESICHAINBASE0001', secretAccessKey: 'z' }));
    const s = store('chain', {
      additionalRoles: [role('hop-1'), role('hop-2')],
      role: role('final'),
      externalID: 'ext-42',
      sessionTags: [{ key: 'team', value: 'payments' }],
      transitiveTagKeys: ['team'],
    });
    const c = await createSecretsClient(s, ctx(env));
    expect(text(await c.getSecret({ key: dbName, property: 'user' }))).toBe('app');
    await c.close();
    const assumes = proxy.calls.filter((x) => x.op === 'AssumeRole');
    expect(assumes.map((x) => x.params['RoleArn'])).toEqual([role('hop-1'), role('hop-2'), role('final')]);
    expect(assumes[0]!.accessKeyId).toBe('AKIAESICHAINBASE0001');
    expect(assumes[1]!.accessKeyId).not.toBe('AKIAESICHAINBASE0001');
    expect(assumes[2]!.accessKeyId).not.toBe(assumes[1]!.accessKeyId);
    expect(assumes[0]!.params['ExternalId']).toBeUndefined();
    expect(assumes[2]!.params).toMatchObject({
      ExternalId: 'ext-42',
      'Tags.member.1.Key': 'team',
      'Tags.member.1.Value': 'payments',
      'TransitiveTagKeys.member.1': 'team',
    });
    const sm = smCalls();
    expect(sm).toHaveLength(1);
    expect(sm[0]!.accessKeyId).not.toBe('AKIAESICHAINBASE0001');
  });

  test('IRSA base identity then store role', async () => {
    proxy.reset();
    const env = viaProxy(await awsEnv('irsa', { namespace: ns, serviceAccount: 'irsa-chain' }));
    const c = await createSecretsClient(store('irsa-chain', { role: role('target') }), ctx(env));
    await c.getSecret({ key: dbName, property: 'user' });
    await c.close();
    expect(proxy.calls.filter((x) => x.service === 'sts').map((x) => x.op)).toEqual(['AssumeRoleWithWebIdentity', 'AssumeRole']);
  });
});

describe('AWS endpoints from the environment', () => {
  test('AWS_ENDPOINT_URL_SECRETS_MANAGER wins over AWS_ENDPOINT_URL', async () => {
    proxy.reset();
    const env = { ...(await awsEnv('static')), AWS_ENDPOINT_URL: 'http://127.0.0.1:9', AWS_ENDPOINT_URL_SECRETS_MANAGER: proxy.url };
    const c = await createSecretsClient(store('ep1'), ctx(env));
    expect(text(await c.getSecret({ key: dbName, property: 'user' }))).toBe('app');
    await c.close();
    expect(proxy.count('GetSecretValue')).toBe(1);
  });

  test("ESO's AWS_SECRETSMANAGER_ENDPOINT is honoured", async () => {
    proxy.reset();
    const env = { ...(await awsEnv('static')), AWS_ENDPOINT_URL: 'http://127.0.0.1:9', AWS_SECRETSMANAGER_ENDPOINT: proxy.url };
    const c = await createSecretsClient(store('ep2'), ctx(env));
    await c.getSecret({ key: dbName, property: 'user' });
    await c.close();
    expect(proxy.count('GetSecretValue')).toBe(1);
  });

  test('AWS_ENDPOINT_URL_STS routes role assumption (and IRSA) separately', async () => {
    proxy.reset();
    const env = { ...(await awsEnv('irsa', { namespace: ns, serviceAccount: 'sts-ep' })), AWS_ENDPOINT_URL: harness().motoUrl, AWS_ENDPOINT_URL_STS: proxy.url };
    const c = await createSecretsClient(store('ep3', { role: role('via-sts-endpoint') }), ctx(env));
    await c.getSecret({ key: dbName, property: 'user' });
    await c.close();
    expect(proxy.calls.map((x) => x.op)).toEqual(['AssumeRoleWithWebIdentity', 'AssumeRole']);
  });
});

describe('cheap fetching: one backend call per distinct key per sync', () => {
  const keys: string[] = [];
  const values: string[] = [];
  beforeAll(async () => {
    for (let i = 0; i < 50; i++) {
      const v = sentinel(`prov-aws-bulk-${i}`);
      keys.push(`${ns}/bulk/k${String(i).padStart(2, '0')}`);
      values.push(v);
      await putAwsSecret(keys[i]!, JSON.stringify({ v, i }));
    }
    sentinels.push(...values);
  });

  /** What a sync with many entries reads: every key twice by property, once whole. */
  const refsFor = (n: number): RemoteRef[] => keys.slice(0, n).flatMap((key) => [{ key, property: 'v' }, { key, property: 'i' }, { key }]);

  test.each([1, 20, 50])('%i distinct keys: ⌈n/20⌉ BatchGetSecretValue calls, no GetSecretValue', async (n) => {
    proxy.reset();
    const session = await openStore(store(`batch-${n}`), ctx(viaProxy(await awsEnv('static'))));
    const c = session.forSync();
    const refs = refsFor(n);
    await c.prefetch(refs);
    for (let i = 0; i < n; i++) {
      expect(text(await c.getSecret({ key: keys[i]!, property: 'v' })) === values[i]).toBe(true);
      expect(text(await c.getSecret({ key: keys[i]!, property: 'i' }))).toBe(String(i));
    }
    await session.close();
    expect(proxy.count('BatchGetSecretValue')).toBe(Math.ceil(n / 20));
    expect(proxy.count('GetSecretValue')).toBe(0);
    const ids = proxy.calls.flatMap((x) => (x.params['SecretIdList'] as string[] | undefined) ?? []);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toHaveLength(n);
  });

  test('BatchGetSecretValue denied: falls back to one GetSecretValue per distinct key, and stops batching', async () => {
    proxy.reset();
    proxy.deny.add('BatchGetSecretValue');
    try {
      const session = await openStore(store('batch-denied'), ctx(viaProxy(await awsEnv('static'))));
      for (let sync = 0; sync < 2; sync++) {
        const c = session.forSync();
        await c.prefetch(refsFor(25));
        for (const ref of refsFor(25)) await c.getSecret(ref);
      }
      await session.close();
      expect(proxy.count('BatchGetSecretValue')).toBe(1);
      expect(proxy.count('GetSecretValue')).toBe(50);
    } finally {
      proxy.deny.delete('BatchGetSecretValue');
    }
  });

  test('without prefetch each distinct key is still fetched once per sync (ESO cache key#version)', async () => {
    proxy.reset();
    const c = await createSecretsClient(store('no-prefetch'), ctx(viaProxy(await awsEnv('static'))));
    for (const ref of refsFor(5)) await c.getSecret(ref);
    await c.close();
    expect(proxy.count('GetSecretValue')).toBe(5);
  });

  test('a missing key inside a batch still yields NoSecretError through GetSecretValue', async () => {
    proxy.reset();
    const c = await createSecretsClient(store('batch-missing'), ctx(viaProxy(await awsEnv('static'))));
    await c.prefetch([{ key: keys[0]! }, { key: `${ns}/absent` }]);
    await expect(c.getSecret({ key: `${ns}/absent` })).rejects.toBeInstanceOf(NoSecretError);
    await c.getSecret({ key: keys[0]! });
    await c.close();
    expect(proxy.count('BatchGetSecretValue')).toBe(1);
    expect(proxy.count('GetSecretValue')).toBe(1);
  });
});

describe('ESO AWS semantics on real Secrets Manager responses', () => {
  test('property, extract (raw JSON text), missing property and missing secret', async () => {
    const c = await createSecretsClient(store('sem'), ctx(viaProxy(await awsEnv('static'))));
    expect(text(await c.getSecret({ key: dbName, property: 'ratio' }))).toBe('1.5');
    expect(text(await c.getSecret({ key: dbName, property: 'nested.a' }))).toBe('1');
    const m = await c.getSecretMap({ key: dbName });
    expect(Object.keys(m).sort()).toEqual(['nested', 'password', 'port', 'ratio', 'user']);
    expect(text(m['ratio']!)).toBe('1.5');
    expect(text(m['nested']!)).toBe('{"a":1}');
    await expect(c.getSecret({ key: dbName, property: 'nope' })).rejects.toThrow(`key nope does not exist in secret ${dbName}`);
    await expect(c.getSecret({ key: `${ns}/does-not-exist` })).rejects.toBeInstanceOf(NoSecretError);
    await c.close();
  });

  test('versions: AWSPREVIOUS stage and uuid/<VersionId>; a bare id is a stage name', async () => {
    const name = `${ns}/rotating`;
    await putAwsSecret(name, 'v1');
    const sm = motoSecretsManager();
    const put = await sm.send(new PutSecretValueCommand({ SecretId: name, SecretString: 'v2' }));
    sm.destroy();
    const c = await createSecretsClient(store('versions'), ctx(viaProxy(await awsEnv('static'))));
    expect(text(await c.getSecret({ key: name }))).toBe('v2');
    expect(text(await c.getSecret({ key: name, version: 'AWSPREVIOUS' }))).toBe('v1');
    expect(text(await c.getSecret({ key: name, version: `uuid/${put.VersionId}` }))).toBe('v2');
    await expect(c.getSecret({ key: name, version: put.VersionId! })).rejects.toBeInstanceOf(NoSecretError);
    await c.close();
  });

  test('store prefix; binary secrets; metadataPolicy Fetch reads tags', async () => {
    const bin = `${ns}/bin`;
    await putAwsSecret(bin, new Uint8Array([0, 1, 254, 255]));
    const c = await createSecretsClient(store('prefixed', { prefix: `${ns}/` }), ctx(viaProxy(await awsEnv('static'))));
    expect([...(await c.getSecret({ key: 'bin' }))]).toEqual([0, 1, 254, 255]);
    expect(text(await c.getSecret({ key: 'db', metadataPolicy: 'Fetch' }))).toBe('{"env":"prod","team":"a\\u0026b"}');
    expect(text(await c.getSecret({ key: 'db', metadataPolicy: 'Fetch', property: 'team' }))).toBe('a&b');
    await c.close();
  });

  test('find: by name (ListSecrets), by name + path (batch), by tags (batch)', async () => {
    await putAwsSecret(`${ns}/find/alpha`, 'A', { tier: 'gold' });
    await putAwsSecret(`${ns}/find/beta`, 'B', { tier: 'silver' });
    proxy.reset();
    const c = await createSecretsClient(store('find'), ctx(viaProxy(await awsEnv('static'))));
    const byName = await c.getAllSecrets({ name: { regexp: `^${ns}/find/` } });
    expect(Object.keys(byName).sort()).toEqual([`${ns}/find/alpha`, `${ns}/find/beta`]);
    expect(proxy.count('ListSecrets')).toBeGreaterThanOrEqual(1);
    const byPath = await c.getAllSecrets({ name: { regexp: 'alpha' }, path: `${ns}/find/` });
    expect(Object.keys(byPath)).toEqual([`${ns}/find/alpha`]);
    const byTags = await c.getAllSecrets({ tags: { tier: 'gold' }, path: `${ns}/` });
    expect(Object.keys(byTags)).toEqual([`${ns}/find/alpha`]);
    // ListSecrets' matches are fetched in one batch (ESO: one GetSecretValue each); path and tags: one batch each.
    expect(proxy.count('BatchGetSecretValue')).toBe(3);
    expect(proxy.count('GetSecretValue')).toBe(0);
    await expect(c.getAllSecrets({ path: 'x' })).rejects.toThrow('unexpected find operator');
    await c.close();
  });

  test('no secret value in any log line or error message', async () => {
    const c = await createSecretsClient(store('hygiene'), ctx(viaProxy(await awsEnv('static'))));
    const errors = await Promise.all([
      c.getSecret({ key: dbName, property: 'absent' }).then(() => '', (e: Error) => e.message),
      c.getSecretMap({ key: `${ns}/rotating` }).then(() => '', (e: Error) => e.message),
      c.getSecret({ key: dbName, property: 'password' }).then(() => ''),
    ]);
    await c.close();
    expect(logLines.length).toBeGreaterThan(0);
    for (const s of sentinels) {
      for (const line of logLines) expect(line.includes(s)).toBe(false);
      for (const e of errors) expect(e.includes(s)).toBe(false);
    }
  });
});
