// Parameter Store (providers/aws/parameterstore) against the real moto's SSM: ESO's semantics on real
// responses (decryption, versions, property, extract, find by name / path / tags, metadataPolicy Fetch,
// prefix, not found), the same identity paths as Secrets Manager, GetParameters batching, and esi render.
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AddTagsToResourceCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { NoSecretError } from '../../core/index.ts';
import type { AwsProvider, SecretStore } from '../../eso/index.ts';
import { createSecretsClient, credentialEnvNames, openStore, type ProviderContext } from '../../providers/index.ts';
import { awsEnv, freshNamespace, harness, podIdentityStats, registerPodIdentity, scratchPath, sentinel, sha256 } from '../harness/index.ts';
import { agentConfig, fileHash, startAgent, waitFor } from './agent-helpers.ts';
import { startCountingProxy, type CountingProxy } from './providers-counting-proxy.ts';

const run = promisify(execFile);
let ns: string;
let proxy: CountingProxy;
let secretValue: string;
const text = (b: Uint8Array) => Buffer.from(b).toString('utf8');
const textMap = (m: Record<string, Uint8Array>) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, text(v)]));

function ssm(): SSMClient {
  const h = harness();
  return new SSMClient({ region: h.awsRegion, endpoint: h.motoUrl, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
}

async function put(name: string, value: string, o: { type?: 'String' | 'SecureString'; tags?: Record<string, string> } = {}): Promise<void> {
  const c = ssm();
  try {
    await c.send(new PutParameterCommand({ Name: name, Value: value, Type: o.type ?? 'SecureString', Overwrite: true }));
    if (o.tags) await c.send(new AddTagsToResourceCommand({ ResourceType: 'Parameter', ResourceId: name, Tags: Object.entries(o.tags).map(([Key, Value]) => ({ Key, Value })) }));
  } finally {
    c.destroy();
  }
}

function store(name: string, aws: Partial<AwsProvider> = {}): SecretStore {
  return {
    apiVersion: 'external-secrets.io/v1',
    kind: 'SecretStore',
    metadata: { name, namespace: ns },
    spec: { provider: { aws: { service: 'ParameterStore', region: harness().awsRegion, ...aws } } },
  } as SecretStore;
}

const ctx = (env: Record<string, string>): ProviderContext => ({ namespace: ns, env, timeoutMs: 15_000 });
const viaProxy = (env: Record<string, string>) => ({ ...env, AWS_ENDPOINT_URL: proxy.url });
const ssmOps = () => proxy.calls.filter((c) => c.service === 'ssm').map((c) => c.op);

beforeAll(async () => {
  ns = await freshNamespace('prov-ssm');
  proxy = await startCountingProxy(harness().motoUrl);
  secretValue = sentinel('prov-ssm-db');
  await put(`/${ns}/db`, JSON.stringify({ user: 'app', password: secretValue, port: 5432, 'a.b': 'literal' }), { tags: { team: 'payments', env: 'prod' } });
  await put(`/${ns}/db`, JSON.stringify({ user: 'app2', password: secretValue, port: 5432, 'a.b': 'literal' })); // version 2
  await put(`/${ns}/plain`, 'hello', { type: 'String', tags: { team: 'payments' } });
  await put(`/${ns}/nested/deep`, 'deep-value', { tags: { team: 'other' } });
  await put(`/${ns}-other/x`, 'outside');
});

afterAll(async () => {
  await proxy?.close();
});

describe('Parameter Store: ESO semantics on moto', () => {
  test('GetSecret decrypts, reads a version as name:version, and a property through gjson', async () => {
    const c = await createSecretsClient(store('sem'), ctx(await awsEnv('static')));
    expect(JSON.parse(text(await c.getSecret({ key: `/${ns}/db` })))).toMatchObject({ user: 'app2' });
    expect(text(await c.getSecret({ key: `/${ns}/db`, version: '1', property: 'user' }))).toBe('app');
    expect(text(await c.getSecret({ key: `/${ns}/db`, property: 'password' }))).toBe(secretValue);
    expect(text(await c.getSecret({ key: `/${ns}/db`, property: 'a.b' }))).toBe('literal');
    expect(text(await c.getSecret({ key: `/${ns}/plain` }))).toBe('hello');
    await c.close();
  });

  test('a missing parameter is NoSecretErr; a missing property is ESO\'s error naming key and property, without the value', async () => {
    const c = await createSecretsClient(store('missing'), ctx(await awsEnv('static')));
    await expect(c.getSecret({ key: `/${ns}/nope` })).rejects.toBeInstanceOf(NoSecretError);
    const err = (await c.getSecret({ key: `/${ns}/db`, property: 'nope' }).catch((e: Error) => e)) as Error;
    expect(err.message).toBe(`key nope does not exist in secret /${ns}/db`);
    await c.close();
  });

  test('dataFrom extract, metadataPolicy Fetch (tags as JSON) and the store prefix', async () => {
    const c = await createSecretsClient(store('prefixed', { prefix: `/${ns}` }), ctx(await awsEnv('static')));
    expect(textMap(await c.getSecretMap({ key: '/db' }))).toEqual({ user: 'app2', password: secretValue, port: '5432', 'a.b': 'literal' });
    expect(text(await c.getSecret({ key: '/db', metadataPolicy: 'Fetch' }))).toBe('{"env":"prod","team":"payments"}');
    expect(text(await c.getSecret({ key: '/db', metadataPolicy: 'Fetch', property: 'team' }))).toBe('payments');
    await c.close();
  });

  test('find by name (GetParametersByPath from /, or a path) and by tags (DescribeParameters), full names as keys', async () => {
    const c = await createSecretsClient(store('find'), ctx(await awsEnv('static')));
    expect(Object.keys(await c.getAllSecrets({ name: { regexp: `^/${ns}/` } })).sort()).toEqual([`/${ns}/db`, `/${ns}/nested/deep`, `/${ns}/plain`]);
    expect(textMap(await c.getAllSecrets({ name: { regexp: 'deep' }, path: `/${ns}` }))).toEqual({ [`/${ns}/nested/deep`]: 'deep-value' });
    expect(textMap(await c.getAllSecrets({ tags: { team: 'payments' }, path: `/${ns}` }))).toEqual({ [`/${ns}/db`]: JSON.stringify({ user: 'app2', password: secretValue, port: 5432, 'a.b': 'literal' }), [`/${ns}/plain`]: 'hello' });
    await c.close();
  });

  test('one sync reads its plain refs with GetParameters, and each once', async () => {
    proxy.reset();
    const session = await openStore(store('batch'), ctx(viaProxy(await awsEnv('static'))));
    const c = session.forSync();
    const refs = [{ key: `/${ns}/db`, property: 'user' }, { key: `/${ns}/db`, property: 'password' }, { key: `/${ns}/plain` }];
    await c.prefetch(refs);
    for (const r of refs) await c.getSecret(r);
    await session.close();
    expect(ssmOps()).toEqual(['GetParameters']);
  });
});

describe('Parameter Store: the same identity paths as Secrets Manager', () => {
  test('store auth.secretRef keys arrive as ESI_AWS_*_<store> env', async () => {
    proxy.reset();
    const names = credentialEnvNames('SecretStore', 'ssm-secret-ref');
    const env = viaProxy({ ...(await awsEnv('irsa', { namespace: ns, serviceAccount: 'app' })), [names.awsAccessKeyId!]: 'AKIAESISSMSECRETREF1', [names.awsSecretAccessKey!]: 'y' });
    const s = store('ssm-secret-ref', { auth: { secretRef: { accessKeyIDSecretRef: { name: 'aws', key: 'id' }, secretAccessKeySecretRef: { name: 'aws', key: 'secret' } } } });
    const c = await createSecretsClient(s, ctx(env));
    expect(text(await c.getSecret({ key: `/${ns}/plain` }))).toBe('hello');
    await c.close();
    expect(proxy.calls.filter((x) => x.op === 'GetParameter').map((x) => x.accessKeyId)).toEqual(['AKIAESISSMSECRETREF1']);
    expect(proxy.count('AssumeRoleWithWebIdentity')).toBe(0);
  });

  test('IRSA: the projected token is exchanged at STS for the pod role', async () => {
    proxy.reset();
    const c = await createSecretsClient(store('ssm-irsa'), ctx(viaProxy(await awsEnv('irsa', { namespace: ns, serviceAccount: 'irsa-ssm' }))));
    expect(text(await c.getSecret({ key: `/${ns}/plain` }))).toBe('hello');
    await c.close();
    expect(proxy.count('AssumeRoleWithWebIdentity')).toBe(1);
  });

  test('EKS Pod Identity: credentials from the container endpoint', async () => {
    await registerPodIdentity(ns, 'pod-ssm', `arn:aws:iam::${harness().awsAccountId}:role/pod-ssm`);
    const before = await podIdentityStats(ns, 'pod-ssm');
    const c = await createSecretsClient(store('ssm-pod-identity'), ctx(await awsEnv('pod-identity', { namespace: ns, serviceAccount: 'pod-ssm' })));
    expect(text(await c.getSecret({ key: `/${ns}/plain` }))).toBe('hello');
    await c.close();
    expect((await podIdentityStats(ns, 'pod-ssm')).served).toBe(before.served + 1);
  });
});

describe('esi render with a Parameter Store store', () => {
  test('prints the Secret ESO would write; a missing property is one line naming the field, without a value', async () => {
    const dir = await mkdtemp(scratchPath('render-ssm-'));
    const es = (property: string) => `apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: { name: app, namespace: ${ns} }
spec:
  secretStoreRef: { name: ssm }
  data:
    - { secretKey: password, remoteRef: { key: /${ns}/db, property: ${property} } }
  dataFrom:
    - find: { tags: { team: payments }, path: /${ns} }
      rewrite: [{ regexp: { source: "^/${ns}/", target: "" } }]
`;
    await writeFile(join(dir, 'store.yaml'), `apiVersion: external-secrets.io/v1
kind: SecretStore
metadata: { name: ssm, namespace: ${ns} }
spec: { provider: { aws: { service: ParameterStore, region: ${harness().awsRegion} } } }
`);
    await writeFile(join(dir, 'es.yaml'), es('password'));
    await writeFile(join(dir, 'bad.yaml'), es('nope'));
    const env = await awsEnv('static');
    const cli = join(import.meta.dirname, '..', '..', 'dist', 'esi.mjs');
    const ok = await run(process.execPath, [cli, 'render', '--external-secret', join(dir, 'es.yaml'), '--store', join(dir, 'store.yaml'), '-o', 'json'], { env });
    const secret = JSON.parse(ok.stdout) as { data: Record<string, string> };
    expect(Buffer.from(secret.data['password']!, 'base64').toString()).toBe(secretValue);
    expect(Buffer.from(secret.data['plain']!, 'base64').toString()).toBe('hello');
    const bad = await run(process.execPath, [cli, 'render', '--external-secret', join(dir, 'bad.yaml'), '--store', join(dir, 'store.yaml')], { env }).catch((e: { code: number; stderr: string }) => e);
    expect((bad as { code: number }).code).toBe(1);
    const stderr = (bad as { stderr: string }).stderr;
    expect(stderr).toContain(`key nope does not exist in secret /${ns}/db`);
    expect(stderr).not.toContain(secretValue);
    expect(stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('the agent with a Parameter Store store', () => {
  test('first sync writes the files; a new parameter version rotates them in place', async () => {
    const key = `/${ns}/agent/db`;
    const pw1 = sentinel('agent-ssm-1');
    await put(key, JSON.stringify({ username: 'app', password: pw1 }));
    const config = agentConfig(ns, { name: 'ssm', provider: { aws: { service: 'ParameterStore', region: harness().awsRegion } } }, [
      { name: 'db', refreshInterval: '300ms', data: [{ secretKey: 'password', key, property: 'password' }, { secretKey: 'username', key, property: 'username' }] },
    ]);
    const agent = await startAgent('ssm', { config, env: await awsEnv('static') });
    try {
      const dir = agent.dir('db');
      await waitFor(async () => (await fileHash(join(dir, 'password'))) === sha256(pw1), 'first sync');
      const pw2 = sentinel('agent-ssm-2');
      await put(key, JSON.stringify({ username: 'app2', password: pw2 }));
      await waitFor(async () => (await fileHash(join(dir, 'password'))) === sha256(pw2), 'rotation');
      expect(await fileHash(join(dir, 'username'))).toBe(sha256('app2'));
    } finally {
      expect(await agent.stop()).toBe(0);
    }
  });
});
