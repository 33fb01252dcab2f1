// providers/ against the real OpenBao dev server of the harness: Kubernetes auth with a real TokenRequest
// token (OpenBao reviews it at the test apiserver), KV v2 and KV v1, ESO's Vault semantics on real
// responses, token renewal and re-login (clock-driven and after revocation), token/AppRole/VAULT_TOKEN
// auth from env, caBundle over TLS, custom headers, namespaces, and no value in logs or errors.
import { appendFileSync, readFileSync } from 'node:fs';
import { jsonLogger } from '../../core/log.ts';
import { createServer as createHttpsServer, type Server } from 'node:https';
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { NoSecretError } from '../../core/index.ts';
import { loadRegexpEngine, type SecretStore, type VaultProvider } from '../../eso/index.ts';
import { createSecretsClient, credentialEnvNames, openStore, type ProviderContext, type ProviderLogger } from '../../providers/index.ts';
import {
  VAULT_AUDIENCE,
  createServiceAccountToken,
  freshNamespace,
  harness,
  issueServingCertificate,
  logFile,
  putBaoSecret,
  sentinel,
  writeTokenFile,
} from '../harness/index.ts';
import { baoApi } from '../harness/openbao.ts';

/** The OpenBao API with the root token (setup and revocation only). */
const bao = (method: string, path: string, body?: unknown) => baoApi(harness().baoUrl, harness().baoRootToken, method, path, body);

/** Writes raw JSON text, so a number like 1.50 reaches the server as written. */
async function putBaoRaw(path: string, json: string): Promise<void> {
  const h = harness();
  const r = await fetch(`${h.baoUrl}/v1/${path}`, {
    method: 'POST',
    headers: { 'X-Vault-Token': h.baoRootToken, 'content-type': 'application/json' },
    body: json,
    signal: AbortSignal.timeout(15_000),
  });
  if (!r.ok) throw new Error(`OpenBao POST /v1/${path} → HTTP ${r.status}`);
}

let ns: string;
let tokenPath: string;
const role = () => `${ns}-app`;
const sentinels: string[] = [];
const logLines: string[] = [];
const calls: string[] = [];
const text = (b: Uint8Array) => Buffer.from(b).toString('utf8');

const logger: ProviderLogger = jsonLogger({
  level: 'debug',
  write: (line) => {
    logLines.push(line);
    appendFileSync(logFile('esi-providers-vault.log'), line);
  },
});

function store(name: string, vault: Partial<VaultProvider>): SecretStore {
  return {
    apiVersion: 'external-secrets.io/v1',
    kind: 'SecretStore',
    metadata: { name, namespace: ns },
    spec: { provider: { vault: { server: harness().baoUrl, path: 'secret', version: 'v2', ...vault } } },
  } as SecretStore;
}

const k8sAuth = (r = role()) => ({ kubernetes: { mountPath: 'kubernetes', role: r } });

function ctx(o: Partial<ProviderContext> = {}): ProviderContext {
  return {
    namespace: ns,
    env: {},
    serviceAccountTokenPath: tokenPath,
    logger,
    timeoutMs: 15_000,
    metrics: (_b, op, outcome) => calls.push(`${op}:${outcome}`),
    ...o,
  };
}
const count = (op: string) => calls.filter((c) => c.startsWith(`${op}:`)).length;

let password: string;

// These tests call the providers' find directly, without an entry point that loads the engine first.
beforeAll(loadRegexpEngine);

