// Azure Key Vault (providers/azure/keyvault) on the wire, against the harness's Key Vault + Entra ID double
// (test/harness/azure-keyvault.ts): a double, not Azure — no Key Vault emulator is reachable from this
// machine; it is written from Azure's published REST reference (its header lists which behaviours). Served
// over HTTPS with the run's CA. Covers the double's own contract (401 challenge, api-version, paging, error
// bodies, the federated token exchange verified by TokenReview), ESO's semantics on its responses, each
// identity (service principal, Workload Identity from AKS's env and from serviceAccountRef, managed identity),
// and `esi render` as a user runs it (NODE_EXTRA_CA_CERTS trusting the CA, as for a private endpoint).
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import https from 'node:https';
import { rootCertificates } from 'node:tls';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { stringify } from 'yaml';
import { NoSecretError } from '../../core/index.ts';
import type { SecretStore } from '../../eso/index.ts';
import { createSecretsClient, credentialEnvNames, openStore, type ProviderContext } from '../../providers/index.ts';
import { AZURE_TOKEN_AUDIENCE, startKeyVaultDouble, type KeyVaultDouble } from '../harness/azure-keyvault.ts';
import { adminAccess, createServiceAccountToken, freshNamespace, harness, issueServingCertificate, scratchPath, sentinel, sha256, writeTokenFile } from '../harness/index.ts';

const run = promisify(execFile);
const esi = resolve(import.meta.dirname, '..', '..', 'dist', 'esi.mjs');
const LEAF_DER = new X509Certificate(readFileSync(resolve(import.meta.dirname, '../../eso/template/testdata/pki/leaf.crt'))).raw;
const text = (b: Uint8Array) => Buffer.from(b).toString('utf8');
const textMap = (m: Record<string, Uint8Array>) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, text(v)]));

let ns: string;
let kv: KeyVaultDouble;
let pw: string;
const SP = { clientId: 'sp-0001', secret: 'sp-secret-not-a-value' };
const previousAgent = https.globalAgent;

beforeAll(async () => {
  ns = await freshNamespace('azure');
  const tls = await issueServingCertificate('azure-keyvault');
  // In this process the providers use Node's default agent: trust the run's CA next to the public roots,
  // which NODE_EXTRA_CA_CERTS does for the CLI below (and for an agent behind a private endpoint).
  https.globalAgent = new https.Agent({ keepAlive: true, ca: [...rootCertificates, readFileSync(tls.ca, 'utf8')] });
  kv = await startKeyVaultDouble({ kube: adminAccess(), cert: readFileSync(tls.cert, 'utf8'), key: readFileSync(tls.key, 'utf8') });
  kv.addServicePrincipal(SP.clientId, SP.secret);
  kv.grant(SP.clientId);
  pw = sentinel('azure-db');
  kv.setSecret('db', JSON.stringify({ user: 'old', password: 'old' }));
  kv.setSecret('db', JSON.stringify({ user: 'app', password: pw, 'a.b': 'dotted' }), { tags: { env: 'prod', team: 'pay' } });
  kv.setSecret('dormant', 'off', { tags: { env: 'prod' }, enabled: false });
  for (let i = 0; i < 30; i++) kv.setSecret(`bulk-${String(i).padStart(2, '0')}`, `v${i}`, { tags: { batch: i % 2 === 0 ? 'even' : 'odd' } });
  kv.putCertificate('tls', LEAF_DER, { owner: 'web' });
  kv.putKey('signing', { kty: 'RSA', key_ops: ['sign', 'verify'], n: 'sXch', e: 'AQAB' });
});

afterAll(async () => {
  https.globalAgent = previousAgent;
  await kv?.close();
});

function store(name: string, azurekv: Record<string, unknown>): SecretStore {
  return { apiVersion: 'external-secrets.io/v1', kind: 'SecretStore', metadata: { name, namespace: ns }, spec: { provider: { azurekv: { vaultUrl: kv.url, ...azurekv } } } } as SecretStore;
}

const spStore = (name = 'kv-sp') =>
  store(name, { tenantId: kv.tenantId, authSecretRef: { clientId: { name: 'azure-sp', key: 'client-id' }, clientSecret: { name: 'azure-sp', key: 'client-secret' } } });

function spEnv(name = 'kv-sp', secret = SP.secret): Record<string, string> {
  const n = credentialEnvNames('SecretStore', name);
  return { [n['azureClientId']!]: SP.clientId, [n['azureClientSecret']!]: secret, AZURE_AUTHORITY_HOST: kv.url };
}

const ctx = (env: Record<string, string>, extra: Partial<ProviderContext> = {}): ProviderContext => ({ namespace: ns, env, timeoutMs: 15_000, ...extra });

describe('the double (its own contract)', () => {
  test('a request without a token gets the 401 challenge; api-version is required; paging follows nextLink', async () => {
    const r = await fetchJson(`${kv.url}/secrets/db/?api-version=7.4`);
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toBe(`Bearer authorization="${kv.url}/${kv.tenantId}", resource="https://vault.azure.net"`);
    expect(r.body).toEqual({ error: { code: 'Unauthorized', message: 'AKV10000: Request is missing a Bearer or PoP token.' } });

    const token = await spToken();
    const noVersion = await fetchJson(`${kv.url}/secrets/db/`, token);
    expect(noVersion.status).toBe(400);
    expect((noVersion.body as { error: { code: string } }).error.code).toBe('BadParameter');
    const page1 = await fetchJson(`${kv.url}/secrets?api-version=7.4`, token);
    const b1 = page1.body as { value: { id: string }[]; nextLink: string };
    expect(b1.value).toHaveLength(25);
    expect(b1.nextLink).toMatch(new RegExp(`^${kv.url}/secrets\\?api-version=7\\.4&\\$skiptoken=`));
    const page2 = (await fetchJson(b1.nextLink, token)).body as { value: unknown[]; nextLink: string | null };
    expect(page2.value.length).toBeGreaterThan(0);
    expect(page2.nextLink).toBeNull();
  });

  test('Entra: a wrong client secret and an unknown app are AADSTS errors; a federated assertion is checked by TokenReview', async () => {
    const bad = await postForm(`${kv.url}/${kv.tenantId}/oauth2/v2.0/token`, { grant_type: 'client_credentials', client_id: SP.clientId, client_secret: 'wrong', scope: 'https://vault.azure.net/.default' });
    expect(bad.status).toBe(401);
    expect((bad.body as { error_description: string }).error_description).toMatch(/^AADSTS7000215: Invalid client secret provided/);
    const unknown = await postForm(`${kv.url}/${kv.tenantId}/oauth2/v2.0/token`, { grant_type: 'client_credentials', client_id: 'nobody', client_secret: 'x', scope: 'https://vault.azure.net/.default' });
    expect((unknown.body as { error_codes: number[] }).error_codes).toEqual([700016]);

    kv.addFederatedCredential('wi-trust', ns, 'trusted');
    const exchange = (assertion: string) =>
      postForm(`${kv.url}/${kv.tenantId}/oauth2/v2.0/token`, {
        grant_type: 'client_credentials',
        client_id: 'wi-trust',
        scope: 'https://vault.azure.net/.default',
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: assertion,
      });
    expect((await exchange(await createServiceAccountToken(ns, 'trusted', [AZURE_TOKEN_AUDIENCE], 600))).status).toBe(200);
    const other = await exchange(await createServiceAccountToken(ns, 'intruder', [AZURE_TOKEN_AUDIENCE], 600));
    expect((other.body as { error_codes: number[] }).error_codes).toEqual([70021]);
    const wrongAudience = await exchange(await createServiceAccountToken(ns, 'trusted', ['sts.amazonaws.com'], 600));
    expect((wrongAudience.body as { error_codes: number[] }).error_codes).toEqual([700211]);
  });
});