beforeAll(async () => {
  ns = await freshNamespace('prov-bao');
  password = sentinel('prov-bao-db');
  sentinels.push(password);
  await putBaoSecret('secret', `${ns}/app/db`, { user: 'app', password });
  await putBaoSecret('secret', `${ns}/app/db`, { user: 'app2', password });
  await bao('POST', `secret/metadata/${ns}/app/db`, { custom_metadata: { env: 'prod', owner: 'team-a' } });
  await putBaoSecret('secret', `${ns}/app/cache`, { url: 'redis://cache' });
  await bao('POST', `secret/metadata/${ns}/app/cache`, { custom_metadata: { env: 'dev' } });
  await putBaoRaw(`secret/data/${ns}/nums`, '{"data":{"f":1.50,"e":1e3,"big":12345678901234567890,"s":"<&>","n":null,"o":{"b":1,"a":"x"},"a.b":"dotted"}}');
  // KV v1 keeps the JSON number text as written; OpenBao's KV v2 stores numbers as float64.
  await putBaoRaw(`kv1/${ns}/nums`, '{"f":1.50,"e":1e3,"big":12345678901234567890,"s":"<&>","o":{"b":1,"a":"x"}}');
  await putBaoSecret('secret', `${ns}/gone`, { a: '1' });
  await bao('DELETE', `secret/data/${ns}/gone`);
  await putBaoSecret('kv1', `${ns}/app/db`, { user: 'v1user', port: 5432 }, 1);
  await bao('PUT', `sys/policies/acl/${ns}-read`, {
    policy: [
      `path "secret/data/${ns}/*" { capabilities = ["read"] }`,
      `path "secret/metadata/${ns}/*" { capabilities = ["read", "list"] }`,
      `path "kv1/${ns}/*" { capabilities = ["read", "list"] }`,
    ].join('\n'),
  });
  await bao('POST', `auth/kubernetes/role/${role()}`, {
    bound_service_account_names: ['app'],
    bound_service_account_namespaces: [ns],
    audience: VAULT_AUDIENCE,
    token_policies: [`${ns}-read`],
    token_ttl: '60s',
    token_max_ttl: '1h',
  });
  tokenPath = writeTokenFile(await createServiceAccountToken(ns, 'app', [VAULT_AUDIENCE], 3600), `vault-token-${ns}`);
});

describe('Vault Kubernetes auth with the pod token, KV v2', () => {
  test('logs in once and reads each path once per sync', async () => {
    calls.length = 0;
    const c = await createSecretsClient(store('k8s', { auth: k8sAuth() }), ctx());
    expect(text(await c.getSecret({ key: `${ns}/app/db`, property: 'user' }))).toBe('app2');
    expect(text(await c.getSecret({ key: `${ns}/app/db`, property: 'password' })) === password).toBe(true);
    expect(Object.keys(await c.getSecretMap({ key: `${ns}/app/db` })).sort()).toEqual(['password', 'user']);
    await c.close();
    expect(calls).toEqual(['login:ok', 'read:ok']);
  });

  test('one session, many syncs: one login, one read per path per sync', async () => {
    calls.length = 0;
    const session = await openStore(store('session', { auth: k8sAuth() }), ctx());
    for (let i = 0; i < 3; i++) {
      const c = session.forSync();
      await c.prefetch([{ key: `${ns}/app/db` }, { key: `${ns}/app/cache` }, { key: `${ns}/app/db`, property: 'user' }]);
      await c.getSecret({ key: `${ns}/app/db`, property: 'user' });
      await c.getSecret({ key: `${ns}/app/cache`, property: 'url' });
    }
    await session.close();
    expect(count('login')).toBe(1);
    expect(count('read')).toBe(6);
  });

  test("ESO's Vault value rules on real KV v2 responses (OpenBao's KV v2 returns numbers as float64 text)", async () => {
    const c = await createSecretsClient(store('values', { auth: k8sAuth() }), ctx());
    expect(text(await c.getSecret({ key: `${ns}/nums` }))).toBe(
      '{"a.b":"dotted","big":12345678901234567000,"e":1000,"f":1.5,"n":null,"o":{"a":"x","b":1},"s":"\\u003c\\u0026\\u003e"}',
    );
    expect(text(await c.getSecret({ key: `${ns}/nums`, property: 'f' }))).toBe('1.5');
    expect(text(await c.getSecret({ key: `${ns}/nums`, property: 'a.b' }))).toBe('dotted');
    expect(text(await c.getSecret({ key: `${ns}/nums`, property: 'o.b' }))).toBe('1');
    const m = await c.getSecretMap({ key: `${ns}/nums` });
    expect(Object.fromEntries(Object.entries(m).map(([k, v]) => [k, text(v)]))).toEqual({
      'a.b': 'dotted',
      big: '12345678901234567000',
      e: '1000',
      f: '1.5',
      n: '',
      o: '{"a":"x","b":1}',
      s: '<&>',
    });
    await expect(c.getSecret({ key: `${ns}/nums`, property: 'zzz' })).rejects.toThrow('cannot find secret data for key: "zzz"');
    await c.close();
  });

  test('versions, deleted versions and missing secrets', async () => {
    const c = await createSecretsClient(store('versions', { auth: k8sAuth() }), ctx());
    expect(text(await c.getSecret({ key: `${ns}/app/db`, version: '1', property: 'user' }))).toBe('app');
    await expect(c.getSecret({ key: `${ns}/gone` })).rejects.toBeInstanceOf(NoSecretError);
    await expect(c.getSecret({ key: `${ns}/absent` })).rejects.toBeInstanceOf(NoSecretError);
    await c.close();
  });

  test('metadataPolicy Fetch and find by name and by tags', async () => {
    const c = await createSecretsClient(store('meta', { auth: k8sAuth() }), ctx());
    expect(text(await c.getSecret({ key: `${ns}/app/db`, metadataPolicy: 'Fetch', property: 'owner' }))).toBe('team-a');
    expect(text(await c.getSecret({ key: `${ns}/app/db`, metadataPolicy: 'Fetch', property: 'current_version' }))).toBe('2');
    const byName = await c.getAllSecrets({ path: `${ns}/app`, name: { regexp: '/cache$' } });
    expect(Object.keys(byName)).toEqual([`${ns}/app/cache`]);
    expect(text(byName[`${ns}/app/cache`]!)).toBe('{"url":"redis://cache"}');
    const byTags = await c.getAllSecrets({ path: ns, tags: { env: 'prod' } });
    expect(Object.keys(byTags)).toEqual([`${ns}/app/db`]);
    const all = await c.getAllSecrets({ path: ns });
    expect(Object.keys(all).sort()).toEqual([`${ns}/app/cache`, `${ns}/app/db`, `${ns}/nums`]);
    await c.close();
  });

  test('a path outside the policy is ESO’s wrapped 403, a wrong role is a login error', async () => {
    const c = await createSecretsClient(store('denied', { auth: k8sAuth() }), ctx());
    const e = await c.getSecret({ key: 'elsewhere/x' }).then(() => new Error('no error'), (x: Error) => x);
    expect(e.message).toMatch(/^cannot read secret data from Vault: Error making API request\.\n\nURL: GET http:\/\/127\.0\.0\.1:\d+\/v1\/secret\/data\/elsewhere\/x\nCode: 403\. Errors:\n\n\* /);
    await c.close();
    const bad = await createSecretsClient(store('bad-role', { auth: k8sAuth('no-such-role') }), ctx());
    await expect(bad.getSecret({ key: `${ns}/app/db` })).rejects.toThrow(/kubernetes login at http:\/\/127\.0\.0\.1:\d+\/v1\/auth\/kubernetes\/login failed: HTTP 400/);
    await bad.close();
  });

  test("another service account's token is refused by the role", async () => {
    const other = writeTokenFile(await createServiceAccountToken(ns, 'intruder', [VAULT_AUDIENCE], 600));
    const c = await createSecretsClient(store('intruder', { auth: k8sAuth() }), ctx({ serviceAccountTokenPath: other }));
    await expect(c.getSecret({ key: `${ns}/app/db` })).rejects.toThrow(/failed: HTTP 403/);
    await c.close();
  });
});

describe('KV v1', () => {
  test('numbers reach ESO as the server wrote them (UseNumber): 1.50 stays 1.50 except in extract', async () => {
    const c = await createSecretsClient(store('kv1-nums', { path: 'kv1', version: 'v1', auth: k8sAuth() }), ctx());
    expect(text(await c.getSecret({ key: `${ns}/nums` }))).toBe(
      '{"big":12345678901234567890,"e":1e3,"f":1.50,"o":{"a":"x","b":1},"s":"\\u003c\\u0026\\u003e"}',
    );
    expect(text(await c.getSecret({ key: `${ns}/nums`, property: 'f' }))).toBe('1.50');
    expect(text(await c.getSecret({ key: `${ns}/nums`, property: 'e' }))).toBe('1e3');
    const m = await c.getSecretMap({ key: `${ns}/nums` });
    expect([text(m['f']!), text(m['e']!), text(m['big']!)]).toEqual(['1.5', '1000', '12345678901234567000']);
    await c.close();
  });

  test('reads the mount path directly with Kubernetes auth', async () => {
    calls.length = 0;
    const c = await createSecretsClient(store('kv1', { path: 'kv1', version: 'v1', auth: k8sAuth() }), ctx());
    expect(text(await c.getSecret({ key: `${ns}/app/db` }))).toBe('{"port":5432,"user":"v1user"}');
    expect(text(await c.getSecret({ key: `${ns}/app/db`, property: 'user' }))).toBe('v1user');
    expect(Object.keys(await c.getAllSecrets({ path: ns })).sort()).toEqual([`${ns}/app/db`, `${ns}/nums`]);
    await expect(c.getSecret({ key: `${ns}/app/db`, metadataPolicy: 'Fetch' })).rejects.toThrow('cannot perform metadata fetch operations with kv version v1');
    await c.close();
    expect(count('read')).toBe(2);
  });
});