describe('ESO semantics on the double (service principal)', () => {
  test('values, versions, property, cert/ DER, key/ JWK, metadataPolicy Fetch', async () => {
    const c = await createSecretsClient(spStore(), ctx(spEnv()));
    try {
      expect(sha256(await c.getSecret({ key: 'db', property: 'password' }))).toBe(sha256(pw));
      expect(text(await c.getSecret({ key: 'secret/db', property: 'a.b' }))).toBe('dotted');
      expect(Buffer.from(await c.getSecret({ key: 'cert/tls' })).equals(LEAF_DER)).toBe(true);
      expect(text(await c.getSecret({ key: 'key/signing' }))).toMatch(/^\{"kid":"https:\/\/127\.0\.0\.1:\d+\/keys\/signing\/[0-9a-f]{32}","kty":"RSA","key_ops":\["sign","verify"\],"n":"sXch","e":"AQAB"\}$/);
      expect(JSON.parse(text(await c.getSecret({ key: 'db', metadataPolicy: 'Fetch' })))).toMatchObject({ env: 'prod', team: 'pay', 'attribute.created': expect.stringMatching(/Z$/) });
      expect(text(await c.getSecret({ key: 'cert/tls', metadataPolicy: 'Fetch', property: 'owner' }))).toBe('web');
      expect(Object.keys(await c.getSecretMap({ key: 'db' })).sort()).toEqual(['a.b', 'password', 'user']);
    } finally {
      await c.close();
    }
    const first = kv.setSecret('versioned', 'one');
    kv.setSecret('versioned', 'two');
    const c2 = await createSecretsClient(spStore(), ctx(spEnv()));
    try {
      expect(text(await c2.getSecret({ key: 'versioned' }))).toBe('two');
      expect(text(await c2.getSecret({ key: 'versioned', version: first }))).toBe('one');
    } finally {
      await c2.close();
    }
  });

  test('find by name and by tags over nextLink pages, disabled secrets skipped', async () => {
    const c = await createSecretsClient(spStore(), ctx(spEnv()));
    try {
      const byName = await c.getAllSecrets({ name: { regexp: '^bulk-2' } });
      expect(textMap(byName)).toEqual(Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`bulk-2${i}`, `v${20 + i}`])));
      const byTag = await c.getAllSecrets({ tags: { env: 'prod' } });
      expect(Object.keys(byTag)).toEqual(['db']);
      expect(kv.stats().calls['GetSecrets']).toBeGreaterThanOrEqual(4);
    } finally {
      await c.close();
    }
  });

  test("not found is NoSecretErr; disabled and forbidden keep Key Vault's error in go-autorest's words; a bad secret is Entra's error", async () => {
    const c = await createSecretsClient(spStore(), ctx(spEnv()));
    try {
      await expect(c.getSecret({ key: 'missing' })).rejects.toBeInstanceOf(NoSecretError);
      await expect(c.getSecret({ key: 'cert/missing' })).rejects.toBeInstanceOf(NoSecretError);
      await expect(c.getSecret({ key: 'dormant' })).rejects.toThrow(
        'keyvault.BaseClient#GetSecret: Failure responding to request: StatusCode=403 -- Original Error: autorest/azure: Service returned an error. Status=403 Code="Forbidden" Message="Operation get is not allowed on a disabled secret." InnerError={"code":"SecretDisabled"}',
      );
    } finally {
      await c.close();
    }
    kv.addServicePrincipal('sp-no-access', 'pw-no-access');
    const n = credentialEnvNames('SecretStore', 'kv-sp');
    const denied = await createSecretsClient(spStore(), ctx({ [n['azureClientId']!]: 'sp-no-access', [n['azureClientSecret']!]: 'pw-no-access', AZURE_AUTHORITY_HOST: kv.url }));
    try {
      await expect(denied.getSecret({ key: 'db' })).rejects.toThrow(/StatusCode=403 .*Code="Forbidden" Message="The user, group or application 'appid=sp-no-access;.*does not have secrets get permission .*InnerError=\{"code":"AccessDenied"\}/);
    } finally {
      await denied.close();
    }
    const wrong = await createSecretsClient(spStore(), ctx(spEnv('kv-sp', 'not-the-secret')));
    try {
      const e = await wrong.getSecret({ key: 'db' }).catch((x: Error) => x);
      expect((e as Error).message).toMatch(new RegExp(`^azure: token request to ${kv.url}/${kv.tenantId} failed with 401 invalid_client: AADSTS7000215: Invalid client secret provided`));
      expect((e as Error).message).not.toContain('not-the-secret');
    } finally {
      await wrong.close();
    }
  });

  test('a service principal with a certificate (authSecretRef.clientCertificate): a signed client assertion', async () => {
    const pki = (f: string) => readFileSync(resolve(import.meta.dirname, `../../eso/template/testdata/pki/${f}`), 'utf8');
    kv.addServicePrincipalCertificate('sp-cert', pki('leaf.crt'));
    kv.grant('sp-cert');
    const s = store('kv-sp-cert', { tenantId: kv.tenantId, authSecretRef: { clientId: { name: 'azure-sp', key: 'client-id' }, clientCertificate: { name: 'azure-sp', key: 'cert.pem' } } });
    const n = credentialEnvNames('SecretStore', 'kv-sp-cert');
    const before = kv.stats().tokens['client_certificate'] ?? 0;
    const c = await createSecretsClient(s, ctx({ [n['azureClientId']!]: 'sp-cert', [n['azureClientCertificate']!]: pki('leaf.crt') + pki('leaf.key'), AZURE_AUTHORITY_HOST: kv.url }));
    try {
      expect(text(await c.getSecret({ key: 'db', property: 'user' }))).toBe('app');
    } finally {
      await c.close();
    }
    expect(kv.stats().tokens['client_certificate']).toBe(before + 1);
    // Another key than the registered certificate's is refused by Entra.
    const other = await createSecretsClient(s, ctx({ [n['azureClientId']!]: 'sp-cert', [n['azureClientCertificate']!]: pki('other-root.crt') + pki('other-root.key'), AZURE_AUTHORITY_HOST: kv.url }));
    try {
      await expect(other.getSecret({ key: 'db' })).rejects.toThrow(/failed with 401 invalid_client: AADSTS700027/);
    } finally {
      await other.close();
    }
  });

  test('a revoked token is replaced after the 401 challenge, within the same call', async () => {
    const session = await openStore(spStore(), ctx(spEnv()));
    try {
      expect(text(await session.forSync().getSecret({ key: 'db', property: 'user' }))).toBe('app');
      const before = kv.stats();
      kv.revokeTokens();
      // The next sync's first call meets the challenge, gets a new token and succeeds.
      expect(text(await session.forSync().getSecret({ key: 'db', property: 'user' }))).toBe('app');
      const after = kv.stats();
      expect(after.challenges).toBe(before.challenges + 1);
      expect(after.tokens['client_secret']).toBe(before.tokens['client_secret']! + 1);
    } finally {
      await session.close();
    }
  });
});