describe('token lifecycle', () => {
  test('renews after 2/3 of the TTL and logs in again when the token is about to expire', async () => {
    calls.length = 0;
    let now = Date.now();
    const session = await openStore(store('lifecycle', { auth: k8sAuth() }), ctx({ now: () => now }));
    await session.forSync().getSecret({ key: `${ns}/app/db`, property: 'user' });
    now += 41_000; // token_ttl 60 s: past 2/3
    await session.forSync().getSecret({ key: `${ns}/app/db`, property: 'user' });
    now += 59_000; // past the renewed TTL
    await session.forSync().getSecret({ key: `${ns}/app/db`, property: 'user' });
    await session.close();
    expect(calls.filter((c) => !c.startsWith('read'))).toEqual(['login:ok', 'renew:ok', 'login:ok']);
  });

  test('logs in again when the server expired the token before the client expected', async () => {
    const shortRole = `${ns}-short`;
    await bao('POST', `auth/kubernetes/role/${shortRole}`, {
      bound_service_account_names: ['app'],
      bound_service_account_namespaces: [ns],
      audience: VAULT_AUDIENCE,
      token_policies: [`${ns}-read`],
      token_ttl: '2s',
      token_max_ttl: '2s',
    });
    calls.length = 0;
    const frozen = Date.now();
    // The client's clock stands still, so only the server knows the token has expired.
    const session = await openStore(store('expired', { auth: k8sAuth(shortRole) }), ctx({ now: () => frozen }));
    await session.forSync().getSecret({ key: `${ns}/app/db`, property: 'user' });
    await new Promise((r) => setTimeout(r, 3500));
    expect(text(await session.forSync().getSecret({ key: `${ns}/app/db`, property: 'user' }))).toBe('app2');
    await session.close();
    expect(count('login')).toBe(2);
  });

  test('logs in again when Vault answers 403 because the token was revoked', async () => {
    calls.length = 0;
    const session = await openStore(store('revoked', { auth: k8sAuth() }), ctx());
    await session.forSync().getSecret({ key: `${ns}/app/db`, property: 'user' });
    // Revoke every token of this role with the root token (the test never sees the agent's token).
    const list = (await bao('LIST', 'auth/token/accessors')) as { data: { keys: string[] } };
    let revoked = 0;
    for (const accessor of list.data.keys) {
      const info = (await bao('POST', 'auth/token/lookup-accessor', { accessor })) as { data: { meta?: Record<string, string> | null; path?: string } };
      if (info.data.meta?.['role'] === role() && info.data.path === 'auth/kubernetes/login') {
        await bao('POST', 'auth/token/revoke-accessor', { accessor });
        revoked++;
      }
    }
    expect(revoked).toBeGreaterThan(0);
    // Concurrent reads all hit the revoked token; one login serves them all.
    const c = session.forSync();
    await c.prefetch([{ key: `${ns}/app/db` }, { key: `${ns}/app/cache` }, { key: `${ns}/nums` }]);
    expect(text(await c.getSecret({ key: `${ns}/app/db`, property: 'user' }))).toBe('app2');
    expect(text(await c.getSecret({ key: `${ns}/app/cache`, property: 'url' }))).toBe('redis://cache');
    expect(text(await c.getSecret({ key: `${ns}/nums`, property: 'a.b' }))).toBe('dotted');
    await session.close();
    expect(count('login')).toBe(2);
    expect(calls.filter((x) => x === 'read:error')).toEqual([]);
  });
});