describe('identities', () => {
  test("Workload Identity from AKS's env: the projected token (audience api://AzureADTokenExchange) exchanged at Entra", async () => {
    kv.addFederatedCredential('wi-app', ns, 'app');
    kv.grant('wi-app');
    const tokenFile = writeTokenFile(await createServiceAccountToken(ns, 'app', [AZURE_TOKEN_AUDIENCE], 3600), `azure-wi-${ns}`);
    const env = { AZURE_CLIENT_ID: 'wi-app', AZURE_TENANT_ID: kv.tenantId, AZURE_FEDERATED_TOKEN_FILE: tokenFile, AZURE_AUTHORITY_HOST: `${kv.url}/` };
    const before = kv.stats().tokens['federated'] ?? 0;
    const c = await createSecretsClient(store('kv-wi', { authType: 'WorkloadIdentity' }), ctx(env));
    try {
      expect(sha256(await c.getSecret({ key: 'db', property: 'password' }))).toBe(sha256(pw));
    } finally {
      await c.close();
    }
    expect(kv.stats().tokens['federated']).toBe(before + 1);
    // Another service account's token is refused by Entra (the double's federated credential names app).
    const intruder = writeTokenFile(await createServiceAccountToken(ns, 'intruder', [AZURE_TOKEN_AUDIENCE], 3600), `azure-wi-x-${ns}`);
    const bad = await createSecretsClient(store('kv-wi', { authType: 'WorkloadIdentity' }), ctx({ ...env, AZURE_FEDERATED_TOKEN_FILE: intruder }));
    try {
      await expect(bad.getSecret({ key: 'db' })).rejects.toThrow(/failed with 400 invalid_client: AADSTS70021: No matching federated identity record found/);
    } finally {
      await bad.close();
    }
  });

  test("Workload Identity with serviceAccountRef: the pod's token esi projects, client id from AZURE_CLIENT_ID, tenant from the store", async () => {
    kv.addFederatedCredential('wi-ref', ns, 'web');
    kv.grant('wi-ref');
    const tokenFile = writeTokenFile(await createServiceAccountToken(ns, 'web', [AZURE_TOKEN_AUDIENCE], 3600), `azure-wi-ref-${ns}`);
    const s = store('kv-wi-ref', { authType: 'WorkloadIdentity', tenantId: kv.tenantId, serviceAccountRef: { name: 'web' } });
    const c = await createSecretsClient(s, ctx({ AZURE_CLIENT_ID: 'wi-ref', AZURE_AUTHORITY_HOST: kv.url }, { serviceAccountTokenPath: tokenFile }));
    try {
      expect(text(await c.getSecret({ key: 'db', property: 'user' }))).toBe('app');
    } finally {
      await c.close();
    }
  });

  test('managed identity through IMDS (Metadata: true), identityId as client_id', async () => {
    kv.addManagedIdentity('mi-01');
    kv.grant('mi-01');
    const before = kv.stats().tokens['imds'] ?? 0;
    const c = await createSecretsClient(store('kv-mi', { authType: 'ManagedIdentity', identityId: 'mi-01' }), ctx({ AZURE_POD_IDENTITY_AUTHORITY_HOST: kv.url }));
    try {
      expect(text(await c.getSecret({ key: 'db', property: 'user' }))).toBe('app');
    } finally {
      await c.close();
    }
    expect(kv.stats().tokens['imds']).toBe(before + 1);
  });
});