describe('other ways to a token', () => {
  test('tokenSecretRef: the token arrives as ESI_VAULT_TOKEN_<store> env', async () => {
    const created = (await bao('POST', 'auth/token/create', { policies: [`${ns}-read`], ttl: '10m' })) as { auth: { client_token: string } };
    const names = credentialEnvNames('SecretStore', 'token-ref');
    const s = store('token-ref', { auth: { tokenSecretRef: { name: 'vault-token', key: 'token' } } });
    const c = await createSecretsClient(s, ctx({ env: { [names.vaultToken]: created.auth.client_token }, serviceAccountTokenPath: undefined }));
    expect(text(await c.getSecret({ key: `${ns}/app/db`, property: 'user' }))).toBe('app2');
    await c.close();
    const missing = await createSecretsClient(s, ctx({ env: {} }));
    await expect(missing.getSecret({ key: `${ns}/app/db` })).rejects.toThrow(names.vaultToken);
    await missing.close();
  });

  test('AppRole: role id from the store, secret id from env', async () => {
    const mount = `approle-${ns}`;
    await bao('POST', `sys/auth/${mount}`, { type: 'approle' });
    await bao('POST', `auth/${mount}/role/app`, { token_policies: [`${ns}-read`] });
    const roleId = ((await bao('GET', `auth/${mount}/role/app/role-id`)) as { data: { role_id: string } }).data.role_id;
    const secretId = ((await bao('POST', `auth/${mount}/role/app/secret-id`, {})) as { data: { secret_id: string } }).data.secret_id;
    const names = credentialEnvNames('SecretStore', 'approle');
    const s = store('approle', { auth: { appRole: { path: mount, roleId, secretRef: { name: 'approle', key: 'secret-id' } } } });
    calls.length = 0;
    const c = await createSecretsClient(s, ctx({ env: { [names.vaultAppRoleSecretId]: secretId } }));
    expect(text(await c.getSecret({ key: `${ns}/app/cache`, property: 'url' }))).toBe('redis://cache');
    await c.close();
    expect(count('login')).toBe(1);
  });

  test('VAULT_TOKEN on a workstation when the pod token file is absent', async () => {
    const created = (await bao('POST', 'auth/token/create', { policies: [`${ns}-read`], ttl: '10m' })) as { auth: { client_token: string } };
    const c = await createSecretsClient(store('workstation', { auth: k8sAuth() }), ctx({ env: { VAULT_TOKEN: created.auth.client_token }, serviceAccountTokenPath: undefined }));
    expect(text(await c.getSecret({ key: `${ns}/app/db`, property: 'user' }))).toBe('app2');
    await c.close();
  });
});