describe('esi render (built CLI) against the double', () => {
  async function render(docs: object[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
    const file = scratchPath(`render-azure-${Math.random().toString(16).slice(2, 8)}.yaml`);
    writeFileSync(file, docs.map((d) => stringify(d)).join('---\n'));
    try {
      const { stdout, stderr } = await run(process.execPath, [esi, 'render', '--external-secret', file, '-o', 'json'], { env: { NODE_EXTRA_CA_CERTS: harness().caPath, ...env }, timeout: 60_000 });
      return { code: 0, stdout, stderr };
    } catch (e) {
      const err = e as { code?: number; stdout?: string; stderr?: string };
      return { code: err.code ?? -1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
    }
  }
  const es = (storeName: string, data: object[], dataFrom: object[] = []) => ({
    apiVersion: 'external-secrets.io/v1',
    kind: 'ExternalSecret',
    metadata: { name: 'app', namespace: ns },
    spec: { secretStoreRef: { name: storeName }, data, ...(dataFrom.length ? { dataFrom } : {}) },
  });
  const hashes = (stdout: string) => Object.fromEntries(Object.entries((JSON.parse(stdout) as { data: Record<string, string> }).data).map(([k, v]) => [k, sha256(Buffer.from(v, 'base64'))]));

  test('service principal: the Secret ESO would sync, credentials from the Secret given with -f', async () => {
    const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'azure-sp', namespace: ns }, stringData: { 'client-id': SP.clientId, 'client-secret': SP.secret } };
    const r = await render([spStore(), secret, es('kv-sp', [{ secretKey: 'password', remoteRef: { key: 'db', property: 'password' } }], [{ find: { name: { regexp: '^bulk-0[0-2]$' } } }])], { AZURE_AUTHORITY_HOST: kv.url });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(hashes(r.stdout)).toEqual({ password: sha256(pw), 'bulk-00': sha256('v0'), 'bulk-01': sha256('v1'), 'bulk-02': sha256('v2') });
  });

  test("Workload Identity from the environment; a missing secret is exit 1 with ESO's text naming the field", async () => {
    kv.addFederatedCredential('wi-cli', ns, 'cli');
    kv.grant('wi-cli');
    const tokenFile = writeTokenFile(await createServiceAccountToken(ns, 'cli', [AZURE_TOKEN_AUDIENCE], 3600), `azure-cli-${ns}`);
    const env = { AZURE_CLIENT_ID: 'wi-cli', AZURE_TENANT_ID: kv.tenantId, AZURE_FEDERATED_TOKEN_FILE: tokenFile, AZURE_AUTHORITY_HOST: kv.url };
    const wi = store('kv-wi', { authType: 'WorkloadIdentity' });
    const ok = await render([wi, es('kv-wi', [{ secretKey: 'user', remoteRef: { key: 'db', property: 'user' } }])], env);
    expect(ok.stderr).toBe('');
    expect(hashes(ok.stdout)).toEqual({ user: sha256('app') });
    const missing = await render([wi, es('kv-wi', [{ secretKey: 'x', remoteRef: { key: 'nope' } }])], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/spec\.data\[0\].*key: nope.*Secret does not exist/);
    expect(missing.stderr + missing.stdout).not.toContain(pw);
  });
});

// ---- raw calls to the double ----------------------------------------------------------------------------

async function fetchJson(url: string, token?: string): Promise<{ status: number; headers: Headers; body: unknown }> {
  return httpsJson('GET', url, token ? { authorization: `Bearer ${token}` } : {});
}

async function postForm(url: string, form: Record<string, string>): Promise<{ status: number; headers: Headers; body: unknown }> {
  return httpsJson('POST', url, { 'content-type': 'application/x-www-form-urlencoded' }, new URLSearchParams(form).toString());
}

function httpsJson(method: string, url: string, headers: Record<string, string>, body?: string): Promise<{ status: number; headers: Headers; body: unknown }> {
  return new Promise((resolvePromise, reject) => {
    const req = https.request(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const h = new Headers();
        for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') h.set(k, v);
        const t = Buffer.concat(chunks).toString('utf8');
        resolvePromise({ status: res.statusCode ?? 0, headers: h, body: t ? JSON.parse(t) : undefined });
      });
    });
    req.on('error', reject);
    if (body !== undefined) req.end(body);
    else req.end();
  });
}

async function spToken(): Promise<string> {
  const r = await postForm(`${kv.url}/${kv.tenantId}/oauth2/v2.0/token`, { grant_type: 'client_credentials', client_id: SP.clientId, client_secret: SP.secret, scope: 'https://vault.azure.net/.default' });
  return (r.body as { access_token: string }).access_token;
}