describe('transport options', () => {
  let tls: Server;
  let tlsUrl: string;
  const seen: { namespace?: string; custom?: string; hasToken: boolean; path: string }[] = [];
  beforeAll(async () => {
    const h = harness();
    const cert = await issueServingCertificate(`bao-tls-${ns}`);
    const target = new URL(h.baoUrl);
    tls = createHttpsServer({ cert: readFileSync(cert.cert), key: readFileSync(cert.key) }, (req, res) => {
      seen.push({
        namespace: req.headers['x-vault-namespace'] as string | undefined,
        custom: req.headers['x-esi-test'] as string | undefined,
        hasToken: !!req.headers['x-vault-token'],
        path: req.url ?? '',
      });
      const up = httpRequest({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      up.on('error', () => res.writeHead(502).end());
      req.pipe(up);
    });
    await new Promise<void>((resolve) => tls.listen(0, '127.0.0.1', resolve));
    const a = tls.address();
    tlsUrl = `https://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
  });
  afterAll(async () => {
    tls?.closeAllConnections();
    await new Promise<void>((resolve) => (tls ? tls.close(() => resolve()) : resolve()));
  });

  test('caBundle verifies a private CA; without it TLS fails', async () => {
    const ca = readFileSync(harness().caPath).toString('base64');
    const ok = await createSecretsClient(store('tls', { server: tlsUrl, caBundle: ca, auth: k8sAuth(), headers: { 'X-Esi-Test': 'yes' } }), ctx());
    expect(text(await ok.getSecret({ key: `${ns}/app/db`, property: 'user' }))).toBe('app2');
    await ok.close();
    expect(seen.length).toBeGreaterThanOrEqual(2);
    expect(seen.every((s) => s.custom === 'yes')).toBe(true);
    expect(seen.find((s) => s.path.startsWith('/v1/secret/'))?.hasToken).toBe(true);
    const bad = await createSecretsClient(store('tls-no-ca', { server: tlsUrl, auth: k8sAuth() }), ctx());
    await expect(bad.getSecret({ key: `${ns}/app/db` })).rejects.toThrow(/certificate/);
    await bad.close();
  });

  test('an unresolved caProvider is refused with a message that says who resolves it', async () => {
    const s = store('ca-provider', { server: tlsUrl, caProvider: { type: 'ConfigMap', name: 'ca', key: 'ca.crt' }, auth: k8sAuth() });
    await expect(createSecretsClient(s, ctx())).rejects.toThrow('caProvider ConfigMap/ca was not resolved');
  });

  test('namespace and auth.namespace are sent as X-Vault-Namespace', async () => {
    seen.length = 0;
    const ca = readFileSync(harness().caPath).toString('base64');
    const created = (await bao('POST', 'auth/token/create', { policies: [`${ns}-read`], ttl: '10m' })) as { auth: { client_token: string } };
    const c = await createSecretsClient(
      store('ns-header', { server: tlsUrl, caBundle: ca, namespace: 'team-a', auth: { kubernetes: { mountPath: 'kubernetes', role: role() }, namespace: '' } as VaultProvider['auth'] }),
      ctx(),
    );
    // OpenBao's dev server may not know namespace team-a; the header is what is asserted here.
    await c.getSecret({ key: `${ns}/app/db` }).catch(() => undefined);
    await c.close();
    void created;
    expect(seen.find((s) => s.path.includes('/auth/kubernetes/login'))?.namespace).toBeUndefined();
    expect(seen.find((s) => s.path.startsWith('/v1/secret/'))?.namespace).toBe('team-a');
  });
});

describe('namespaces on OpenBao', () => {
  test('reads a KV v2 secret inside a namespace', async (t) => {
    // A fresh name per attempt: a retry must not meet the namespace the failed attempt made.
    const child = `esi-${ns}-${Math.random().toString(16).slice(2, 6)}`;
    try {
      await bao('POST', `sys/namespaces/${child}`, {});
    } catch (e) {
      t.skip(`this OpenBao build has no namespaces (${(e as Error).message})`);
    }
    const h = harness();
    const inNs = async (method: string, path: string, body: unknown) => {
      const r = await fetch(`${h.baoUrl}/v1/${path}`, {
        method,
        headers: { 'X-Vault-Token': h.baoRootToken, 'X-Vault-Namespace': child, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (!r.ok) throw new Error(`OpenBao ${method} ${path} in ${child} → ${r.status}`);
    };
    await inNs('POST', 'sys/mounts/kvns', { type: 'kv', options: { version: '2' } });
    // A new KV v2 mount upgrades itself in the background and answers 400 until it has (slow on a busy machine).
    for (let i = 0; ; i++) {
      try {
        await inNs('POST', 'kvns/data/app', { data: { where: 'inside' } });
        break;
      } catch (e) {
        if (i >= 100) throw e;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    const c = await createSecretsClient(store('ns-read', { path: 'kvns', namespace: child }), ctx({ env: { VAULT_TOKEN: h.baoRootToken }, serviceAccountTokenPath: undefined }));
    expect(text(await c.getSecret({ key: 'app', property: 'where' }))).toBe('inside');
    await c.close();
    const outside = await createSecretsClient(store('ns-outside', { path: 'kvns' }), ctx({ env: { VAULT_TOKEN: h.baoRootToken }, serviceAccountTokenPath: undefined }));
    await expect(outside.getSecret({ key: 'app' })).rejects.toThrow(/Code: 404|Secret does not exist|Code: 403/);
    await outside.close();
  });
});

describe('hygiene', () => {
  test('no secret value or token in any log line or error message', async () => {
    const c = await createSecretsClient(store('hygiene', { auth: k8sAuth() }), ctx());
    const errors = [
      await c.getSecret({ key: `${ns}/app/db`, property: 'nope' }).catch((e: Error) => e.message),
      await c.getSecretMap({ key: `${ns}/app/db`, property: 'password' }).catch((e: Error) => e.message),
    ];
    await c.close();
    const jwt = readFileSync(tokenPath, 'utf8');
    expect(logLines.length).toBeGreaterThan(0);
    for (const secret of [...sentinels, jwt]) {
      for (const line of logLines) expect(line.includes(secret)).toBe(false);
      for (const e of errors) expect(String(e).includes(secret)).toBe(false);
    }
  });
});
